package federated

import "errors"

// Errors the package returns, wrapped with context; compare with
// errors.Is.
var (
	// ErrNotPositiveDefinite reports a covariance whose Cholesky
	// factorization fails (or whose inverse is numerically singular).
	ErrNotPositiveDefinite = errors.New("covariance is not positive definite")
	// ErrNoValidEstimate reports a round in which no estimate is left to
	// aggregate.
	ErrNoValidEstimate = errors.New("no valid estimate to aggregate")
	// ErrDegenerateFit reports an EM fit in which every initialization
	// gave a degenerate mixture (a component without observations or a
	// singular covariance).
	ErrDegenerateFit = errors.New("every initialization gave a degenerate mixture")
	// ErrInvalidSetting reports a setting of a Server or an EM (its
	// PenaltySearch included) that cannot be used; the message names it.
	ErrInvalidSetting = errors.New("invalid setting")
	// ErrNonFinite reports data holding NaN or infinite values.
	ErrNonFinite = errors.New("data contain NaN or Inf")
)
