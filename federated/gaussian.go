package federated

import (
	"errors"
	"fmt"
	"math"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/blas64"
	"gonum.org/v1/gonum/floats"
	"gonum.org/v1/gonum/lapack/lapack64"
	"gonum.org/v1/gonum/mat"
)

var log2Pi = math.Log(2 * math.Pi)

// ErrNotPositiveDefinite reports a covariance whose Cholesky
// factorization fails (or whose inverse is numerically singular).
var ErrNotPositiveDefinite = errors.New("covariance is not positive definite")

// MaxMagnitude bounds every mean and covariance entry, and every entry of a
// covariance's inverse, of a valid mixture: beyond it, products in the
// distances would overflow.
const MaxMagnitude = 1e100

// maxDistance caps every divergence: an extreme but valid estimate is then
// very far from the others, rather than infinitely far, which would stop
// the transport solver and the JSON report.
const maxDistance = 1e300

// MaxCondition returns the largest condition number a received covariance
// of dimension d may have: u^-1 / (2 d (d+2)), u = 2^-53, about 1.7e12 for
// d = 50 (fitted covariances of Table 2: at most 3.4e4).
//
// The overlap integrals of ISE and CS factor the sum of two covariances by
// Cholesky. Mathematically the sum is positive definite; in floating point
// its factorization may break down when a covariance is numerically
// singular, and an estimate built for that (one was found by random search
// in a few thousand tries, its own factorization fine) would stop the whole
// round. Below this bound it cannot: the factorization of a d x d matrix
// runs to completion when the smallest eigenvalue of its diagonally scaled
// form exceeds d gamma_{d+1}, gamma_{d+1} = (d+1)u / (1 - (d+1)u) (Demmel;
// Higham, Accuracy and Stability of Numerical Algorithms, Thm 10.7); that
// eigenvalue is at least 1/kappa_2, forming the sum moves it by at most
// d u, kappa_2(A+B) <= max(kappa_2(A), kappa_2(B)), and the factor 2 covers
// rounding in the inverse the 1-norm condition number (an upper bound on
// kappa_2) is measured with.
func MaxCondition(d int) float64 {
	return 1 / (2 * float64(d) * float64(d+2) * 0x1p-53)
}

// condition returns the 1-norm condition number ||cov||_1 ||cov^-1||_1 of a
// component built by newGaussian.
func (g *gaussian) condition() float64 {
	d := len(g.mean)
	norm := func(a []float64) float64 {
		var largest float64
		for j := 0; j < d; j++ { // symmetric: rows are the columns
			var s float64
			for _, v := range a[j*d : j*d+d] {
				s += math.Abs(v)
			}
			largest = math.Max(largest, s)
		}
		return largest
	}
	return norm(g.cov) * norm(g.inv)
}

// gaussian is one mixture component with the factorizations every distance
// and density computation reuses.
type gaussian struct {
	mean   []float64
	cov    []float64         // d x d, row-major, full symmetric
	upper  blas64.Triangular // Cholesky factor U with cov = U^T U
	inv    []float64         // cov^-1, row-major, full symmetric (nil from factorGaussian)
	logDet float64
}

// newGaussian factorizes cov and inverts it. It fails when cov is not
// symmetric positive definite or not finite, or when its inverse has entries
// beyond MaxMagnitude.
func newGaussian(mean []float64, cov *mat.SymDense) (*gaussian, error) {
	g, err := factorGaussian(mean, cov)
	if err != nil {
		return nil, err
	}
	d := len(mean)
	inv := make([]float64, d*d)
	copy(inv, g.upper.Data)
	if _, ok := lapack64.Potri(blas64.Triangular{N: d, Stride: d, Data: inv, Uplo: blas.Upper, Diag: blas.NonUnit}); !ok {
		return nil, ErrNotPositiveDefinite
	}
	for i := 0; i < d; i++ {
		for j := 0; j < i; j++ {
			inv[i*d+j] = inv[j*d+i]
		}
	}
	for _, v := range inv {
		if math.IsNaN(v) || math.Abs(v) > MaxMagnitude {
			return nil, fmt.Errorf("covariance is numerically singular: %w", ErrNotPositiveDefinite)
		}
	}
	g.inv = inv
	return g, nil
}

