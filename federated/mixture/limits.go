package mixture

import "github.com/nistgmm/nistgmm/federated/internal/gauss"

// WeightTolerance is how far the weights of a valid mixture may sum from 1.
const WeightTolerance = gauss.WeightTolerance

// MaxMagnitude bounds every mean and covariance entry, and every entry of a
// covariance's inverse, of a valid mixture: beyond it, products in the
// distances between mixtures would overflow.
const MaxMagnitude = gauss.MaxMagnitude

// ErrNotPositiveDefinite reports a covariance whose Cholesky
// factorization fails (or whose inverse is numerically singular).
var ErrNotPositiveDefinite = gauss.ErrNotPositiveDefinite
