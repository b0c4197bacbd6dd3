package gauss

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

var Log2Pi = math.Log(2 * math.Pi)

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
const MaxDistance = 1e300

// MaxCondition is divergence.MaxCondition, documented there.
func MaxCondition(d int) float64 {
	return 1 / (2 * float64(d) * float64(d+2) * 0x1p-53)
}

// condition returns the 1-norm condition number ||cov||_1 ||cov^-1||_1 of a
// component built by newGaussian.
func (g *Gaussian) Condition() float64 {
	d := len(g.Mean)
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
	return norm(g.Cov) * norm(g.Inv)
}

// gaussian is one mixture component with the factorizations every distance
// and density computation reuses.
type Gaussian struct {
	Mean   []float64
	Cov    []float64         // d x d, row-major, full symmetric
	Upper  blas64.Triangular // Cholesky factor U with cov = U^T U
	Inv    []float64         // cov^-1, row-major, full symmetric (nil from factorGaussian)
	LogDet float64
}

// newGaussian factorizes cov and inverts it. It fails when cov is not
// symmetric positive definite or not finite, or when its inverse has entries
// beyond MaxMagnitude.
func NewGaussian(mean []float64, cov *mat.SymDense) (*Gaussian, error) {
	g, err := FactorGaussian(mean, cov)
	if err != nil {
		return nil, err
	}
	d := len(mean)
	inv := make([]float64, d*d)
	copy(inv, g.Upper.Data)
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
	g.Inv = inv
	return g, nil
}

// UpperInto returns g's Cholesky factor: g's own when it has one,
// otherwise computed into u (d x d, overwritten) by FactorGaussian's
// operations, hence its bits. It lets a loop over many components factorize
// each in one reused buffer instead of allocating a Gaussian per call.
func (g *Gaussian) UpperInto(u []float64) (blas64.Triangular, error) {
	if g.Upper.Data != nil {
		return g.Upper, nil
	}
	d := len(g.Mean)
	u = u[:d*d]
	copy(u, g.Cov)
	if _, ok := lapack64.Potrf(blas64.Symmetric{N: d, Stride: d, Data: u, Uplo: blas.Upper}); !ok {
		return blas64.Triangular{}, ErrNotPositiveDefinite
	}
	for i := 0; i < d; i++ {
		for j := 0; j < i; j++ {
			u[i*d+j] = 0
		}
	}
	return blas64.Triangular{N: d, Stride: d, Data: u, Uplo: blas.Upper, Diag: blas.NonUnit}, nil
}

// InverseUpperInto returns a d x d buffer whose upper triangle (row i,
// columns j >= i) is g's inverse covariance: g's own inverse when it has
// one, otherwise computed into u and inv (each d x d, overwritten) by
// NewGaussian's operations, hence its bits. The lower triangle is not
// meaningful.
func (g *Gaussian) InverseUpperInto(u, inv []float64) ([]float64, error) {
	if g.Inv != nil {
		return g.Inv, nil
	}
	up, err := g.UpperInto(u)
	if err != nil {
		return nil, err
	}
	d := len(g.Mean)
	inv = inv[:d*d]
	copy(inv, up.Data)
	if _, ok := lapack64.Potri(blas64.Triangular{N: d, Stride: d, Data: inv, Uplo: blas.Upper, Diag: blas.NonUnit}); !ok {
		return nil, ErrNotPositiveDefinite
	}
	for i := 0; i < d; i++ {
		for j := i; j < d; j++ {
			if v := inv[i*d+j]; math.IsNaN(v) || math.Abs(v) > MaxMagnitude {
				return nil, fmt.Errorf("covariance is numerically singular: %w", ErrNotPositiveDefinite)
			}
		}
	}
	return inv, nil
}

// factorGaussian is newGaussian without the inverse (inv stays nil): what
// the E step needs, which works with the Cholesky factor alone.
//
// Like Mean, which is mean, Cov is cov's own storage when that holds the
// full symmetric matrix row by row (both triangles, bit for bit, as the
// decoders of estimates store it), and a copy otherwise; either way cov
// must not change while the Gaussian is in use.
func FactorGaussian(mean []float64, cov *mat.SymDense) (*Gaussian, error) {
	d := len(mean)
	if cov.SymmetricDim() != d {
		return nil, fmt.Errorf("covariance is %dx%d, mean has %d entries", cov.SymmetricDim(), cov.SymmetricDim(), d)
	}
	raw := cov.RawSymmetric()
	for i := 0; i < d; i++ {
		for j := i; j < d; j++ {
			if v := raw.Data[i*raw.Stride+j]; math.IsNaN(v) || math.Abs(v) > MaxMagnitude {
				return nil, fmt.Errorf("covariance entry (%d,%d) is %v", i, j, v)
			}
		}
	}
	g := &Gaussian{Mean: mean}
	if full(raw) {
		g.Cov = raw.Data[:d*d]
	} else {
		g.Cov = make([]float64, d*d)
		for i := 0; i < d; i++ {
			for j := i; j < d; j++ {
				v := raw.Data[i*raw.Stride+j]
				g.Cov[i*d+j], g.Cov[j*d+i] = v, v
			}
		}
	}
	u := make([]float64, d*d)
	copy(u, g.Cov)
	g.Upper = blas64.Triangular{N: d, Stride: d, Data: u, Uplo: blas.Upper, Diag: blas.NonUnit}
	if _, ok := lapack64.Potrf(blas64.Symmetric{N: d, Stride: d, Data: u, Uplo: blas.Upper}); !ok {
		return nil, ErrNotPositiveDefinite
	}
	for i := 0; i < d; i++ {
		for j := 0; j < i; j++ {
			u[i*d+j] = 0
		}
		g.LogDet += 2 * math.Log(u[i*d+i])
	}
	if math.IsNaN(g.LogDet) || math.IsInf(g.LogDet, 0) {
		return nil, ErrNotPositiveDefinite
	}
	return g, nil
}

