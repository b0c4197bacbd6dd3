package mixture

import (
	"math"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/blas64"
	"gonum.org/v1/gonum/floats"
	"gonum.org/v1/gonum/mat"

	"github.com/nistgmm/nistgmm/federated/internal/gauss"
)

// The E step of penalized EM, and the bounds that let it skip work.
//
// Most of an E step is the n x K squared Mahalanobis distances
// ||(x_j - mu_k) U_k^-1||^2, one triangular solve per component. Once EM
// has settled, most observations lie so far from most components that their
// responsibility is below e^-50: too small to change the log-likelihood,
// the other responsibilities or the M step in double precision. The drift
// bounds prove this without computing the distance, the way Elkan's and
// Hamerly's k-means skip distances: after an M step moves component k from
// (mu, U) to (mu', U'),
//
//	(x - mu') U'^-1 = ((x - mu) U^-1) M + (mu - mu') U'^-1,  M = U U'^-1,
//
// so ||(x - mu') U'^-1|| >= sigma_min(M) ||(x - mu) U^-1|| - ||(mu - mu') U'^-1||,
// and sigma_min(M) = 1/||U' U^-1||_2. Each iteration shrinks the stored lower
// bounds by these two numbers per component (an O(nK) update), and a pair is
// computed only when its bound cannot put it skipGap below the row's best.

// skipGap is how far, in log density, a component must provably lie below
// the best one of an observation before the E step leaves it out. e^-50 is
// about 2e-22: below the rounding of a sum of responsibilities that is 1,
// and far below negligibleResp, under which the M step leaves an
// observation out of a scatter matrix anyway.
const skipGap = 50

// driftBounds carries what the E step knows from the previous one.
type driftBounds struct {
	lower []float64         // n x K lower bounds on ||(x_j - mu_k) U_k^-1||
	best  []int             // per row, the component of largest log joint last time
	prev  []*gauss.Gaussian // the components of the last E step; nil before the first
	k     int
	// scratch
	a      []float64 // d x d
	diff   []float64 // d
	consts []float64 // K
	rows   []int
	// computed counts the distances computed and skipped those proven
	// negligible, for tests and benchmarks.
	computed, skipped int
}

func newDriftBounds(n, d, k int) *driftBounds {
	return &driftBounds{lower: make([]float64, n*k), best: make([]int, n), k: k,
		a: make([]float64, d*d), diff: make([]float64, d), consts: make([]float64, k), rows: make([]int, 0, n)}
}

// eStep computes the penalized log-likelihood of mix and leaves the
// responsibilities w_jk in s.lj. With s.bounds set, consecutive calls must
// score consecutive EM iterates on the same data.
func (s *emState) eStep(mix *Mixture) (float64, error) {
	return s.score(mix, s.bounds)
}

// penalizedLogLik scores any mixture (a k-means start, say) with every
// density computed; it leaves its responsibilities in s.lj.
func (s *emState) penalizedLogLik(mix *Mixture) (float64, error) {
	return s.score(mix, nil)
}

func (s *emState) score(mix *Mixture, b *driftBounds) (float64, error) {
	comps, err := gauss.FactorComponents(mix.Weights, mix.Means, mix.Covs, gauss.FactorGaussian)
	if err != nil {
		return 0, err
	}
	if b == nil || b.prev == nil {
		logJointDist(s.xt, comps, mix.Weights, s.workT, s.lj, s.dist, b)
	} else {
		s.boundedLogJoint(comps, mix.Weights, b)
	}
	var ll float64
	raw := s.lj.RawMatrix()
	for j := 0; j < s.n; j++ {
		row := raw.Data[j*raw.Stride : j*raw.Stride+s.k]
		lse := floats.LogSumExp(row)
		ll += lse
		for k := range row {
			row[k] = math.Exp(row[k] - lse)
		}
	}
	return ll - s.penalty(comps), nil
}

