package federated

import (
	"fmt"
	"math"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/blas64"
	"gonum.org/v1/gonum/lapack/lapack64"
	"gonum.org/v1/gonum/mat"
)

var log2Pi = math.Log(2 * math.Pi)

// MaxMagnitude bounds every mean and covariance entry, and every entry of a
// covariance's inverse, of a valid mixture: beyond it, products in the
// distances would overflow.
const MaxMagnitude = 1e100

// maxDistance caps every divergence: an extreme but valid estimate is then
// very far from the others, rather than infinitely far, which would stop
// the transport solver and the JSON report.
const maxDistance = 1e300

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

// overlapScratch holds the buffers logOverlap needs, so a worker reuses them
// across the many pairs it evaluates.
type overlapScratch struct {
	sum  []float64
	diff []float64
}

func newOverlapScratch(d int) *overlapScratch {
	return &overlapScratch{sum: make([]float64, d*d), diff: make([]float64, d)}
}

// logOverlap returns log of the integral of phi(x; a) phi(x; b) dx, which is
// log phi(mu_a; mu_b, Sigma_a + Sigma_b). It never underflows: the result is
// a log density, however far apart the components are.
//
// ISE and CS need it for every pair of components of every pair of
// estimates, each with a Cholesky factorization of its own. LAPACK's
// unblocked factorization calls the BLAS three times per column, and with
// a BLAS library behind cgo those calls, not the arithmetic, were three
// quarters of the time; the blocked factorization below makes a few calls
// per block instead (see choleskyLower).
func logOverlap(a, b *gaussian, s *overlapScratch) (float64, error) {
	d := len(a.mean)
	L := s.sum
	for i := 0; i < d; i++ {
		for j := 0; j <= i; j++ {
			L[i*d+j] = a.cov[i*d+j] + b.cov[i*d+j]
		}
		s.diff[i] = a.mean[i] - b.mean[i]
	}
	if !choleskyLower(L, d) {
		return 0, ErrNotPositiveDefinite
	}
	// (Sa+Sb) = L L^T, so diff^T (Sa+Sb)^-1 diff = |L^-1 diff|^2, by
	// forward substitution.
	// log det = 2 sum log L_ii, from the product of the diagonal's
	// mantissas and the sum of its exponents: one logarithm, not d.
	var q float64
	mant, exp := 1.0, 0
	for i := 0; i < d; i++ {
		row := L[i*d : i*d+i+1]
		y := s.diff[i]
		for j, v := range row[:i] {
			y -= v * s.diff[j]
		}
		y /= row[i]
		s.diff[i] = y
		q += y * y
		m, e := math.Frexp(row[i])
		mant *= m
		exp += e
		if mant < 0x1p-500 { // d factors of at least 1/2 each: keep it normal
			m, e := math.Frexp(mant)
			mant, exp = m, exp+e
		}
	}
	logDet := 2 * (math.Log(mant) + float64(exp)*math.Ln2)
	return -0.5 * (float64(d)*log2Pi + logDet + q), nil
}

// choleskyBlock is the block size of choleskyLower: with d = 50 (Table
// 2), 8 to 12 were fastest, 1.4 times LAPACK's unblocked factorization.
const choleskyBlock = 12

// choleskyLower factors the d x d row-major matrix a, of which it reads the
// lower triangle, in place into L with a = L L^T (lower triangle; the
// upper is left as it was), block by block: each diagonal block by the
// plain algorithm, the blocks below it by one triangular solve, the
// trailing matrix by one symmetric rank-k update. It reports whether a is
// positive definite.
func choleskyLower(a []float64, d int) bool {
	for k0 := 0; k0 < d; k0 += choleskyBlock {
		kb := min(choleskyBlock, d-k0)
		for i := k0; i < k0+kb; i++ {
			row := a[i*d : i*d+i+1]
			for j := k0; j < i; j++ {
				v := row[j]
				other := a[j*d : j*d+j]
				for l := k0; l < j; l++ {
					v -= row[l] * other[l]
				}
				row[j] = v / a[j*d+j]
			}
			v := row[i]
			for l := k0; l < i; l++ {
				v -= row[l] * row[l]
			}
			if !(v > 0) || math.IsInf(v, 0) {
				return false
			}
			row[i] = math.Sqrt(v)
		}
		rest := d - k0 - kb
		if rest == 0 {
			break
		}
		l11 := blas64.Triangular{N: kb, Stride: d, Data: a[k0*d+k0:], Uplo: blas.Lower, Diag: blas.NonUnit}
		l21 := blas64.General{Rows: rest, Cols: kb, Stride: d, Data: a[(k0+kb)*d+k0:]}
		blas64.Trsm(blas.Right, blas.Trans, 1, l11, l21)
		blas64.Syrk(blas.NoTrans, -1, l21, 1, blas64.Symmetric{N: rest, Stride: d, Data: a[(k0+kb)*d+k0+kb:], Uplo: blas.Lower})
	}
	return true
}