// full reports whether s's storage is its full matrix, row by row: every
// entry below the diagonal the bits of its mirror above.
func full(s blas64.Symmetric) bool {
	if s.Uplo != blas.Upper || s.Stride != s.N || len(s.Data) < s.N*s.N {
		return false
	}
	for i := 0; i < s.N; i++ {
		for j := 0; j < i; j++ {
			if math.Float64bits(s.Data[i*s.N+j]) != math.Float64bits(s.Data[j*s.N+i]) {
				return false
			}
		}
	}
	return true
}

// quadInv returns v^T cov^-1 v.
func (g *Gaussian) QuadInv(v []float64) float64 {
	d := len(v)
	var s float64
	for i := 0; i < d; i++ {
		row := g.Inv[i*d : i*d+d]
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
func KlGauss(p, q *Gaussian, diff []float64) float64 {
	d := len(p.Mean)
	for i := range diff {
		diff[i] = q.Mean[i] - p.Mean[i]
	}
	var tr float64
	for i, v := range q.Inv {
		tr += v * p.Cov[i]
	}
	kl := 0.5 * (tr + q.QuadInv(diff) - float64(d) + q.LogDet - p.LogDet)
	if kl < 0 { // rounding for identical components
		kl = 0
	}
	return math.Min(kl, MaxDistance)
}

// WeightTolerance is how far the weights of a valid mixture may sum from 1.
const WeightTolerance = 1e-9

// mixtureComponents validates the mixture of the given weights, means and
// covariances and factorizes and inverts each component.
func MixtureComponents(weights []float64, means [][]float64, covs []*mat.SymDense) ([]*Gaussian, error) {
	return FactorComponents(weights, means, covs, NewGaussian)
}

// factorComponents validates the mixture and builds each component with build: newGaussian, or
// factorGaussian where no inverse is needed.
func FactorComponents(weights []float64, means [][]float64, covs []*mat.SymDense, build func(mean []float64, cov *mat.SymDense) (*Gaussian, error)) ([]*Gaussian, error) {
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
	comps := make([]*Gaussian, k)
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
func Normalize(w []float64) {
	floats.Scale(1/floats.Sum(w), w)
}

// Light returns g without its factorizations: the mean, the covariance (the
// same storage) and the log determinant, which is what a component needs as
// the first argument of KlGauss, for moment matching and for the
// reductions' assignments. Refactored gives the rest back, bit for bit, when
// it is needed; a round of many estimates then holds its covariances once
// rather than three times.
func (g *Gaussian) Light() *Gaussian {
	return &Gaussian{Mean: g.Mean, Cov: g.Cov, LogDet: g.LogDet}
}

// Refactored returns g with its Cholesky factor and inverse: g itself when
// it has both, otherwise the factorizations NewGaussian computed from the
// same covariance (the same operations on the same numbers, so the same
// bits). It fails only when g's covariance no longer factorizes, which a
// component that came from NewGaussian always does.
func (g *Gaussian) Refactored() (*Gaussian, error) {
	if g.Inv != nil && g.Upper.Data != nil {
		return g, nil
	}
	d := len(g.Mean)
	out, err := NewGaussian(g.Mean, mat.NewSymDense(d, g.Cov))
	if err != nil {
		return nil, err
	}
	out.Cov = g.Cov
	return out, nil
}

// InvertAll returns comps with their inverses (each g itself when it has
// one), computed by NewGaussian's operations on the same covariance (the
// same bits) through one reused Cholesky factor, which no component keeps:
// for what reads only the inverse (KlGauss), at half the memory of
// RefactorAll.
func InvertAll(comps []*Gaussian) ([]*Gaussian, error) {
	out := make([]*Gaussian, len(comps))
	var u []float64
	for k, g := range comps {
		if g.Inv != nil {
			out[k] = g
			continue
		}
		d := len(g.Mean)
		if len(u) < d*d {
			u = make([]float64, d*d)
		}
		inv, err := g.InverseUpperInto(u, make([]float64, d*d))
		if err != nil {
			return nil, fmt.Errorf("component %d: %w", k, err)
		}
		for i := 0; i < d; i++ {
			for j := 0; j < i; j++ {
				inv[i*d+j] = inv[j*d+i]
			}
		}
		out[k] = &Gaussian{Mean: g.Mean, Cov: g.Cov, LogDet: g.LogDet, Inv: inv, Upper: g.Upper}
	}
	return out, nil
}

// Factored is Refactored without the inverse: g itself when it has its
// Cholesky factor, otherwise the factor FactorGaussian computes from the
// same covariance.
func (g *Gaussian) Factored() (*Gaussian, error) {
	if g.Upper.Data != nil {
		return g, nil
	}
	d := len(g.Mean)
	out, err := FactorGaussian(g.Mean, mat.NewSymDense(d, g.Cov))
	if err != nil {
		return nil, err
	}
	out.Cov, out.Inv = g.Cov, g.Inv
	return out, nil
}

// RefactorAll is Refactored for every component of comps, which it
// returns in a new slice.
func RefactorAll(comps []*Gaussian) ([]*Gaussian, error) {
	out := make([]*Gaussian, len(comps))
	for k, g := range comps {
		var err error
		if out[k], err = g.Refactored(); err != nil {
			return nil, fmt.Errorf("component %d: %w", k, err)
		}
	}
	return out, nil
}