// penalty returns a_n sum_k {tr(Sigma_k^-1 S_x) + log det Sigma_k}, with
// tr(Sigma^-1 S_x) = ||R U^-1||_F^2 for S_x = R^T R and Sigma = U^T U.
func (s *emState) penalty(comps []*gauss.Gaussian) float64 {
	var p float64
	d := s.d
	for _, g := range comps {
		copy(s.square, s.sxUpper)
		blas64.Trsm(blas.Right, blas.NoTrans, 1, g.Upper, blas64.General{Rows: d, Cols: d, Stride: d, Data: s.square})
		var tr float64
		for i := 0; i < d; i++ {
			row := s.square[i*d+i : i*d+d] // R U^-1 is upper triangular
			tr += floats.Dot(row, row)
		}
		p += tr + g.LogDet
	}
	return s.an * p
}

// logJointDist is logJoint for the transposed data xt (d x n) with
// caller-owned scratch work (d x n) and dist (n); with b set it also starts
// b's bounds from the distances.
func logJointDist(xt blas64.General, comps []*gauss.Gaussian, weights []float64, work []float64, out *mat.Dense, dist []float64, b *driftBounds) {
	d, n := xt.Rows, xt.Cols
	K := len(comps)
	or := out.RawMatrix()
	for k, g := range comps {
		mahalanobis(xt, g, nil, work, dist)
		c := math.Log(weights[k]) - 0.5*(float64(d)*gauss.Log2Pi+g.LogDet)
		for j := 0; j < n; j++ {
			or.Data[j*or.Stride+k] = c - 0.5*dist[j]
		}
		if b != nil {
			for j := 0; j < n; j++ {
				b.lower[j*K+k] = safeRoot(dist[j])
			}
		}
	}
	if b != nil {
		b.computed += n * K
		b.finish(out, comps)
	}
}

// boundedLogJoint fills s.lj like logJoint, with -Inf for the pairs the
// bounds prove negligible. Each row's previous best component is computed
// first, then the others its bound cannot rule out.
func (s *emState) boundedLogJoint(comps []*gauss.Gaussian, weights []float64, b *driftBounds) {
	n, K := s.n, s.k
	lj := s.lj.RawMatrix()
	for k, g := range comps {
		b.consts[k] = math.Log(weights[k]) - 0.5*(float64(s.d)*gauss.Log2Pi+g.LogDet)
		shrink, shift := b.drift(b.prev[k], g)
		for j := 0; j < n; j++ {
			l := b.lower[j*K+k]*shrink - shift
			if l < 0 {
				l = 0
			}
			b.lower[j*K+k] = l
		}
	}
	for k, g := range comps {
		rows := b.rows[:0]
		for j := 0; j < n; j++ {
			if b.best[j] == k {
				rows = append(rows, j)
			}
		}
		s.fillRows(g, k, rows, b)
	}
	for k, g := range comps {
		rows := b.rows[:0]
		for j := 0; j < n; j++ {
			if b.best[j] == k {
				continue
			}
			l := b.lower[j*K+k]
			if b.consts[k]-0.5*l*l < lj.Data[j*lj.Stride+b.best[j]]-skipGap {
				lj.Data[j*lj.Stride+k] = math.Inf(-1)
				b.skipped++
				continue
			}
			rows = append(rows, j)
		}
		s.fillRows(g, k, rows, b)
	}
	b.finish(s.lj, comps)
}

// fillRows computes the log joint of component k for the given rows and
// resets their bounds to the exact distances.
func (s *emState) fillRows(g *gauss.Gaussian, k int, rows []int, b *driftBounds) {
	b.rows = rows
	if len(rows) == 0 {
		return
	}
	mahalanobis(s.xt, g, rows, s.workT, s.dist)
	lj := s.lj.RawMatrix()
	for a, j := range rows {
		lj.Data[j*lj.Stride+k] = b.consts[k] - 0.5*s.dist[a]
		b.lower[j*b.k+k] = safeRoot(s.dist[a])
	}
	b.computed += len(rows)
}

// finish records each row's best component and the components the bounds
// now refer to.
func (b *driftBounds) finish(lj *mat.Dense, comps []*gauss.Gaussian) {
	raw := lj.RawMatrix()
	for j := range b.best {
		b.best[j] = floats.MaxIdx(raw.Data[j*raw.Stride : j*raw.Stride+b.k])
	}
	b.prev = comps
}

