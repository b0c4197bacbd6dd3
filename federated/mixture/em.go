package mixture

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/blas64"
	"gonum.org/v1/gonum/floats"
	"gonum.org/v1/gonum/mat"

	"github.com/nistgmm/nistgmm/federated/internal/gauss"
)

// Errors of fitting, wrapped with context; compare with errors.Is.
var (
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

// EM fits an order-K Gaussian mixture by the penalized EM of Chen and Tan
// (2009) (Appendix A.1 of the paper). The zero value is not usable: set K, or
// start from NewEM.
type EM struct {
	K int // order of the mixture

	// PenaltyScale is c in the penalty's a_n = c n^(-1/2). 0 means 1, the
	// paper's choice; any c > 0 keeps Chen and Tan's consistency.
	PenaltyScale float64

	// PenaltySearch, when set, chooses c on the machine's own data by
	// held-out likelihood (see PenaltySearch) and PenaltyScale is ignored.
	PenaltySearch *PenaltySearch

	// Restarts is the number of k-means++ initializations compared by their
	// penalized log-likelihood; EM iterates from the best. 0 means 10.
	Restarts int

	// Tol stops EM when the per-observation penalized log-likelihood changes
	// by less than Tol. 0 means 1e-6.
	Tol float64

	// MaxIter caps the EM iterations. 0 means 1000.
	MaxIter int

	// Init, when set, is the starting mixture and k-means++ is skipped.
	Init *Mixture

	// startLabels, when set, are the k-means labels of the first start,
	// already computed (the penalty search clusters each fold once for all
	// its candidates).
	startLabels []int
}

// Validate reports settings that cannot be used. Zero values mean the
// defaults documented on each field; negative or non-finite ones are errors,
// never replaced.
func (e *EM) Validate() error {
	if err := e.validate(); err != nil {
		return fmt.Errorf("%w: %w", ErrInvalidSetting, err)
	}
	return nil
}

func (e *EM) validate() error {
	switch {
	case e.K < 1:
		return fmt.Errorf("EM: order K = %d, want at least 1", e.K)
	case !(e.PenaltyScale >= 0) || math.IsInf(e.PenaltyScale, 0):
		return fmt.Errorf("EM: penalty scale %v, want a finite number > 0 (0 for the default 1)", e.PenaltyScale)
	case e.Restarts < 0:
		return fmt.Errorf("EM: %d restarts, want at least 1 (0 for the default 10)", e.Restarts)
	case !(e.Tol >= 0) || math.IsInf(e.Tol, 0):
		return fmt.Errorf("EM: tolerance %v, want a finite number > 0 (0 for the default 1e-6)", e.Tol)
	case e.MaxIter < 0:
		return fmt.Errorf("EM: iteration cap %d, want at least 1 (0 for the default 1000)", e.MaxIter)
	}
	if e.PenaltySearch != nil {
		if err := e.PenaltySearch.Validate(); err != nil {
			return fmt.Errorf("EM: %w", err)
		}
	}
	return nil
}

// NewEM returns the paper's defaults for an order-k mixture.
func NewEM(k int) *EM { return &EM{K: k} }

// FitInfo reports how a fit went.
type FitInfo struct {
	Iterations int
	Converged  bool
	// PenalizedLogLik is the penalized log-likelihood of the returned mixture,
	// and Trace its value before each M step (non-decreasing by construction).
	PenalizedLogLik float64
	Trace           []float64
	// PenaltyScale is the c of a_n = c n^(-1/2) the fit used; with a
	// PenaltySearch, PenaltyScores holds the held-out log-likelihood per
	// observation of every candidate, in the order of its grid (NaN for
	// candidates the search did not need to fit).
	PenaltyScale  float64
	PenaltyScores []float64
}

func (e *EM) restarts() int {
	if e.Restarts > 0 {
		return e.Restarts
	}
	return 10
}

func (e *EM) tol() float64 {
	if e.Tol > 0 {
		return e.Tol
	}
	return 1e-6
}

func (e *EM) maxIter() int {
	if e.MaxIter > 0 {
		return e.MaxIter
	}
	return 1000
}

func (e *EM) penaltyScale() float64 {
	if e.PenaltyScale > 0 {
		return e.PenaltyScale
	}
	return 1
}

// emState holds every buffer one fit needs, so iterations do not allocate.
type emState struct {
	X    *mat.Dense
	n, d int
	k    int
	an   float64
	sx   *mat.SymDense // sample covariance S_x
	// sxUpper is the Cholesky factor R of S_x = R^T R, for the penalty's
	// traces tr(Sigma^-1 S_x) = ||R U^-1||_F^2 without inverting Sigma.
	sxUpper []float64
	square  []float64      // scratch d x d
	work    *mat.Dense     // n x d
	xt      blas64.General // X^T, d x n, for the E step
	workT   []float64      // scratch d x n
	lj      *mat.Dense     // n x K log joint, then responsibilities
	dist    []float64      // scratch n
	// negligible is the responsibility at or below which the M step
	// leaves an observation out of a scatter matrix (negligibleResp).
	negligible float64
	// bounds, when set, lets the E step skip the densities that cannot
	// matter (see driftBounds); nil computes every one.
	bounds *driftBounds
}

// newEMState prepares a fit of an order-k mixture on the rows of X with
// penalty constant a_n = an. It fails when the sample covariance of X is
// singular, where the penalty is undefined.
func newEMState(X *mat.Dense, k int, an float64) (*emState, error) {
	n, d := X.Dims()
	s := &emState{X: X, n: n, d: d, k: k, an: an, negligible: negligibleResp,
		work: mat.NewDense(n, d, nil), lj: mat.NewDense(n, k, nil),
		dist: make([]float64, n), square: make([]float64, d*d), xt: transposed(X), workT: make([]float64, d*n)}
	s.sx = sampleCov(X)
	g, err := gauss.FactorGaussian(make([]float64, d), s.sx)
	if err != nil {
		return nil, fmt.Errorf("sample covariance of the data: %w (a constant or collinear feature?)", err)
	}
	s.sxUpper = g.Upper.Data
	return s, nil
}

// Fit runs penalized EM on the rows of X. rng drives the k-means++ seeding
// and the penalty search; it may be nil only when Init is set and there is
// no PenaltySearch.
func (e *EM) Fit(ctx context.Context, X *mat.Dense, rng *rand.Rand) (*Mixture, FitInfo, error) {
	if err := e.Validate(); err != nil {
		return nil, FitInfo{}, err
	}
	if rng == nil && (e.Init == nil || e.PenaltySearch != nil) {
		return nil, FitInfo{}, errors.New("EM: a random source is needed for the k-means++ starts and the penalty search")
	}
	n, d := X.Dims()
	if n < e.K {
		return nil, FitInfo{}, fmt.Errorf("EM: %d observations cannot fit %d components", n, e.K)
	}
	for _, v := range X.RawMatrix().Data {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return nil, FitInfo{}, fmt.Errorf("EM: %w", ErrNonFinite)
		}
	}
	c, scores := e.penaltyScale(), []float64(nil)
	if e.PenaltySearch != nil {
		var err error
		if c, scores, err = e.PenaltySearch.choose(ctx, e, X, rng); err != nil {
			return nil, FitInfo{}, err
		}
	}
	s, err := newEMState(X, e.K, c/math.Sqrt(float64(n)))
	if err != nil {
		return nil, FitInfo{}, fmt.Errorf("EM: %w", err)
	}

	var (
		start    *Mixture
		startLJ  *mat.Dense
		startPLL float64
	)
	switch {
	case e.Init != nil:
		if e.Init.K() != e.K || e.Init.Dim() != d {
			return nil, FitInfo{}, fmt.Errorf("EM: starting mixture is order %d in dimension %d, want %d in %d", e.Init.K(), e.Init.Dim(), e.K, d)
		}
		if err := e.Init.Validate(); err != nil {
			return nil, FitInfo{}, fmt.Errorf("EM: starting mixture: %w", err)
		}
		start = e.Init.Clone()
	default:
		// The best start's responsibilities are kept (in startLJ) for EM's
		// first iteration, which would compute them again.
		best := math.Inf(-1)
		startLJ = mat.NewDense(n, e.K, nil)
		for r := 0; r < e.restarts(); r++ {
			if err := ctx.Err(); err != nil {
				return nil, FitInfo{}, err
			}
			var labels []int
			if r == 0 && e.startLabels != nil {
				labels = e.startLabels
			} else {
				labels = kmeans(X, e.K, rng, 20)
			}
			cand := s.hardMStep(labels)
			pll, err := s.penalizedLogLik(cand)
			if err != nil {
				continue
			}
			if pll > best {
				best, start = pll, cand
				s.lj, startLJ = startLJ, s.lj
			}
		}
		if start == nil {
			return nil, FitInfo{}, fmt.Errorf("EM: %w", ErrDegenerateFit)
		}
		startPLL = best
	}

	info := FitInfo{PenaltyScale: c, PenaltyScores: scores}
	mix := start
	prev := math.Inf(-1)
	s.bounds = newDriftBounds(n, d, e.K)
	for it := 0; it < e.maxIter(); it++ {
		if err := ctx.Err(); err != nil {
			return nil, info, err
		}
		var pll float64
		if it == 0 && startLJ != nil {
			pll = startPLL
			s.lj = startLJ
		} else if pll, err = s.eStep(mix); err != nil { // responsibilities in s.lj, pll of mix
			return nil, info, fmt.Errorf("EM iteration %d: %w", it, err)
		}
		info.Trace = append(info.Trace, pll)
		info.PenalizedLogLik = pll
		if math.Abs(pll-prev)/float64(n) < e.tol() {
			info.Converged = true
			break
		}
		prev = pll
		mix = s.mStep(mix)
		info.Iterations = it + 1
	}
	if !info.Converged {
		// The last M step's result has not been scored yet.
		pll, err := s.penalizedLogLik(mix)
		if err != nil {
			return nil, info, err
		}
		info.PenalizedLogLik = pll
	}
	return mix, info, nil
}

