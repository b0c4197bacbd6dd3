package kernel

import (
	"context"
	"fmt"
	"math"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/blas64"

	"github.com/nistgmm/nistgmm/internal/parallel"

	"github.com/nistgmm/nistgmm/federated/internal/gauss"
)

// componentKL holds KL(phi_u || phi_v) for every ordered pair of the
// components of a set of mixtures, which the transportation divergences
// need pair by pair. Computed together, its two parts are matrix products:
//
//	2 KL(u || v) = tr(Sigma_v^-1 Sigma_u) + ||U_v^-T (mu_u - mu_v)||^2 - d + log det Sigma_v - log det Sigma_u,
//
// the traces as one product of the packed covariances with the packed
// precisions, and the Mahalanobis terms by one triangular solve per v over
// every difference mu_u - mu_v (formed first, so nothing cancels). The
// values are klGauss's up to the order of summation.
type componentKL struct {
	offset []int     // first component of each mixture
	n      int       // components in all
	kl     []float64 // n x n, row u, column v
}

// maxComponentKL bounds the components for which the table is built (its
// memory grows as the square); above it the pairs are computed one by one.
const MaxComponentKL = 4000

func newComponentKL(ctx context.Context, preps []*DistanceInput, workers int) (*componentKL, error) {
	t := &componentKL{offset: make([]int, len(preps))}
	var all []*gauss.Gaussian
	for i, p := range preps {
		t.offset[i] = len(all)
		all = append(all, p.Comps...)
	}
	t.n = len(all)
	t.kl = make([]float64, t.n*t.n)
	if err := t.compute(ctx, all, workers); err != nil {
		return nil, err
	}
	return t, nil
}

// compute fills the table: one product of the packed covariances with the
// packed precisions for the traces, then one triangular solve per column.
// The components may come without their factorizations (gauss.Light): each
// is factorized again where its inverse or factor is read (the same bits as
// when it was validated), and no more than the workers' few are held at
// once, so that what the table needs beyond the estimates is itself and the
// two packed tables.
func (t *componentKL) compute(ctx context.Context, all []*gauss.Gaussian, workers int) error {
	n := t.n
	d := len(all[0].Mean)
	pp := d * (d + 1) / 2
	// Packed upper triangles, covariances' off-diagonals doubled.
	covs, precs := make([]float64, n*pp), make([]float64, n*pp)
	err := parallel.For(ctx, n, workers, func(u int) error {
		g, err := all[u].Refactored()
		if err != nil {
			return fmt.Errorf("component %d: %w", u, err)
		}
		packCovariance(covs[u*pp:(u+1)*pp], g, d)
		packPrecision(precs[u*pp:(u+1)*pp], g, d)
		return nil
	})
	if err != nil {
		return err
	}
	blas64.Gemm(blas.NoTrans, blas.Trans, 1, blas64.General{Rows: n, Cols: pp, Stride: pp, Data: covs},
		blas64.General{Rows: n, Cols: pp, Stride: pp, Data: precs}, 0, blas64.General{Rows: n, Cols: n, Stride: n, Data: t.kl})
	// Each job owns column v: the solves write only there.
	return parallel.For(ctx, n, workers, func(v int) error {
		g, err := all[v].Factored()
		if err != nil {
			return fmt.Errorf("component %d: %w", v, err)
		}
		t.mahalanobis(all, v, g, make([]float64, d*n))
		return nil
	})
}

// mahalanobis completes column v of the table, which holds the traces: g
// is component v with its Cholesky factor, y scratch of d x n.
func (t *componentKL) mahalanobis(all []*gauss.Gaussian, v int, g *gauss.Gaussian, y []float64) {
	n, d := t.n, len(g.Mean)
	for u, h := range all { // column u: mu_u - mu_v
		for i := 0; i < d; i++ {
			y[i*n+u] = h.Mean[i] - g.Mean[i]
		}
	}
	blas64.Trsm(blas.Left, blas.Trans, 1, g.Upper, blas64.General{Rows: d, Cols: n, Stride: n, Data: y})
	for u, h := range all {
		var maha float64
		for i := 0; i < d; i++ {
			maha += y[i*n+u] * y[i*n+u]
		}
		kl := 0.5 * (t.kl[u*n+v] + maha - float64(d) + g.LogDet - h.LogDet)
		if kl < 0 { // rounding for identical components
			kl = 0
		}
		t.kl[u*n+v] = math.Min(kl, gauss.MaxDistance)
	}
}

// at returns KL(component k of mixture a || component l of mixture b).
func (t *componentKL) at(a, k, b, l int) float64 {
	return t.kl[(t.offset[a]+k)*t.n+t.offset[b]+l]
}