// drift returns how much the move from component old to component cur can
// shrink a Mahalanobis norm: the new norm is at least shrink times the old
// one minus shift. shrink bounds sigma_min(U_old U_cur^-1) from below by
// 1/min(1 + ||A - I||_F, sqrt(||A||_1 ||A||_inf)) with A = U_cur U_old^-1,
// and shift is ||(mu_old - mu_cur) U_cur^-1||; both carry a margin for
// rounding.
func (b *driftBounds) drift(old, cur *gauss.Gaussian) (shrink, shift float64) {
	d := len(cur.Mean)
	copy(b.a, cur.Upper.Data)
	blas64.Trsm(blas.Right, blas.NoTrans, 1, old.Upper, blas64.General{Rows: d, Cols: d, Stride: d, Data: b.a})
	var fro, maxRow, maxCol float64
	for i := 0; i < d; i++ {
		var row, col float64
		for j := 0; j < d; j++ {
			v := b.a[i*d+j]
			if i == j {
				fro += (v - 1) * (v - 1)
			} else {
				fro += v * v
			}
			row += math.Abs(v)
			col += math.Abs(b.a[j*d+i])
		}
		maxRow, maxCol = math.Max(maxRow, row), math.Max(maxCol, col)
	}
	norm := math.Min(1+math.Sqrt(fro), math.Sqrt(maxRow*maxCol))
	for i := range b.diff {
		b.diff[i] = old.Mean[i] - cur.Mean[i]
	}
	// Row vector diff^T U^-1 is (U^-T diff)^T.
	blas64.Trsv(blas.Trans, cur.Upper, blas64.Vector{N: d, Inc: 1, Data: b.diff})
	shift = floats.Norm(b.diff, 2)
	if math.IsNaN(norm) || math.IsInf(norm, 0) || math.IsNaN(shift) || math.IsInf(shift, 0) {
		return 0, 0 // no information: every bound drops to 0
	}
	return (1 - 1e-12) / norm, shift * (1 + 1e-12)
}

// safeRoot is the square root of a computed squared distance, lowered by a
// margin for its rounding, so that it stays a lower bound.
func safeRoot(sq float64) float64 {
	if !(sq > 0) {
		return 0
	}
	return math.Sqrt(sq) * (1 - 1e-12)
}

// mahalanobis writes into dist[a] the squared Mahalanobis distance to g of
// observation rows[a], or of observation a when rows is nil, given the
// observations as the columns of xt (d x n, the transposed data: the
// triangular solve runs about twice as fast with the observations along
// rows than with one observation per row). work holds d x len(rows).
func mahalanobis(xt blas64.General, g *gauss.Gaussian, rows []int, work, dist []float64) {
	d, n := xt.Rows, len(rows)
	if rows == nil {
		n = xt.Cols
	}
	for i := 0; i < d; i++ {
		src := xt.Data[i*xt.Stride : i*xt.Stride+xt.Cols]
		dst := work[i*n : i*n+n]
		m := g.Mean[i]
		if rows == nil {
			for a, v := range src {
				dst[a] = v - m
			}
		} else {
			for a, j := range rows {
				dst[a] = src[j] - m
			}
		}
	}
	// Column a of work is x - mu, and U^-T (x - mu) has squared norm the
	// Mahalanobis distance since Sigma = U^T U.
	blas64.Trsm(blas.Left, blas.Trans, 1, g.Upper, blas64.General{Rows: d, Cols: n, Stride: n, Data: work})
	dist = dist[:n]
	for a := range dist {
		dist[a] = 0
	}
	// Four coordinates per pass over dist.
	i := 0
	for ; i+4 <= d; i += 4 {
		r0, r1, r2, r3 := work[i*n:i*n+n], work[(i+1)*n:(i+1)*n+n], work[(i+2)*n:(i+2)*n+n], work[(i+3)*n:(i+3)*n+n]
		for a := range dist {
			v0, v1, v2, v3 := r0[a], r1[a], r2[a], r3[a]
			dist[a] += (v0*v0 + v1*v1) + (v2*v2 + v3*v3)
		}
	}
	for ; i < d; i++ {
		for a, v := range work[i*n : i*n+n] {
			dist[a] += v * v
		}
	}
}