// factorGaussian is newGaussian without the inverse (inv stays nil): what
// the E step needs, which works with the Cholesky factor alone.
func factorGaussian(mean []float64, cov *mat.SymDense) (*gaussian, error) {
	d := len(mean)
	if cov.SymmetricDim() != d {
		return nil, fmt.Errorf("covariance is %dx%d, mean has %d entries", cov.SymmetricDim(), cov.SymmetricDim(), d)
	}
	g := &gaussian{mean: mean, cov: make([]float64, d*d)}
	raw := cov.RawSymmetric()
	for i := 0; i < d; i++ {
		for j := i; j < d; j++ {
			v := raw.Data[i*raw.Stride+j]
			if math.IsNaN(v) || math.Abs(v) > MaxMagnitude {
				return nil, fmt.Errorf("covariance entry (%d,%d) is %v", i, j, v)
			}
			g.cov[i*d+j], g.cov[j*d+i] = v, v
		}
	}
	u := make([]float64, d*d)
	copy(u, g.cov)
	g.upper = blas64.Triangular{N: d, Stride: d, Data: u, Uplo: blas.Upper, Diag: blas.NonUnit}
	if _, ok := lapack64.Potrf(blas64.Symmetric{N: d, Stride: d, Data: u, Uplo: blas.Upper}); !ok {
		return nil, ErrNotPositiveDefinite
	}
	for i := 0; i < d; i++ {
		for j := 0; j < i; j++ {
			u[i*d+j] = 0
		}
		g.logDet += 2 * math.Log(u[i*d+i])
	}
	if math.IsNaN(g.logDet) || math.IsInf(g.logDet, 0) {
		return nil, ErrNotPositiveDefinite
	}
	return g, nil
}

// quadInv returns v^T cov^-1 v.
func (g *gaussian) quadInv(v []float64) float64 {
	d := len(v)
	var s float64
	for i := 0; i < d; i++ {
		row := g.inv[i*d : i*d+d]
		var t float64
		for j, x := range v {
			t += row[j] * x
		}
		s += v[i] * t
	}
	return s
}

// klGauss returns KL(p || q) for Gaussians p and q; diff is scratch of length d.
//
//	KL = 0.5 {tr(Sq^-1 Sp) + (mq-mp)^T Sq^-1 (mq-mp) - d + log det Sq - log det Sp}
func klGauss(p, q *gaussian, diff []float64) float64 {
	d := len(p.mean)
	for i := range diff {
		diff[i] = q.mean[i] - p.mean[i]
	}
	var tr float64
	for i, v := range q.inv {
		tr += v * p.cov[i]
	}
	kl := 0.5 * (tr + q.quadInv(diff) - float64(d) + q.logDet - p.logDet)
	if kl < 0 { // rounding for identical components
		kl = 0
	}
	return math.Min(kl, maxDistance)
}

// WeightTolerance is how far the weights of a valid mixture may sum from 1.
const WeightTolerance = 1e-9

// mixtureComponents validates the mixture of the given weights, means and
// covariances and factorizes and inverts each component.
func mixtureComponents(weights []float64, means [][]float64, covs []*mat.SymDense) ([]*gaussian, error) {
	return factorComponents(weights, means, covs, newGaussian)
}

// factorComponents validates the mixture and builds each component with build: newGaussian, or
// factorGaussian where no inverse is needed.
func factorComponents(weights []float64, means [][]float64, covs []*mat.SymDense, build func(mean []float64, cov *mat.SymDense) (*gaussian, error)) ([]*gaussian, error) {
	k := len(weights)
	if k == 0 {
		return nil, errors.New("mixture has no components")
	}
	if len(means) != k || len(covs) != k {
		return nil, fmt.Errorf("mixture has %d weights, %d means and %d covariances", k, len(means), len(covs))
	}
	var sum float64
	for i, w := range weights {
		if math.IsNaN(w) || math.IsInf(w, 0) || w < 0 {
			return nil, fmt.Errorf("weight %d is %v", i, w)
		}
		sum += w
	}
	if math.Abs(sum-1) > WeightTolerance {
		return nil, fmt.Errorf("weights sum to %.12g, not 1", sum)
	}
	d := len(means[0])
	if d == 0 {
		return nil, errors.New("means have dimension 0")
	}
	comps := make([]*gaussian, k)
	for i := range means {
		if len(means[i]) != d {
			return nil, fmt.Errorf("mean %d has %d entries, mean 0 has %d", i, len(means[i]), d)
		}
		for j, v := range means[i] {
			if math.IsNaN(v) || math.Abs(v) > MaxMagnitude {
				return nil, fmt.Errorf("mean %d entry %d is %v", i, j, v)
			}
		}
		if covs[i] == nil {
			return nil, fmt.Errorf("covariance %d is missing", i)
		}
		g, err := build(means[i], covs[i])
		if err != nil {
			return nil, fmt.Errorf("component %d: %w", i, err)
		}
		comps[i] = g
	}
	return comps, nil
}

// normalize rescales w to sum to 1, removing the rounding of sums.
func normalize(w []float64) {
	floats.Scale(1/floats.Sum(w), w)
}