// sampleCov returns the maximum-likelihood covariance of the rows of X.
func sampleCov(X *mat.Dense) *mat.SymDense {
	n, d := X.Dims()
	mean := make([]float64, d)
	for j := 0; j < n; j++ {
		floats.Add(mean, X.RawRowView(j))
	}
	floats.Scale(1/float64(n), mean)
	c := mat.NewDense(n, d, nil)
	for j := 0; j < n; j++ {
		floats.SubTo(c.RawRowView(j), X.RawRowView(j), mean)
	}
	s := mat.NewSymDense(d, nil)
	s.SymOuterK(1/float64(n), c.T())
	return s
}

// mStep maximizes the penalized expected complete-data log-likelihood given
// the responsibilities in s.lj:
//
//	w_k = n_k / n, mu_k = sum_j r_jk x_j / n_k,
//	Sigma_k = (2 a_n S_x + S_k) / (2 a_n + n_k).
//
// A component with no responsibility keeps its mean and gets Sigma_k = S_x,
// which is what the update gives at n_k = 0.
func (s *emState) mStep(prev *Mixture) *Mixture {
	n, d, K := s.n, s.d, s.k
	nk := make([]float64, K)
	raw := s.lj.RawMatrix()
	for j := 0; j < n; j++ {
		floats.Add(nk, raw.Data[j*raw.Stride:j*raw.Stride+K])
	}
	// Means for all components at once: M = R^T X (K x d).
	means := mat.NewDense(K, d, nil)
	means.Mul(s.lj.T(), s.X)
	out := &Mixture{Weights: make([]float64, K), Means: make([][]float64, K), Covs: make([]*mat.SymDense, K)}
	xr := s.X.RawMatrix()
	wr := s.work.RawMatrix()
	for k := 0; k < K; k++ {
		out.Weights[k] = nk[k] / float64(n)
		mu := make([]float64, d)
		if nk[k] > 1e-300 {
			floats.ScaleTo(mu, 1/nk[k], means.RawRowView(k))
		} else {
			copy(mu, prev.Means[k])
		}
		out.Means[k] = mu
		// S_k = sum_j r_jk (x_j - mu)(x_j - mu)^T as one rank update of the
		// rows sqrt(r_jk) (x_j - mu). Rows with r_jk <= negligibleResp are
		// left out: with well-separated components most are, and they
		// change S_k by less than n * negligibleResp of their squared
		// distances, far below the convergence tolerance.
		rowsK := 0
		for j := 0; j < n; j++ {
			r := raw.Data[j*raw.Stride+k]
			if r <= s.negligible {
				continue
			}
			sr := math.Sqrt(r)
			src := xr.Data[j*xr.Stride : j*xr.Stride+d]
			dst := wr.Data[rowsK*wr.Stride : rowsK*wr.Stride+d]
			for i, v := range src {
				dst[i] = sr * (v - mu[i])
			}
			rowsK++
		}
		cov := mat.NewSymDense(d, nil)
		cr := cov.RawSymmetric()
		if rowsK > 0 {
			blas64.Syrk(blas.Trans, 1, blas64.General{Rows: rowsK, Cols: d, Stride: wr.Stride, Data: wr.Data}, 0, cr)
		}
		sx := s.sx.RawSymmetric()
		den := 2*s.an + nk[k]
		for i := 0; i < d; i++ {
			for j := i; j < d; j++ {
				cr.Data[i*cr.Stride+j] = (2*s.an*sx.Data[i*sx.Stride+j] + cr.Data[i*cr.Stride+j]) / den
			}
		}
		out.Covs[k] = cov
	}
	gauss.Normalize(out.Weights)
	return out
}

// negligibleResp is the responsibility below which an observation is left
// out of a component's scatter matrix in the M step.
const negligibleResp = 1e-14

// hardMStep is the M step for 0/1 responsibilities given by labels.
func (s *emState) hardMStep(labels []int) *Mixture {
	raw := s.lj.RawMatrix()
	for j := 0; j < s.n; j++ {
		row := raw.Data[j*raw.Stride : j*raw.Stride+s.k]
		for k := range row {
			row[k] = 0
		}
		row[labels[j]] = 1
	}
	prev := &Mixture{Means: make([][]float64, s.k)}
	for k := range prev.Means {
		prev.Means[k] = make([]float64, s.d)
	}
	return s.mStep(prev)
}
