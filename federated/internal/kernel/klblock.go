package kernel

import (
	"context"
	"fmt"
	"math"
	"sync"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/blas64"

	"github.com/nistgmm/nistgmm/internal/parallel"

	"github.com/nistgmm/nistgmm/federated/internal/gauss"
)

// klBlock holds KL(row_i || col_j) and KL(col_j || row_i) for every pair of
// a few row components and many column components: what a sampled search
// needs (distances from a few candidates to everything), at a cost linear
// in the number of columns. As in pairwiseByBlocks, the traces are one matrix
// product of packed covariances with packed precisions and the Mahalanobis
// terms triangular solves over differences formed first, so nothing
// cancels; the values are klGauss's up to the order of summation.
type klBlock struct {
	nr, Nc int
	fwd    []float64 // nr x nc: KL(row_i || col_j)
	Bwd    []float64 // nr x nc: KL(col_j || row_i)
}

// SmallBlockDim is the largest dimension whose Mahalanobis terms a block
// computes by plain loops rather than triangular solves.
const SmallBlockDim = 16

// klBlockChunk is the number of columns one job computes. It is fixed, so
// that every entry comes from the same products whatever the number of
// workers.
const klBlockChunk = 256

// packedGaussians returns the packed upper triangles of the covariances
// (off-diagonals doubled) and of the precisions of comps, pp entries each.
func packedGaussians(ctx context.Context, comps []*gauss.Gaussian, d, workers int) (covs, precs []float64, err error) {
	pp := d * (d + 1) / 2
	covs, precs = make([]float64, len(comps)*pp), make([]float64, len(comps)*pp)
	if err = packPrecisions(ctx, precs, comps, d, workers); err != nil {
		return nil, nil, err
	}
	for u, g := range comps {
		packCovariance(covs[u*pp:(u+1)*pp], g, d)
	}
	return covs, precs, nil
}

// packPrecisions writes the packed upper triangles of the precisions of
// comps, pp entries each, to dst. Components without their inverse are
// inverted in a buffer each worker reuses, by NewGaussian's operations (the
// same bits).
func packPrecisions(ctx context.Context, dst []float64, comps []*gauss.Gaussian, d, workers int) error {
	pp := d * (d + 1) / 2
	scratch := sync.Pool{New: func() any { s := make([]float64, 2*d*d); return &s }}
	return parallel.For(ctx, len(comps), workers, func(u int) error {
		sp := scratch.Get().(*[]float64)
		defer scratch.Put(sp)
		inv, err := comps[u].InverseUpperInto((*sp)[:d*d], (*sp)[d*d:])
		if err != nil {
			return fmt.Errorf("component %d: %w", u, err)
		}
		packUpper(dst[u*pp:(u+1)*pp], inv, d)
		return nil
	})
}

// unpackSymmetric writes the symmetric d x d matrix whose packed upper
// triangle (row by row) is packed to dst: the inverse of a component as
// NewGaussian keeps it, bit for bit, since that inverse's lower triangle is
// its upper's mirror.
func unpackSymmetric(dst, packed []float64, d int) {
	c := 0
	for i := 0; i < d; i++ {
		for j := i; j < d; j++ {
			dst[i*d+j], dst[j*d+i] = packed[c], packed[c]
			c++
		}
	}
}

// withInverse returns g with the inverse whose packed upper triangle is
// packed, unpacked into inv (d x d): g itself when it has its inverse.
func withInverse(g *gauss.Gaussian, packed, inv []float64) *gauss.Gaussian {
	if g.Inv != nil {
		return g
	}
	unpackSymmetric(inv, packed, len(g.Mean))
	return &gauss.Gaussian{Mean: g.Mean, Cov: g.Cov, LogDet: g.LogDet, Inv: inv, Upper: g.Upper}
}

// packCovariance writes g's covariance's upper triangle, row by row, with
// the off-diagonal entries doubled, to dst (d(d+1)/2 entries).
func packCovariance(dst []float64, g *gauss.Gaussian, d int) {
	c := 0
	for i := 0; i < d; i++ {
		for j := i; j < d; j++ {
			f := 1.0
			if j > i {
				f = 2
			}
			dst[c] = f * g.Cov[i*d+j]
			c++
		}
	}
}

// GaussianPack is a set of components with their packed precisions, built
// once and reused by every block against them. Their packed covariances,
// a copy with no arithmetic but the doubling of off-diagonal entries, are
// formed per chunk of columns where a block reads them: kept for the whole
// pack they would take as much memory as the precisions (100 MB at 10,000
// components in d = 50).
type GaussianPack struct {
	comps        []*gauss.Gaussian
	d            int
	precs        []float64
	meansByCoord []float64 // d x n: coordinate i of component u at i*n+u
	// chunkCovs holds the buffers of a chunk's packed covariances.
	chunkCovs sync.Pool
}

func newGaussianPack(ctx context.Context, comps []*gauss.Gaussian, workers int) (*GaussianPack, error) {
	p := &GaussianPack{comps: comps}
	if len(comps) == 0 {
		return p, nil
	}
	p.d = len(comps[0].Mean)
	var err error
	pp := p.d * (p.d + 1) / 2
	p.precs = make([]float64, len(comps)*pp)
	if err = packPrecisions(ctx, p.precs, comps, p.d, workers); err != nil {
		return nil, err
	}
	p.chunkCovs.New = func() any { s := make([]float64, klBlockChunk*pp); return &s }
	n := len(comps)
	p.meansByCoord = make([]float64, p.d*n)
	for u, g := range comps {
		for i, v := range g.Mean {
			p.meansByCoord[i*n+u] = v
		}
	}
	return p, nil
}

// packView is a set of columns for a block: the components of pack at idx
// (every component of pack, in order, when idx is nil).
type PackView struct {
	Pack *GaussianPack
	Idx  []int
}

func (v PackView) len() int {
	if v.Idx != nil {
		return len(v.Idx)
	}
	return len(v.Pack.comps)
}

// at returns the pack's index of column j.
func (v PackView) at(j int) int {
	if v.Idx != nil {
		return v.Idx[j]
	}
	return j
}

// NewKLBlock computes the block of rows against the columns of cols.
func NewKLBlock(ctx context.Context, rows []*gauss.Gaussian, cols PackView, workers int) (*klBlock, error) {
	nr, nc := len(rows), cols.len()
	b := &klBlock{nr: nr, Nc: nc, fwd: make([]float64, nr*nc), Bwd: make([]float64, nr*nc)}
	if nr == 0 || nc == 0 {
		return b, nil
	}
	r, err := newKLRows(ctx, rows, cols.Pack.d, workers)
	if err != nil {
		return nil, err
	}
	return b, r.fill(ctx, b, 0, cols, 0, nc, workers)
}

// klRows are the rows of a block with what every column needs of them:
// their factorizations and packed tables, computed once however many
// column ranges are filled.
type klRows struct {
	comps       []*gauss.Gaussian
	covs, precs []float64
}

// newKLRows prepares rows, which may come without their factorizations.
func newKLRows(ctx context.Context, rows []*gauss.Gaussian, d, workers int) (*klRows, error) {
	rows, err := gauss.RefactorAll(rows)
	if err != nil {
		return nil, fmt.Errorf("block rows: %w", err)
	}
	covs, precs, err := packedGaussians(ctx, rows, d, workers)
	if err != nil {
		return nil, fmt.Errorf("block rows: %w", err)
	}
	return &klRows{comps: rows, covs: covs, precs: precs}, nil
}

// fill computes the columns [from, to) of cols into b, whose column 0 is
// cols' column base. from is a multiple of klBlockChunk and to one too or
// the last column: every entry then comes from the chunk, hence the
// products, that a block of every column computes it with.
func (r *klRows) fill(ctx context.Context, b *klBlock, base int, cols PackView, from, to, workers int) error {
	rows, rcovs, rprecs := r.comps, r.covs, r.precs
	nr, nc := len(rows), b.Nc
	pack := cols.Pack
	d := pack.d
	pp := d * (d + 1) / 2
	n := len(pack.comps)
	chunks := (to - from + klBlockChunk - 1) / klBlockChunk
	return parallel.For(ctx, chunks, workers, func(ch int) error {
		j0 := from + ch*klBlockChunk
		j1 := min(j0+klBlockChunk, to)
		w := j1 - j0
		// The chunk's packed tables: the precisions a slice of the pack's,
		// or gathered (whole rows, contiguous) when the columns are a
		// subset; the covariances packed here, into a buffer of the pack's.
		precs := pack.precs[j0*pp:]
		if cols.Idx != nil {
			precs = make([]float64, w*pp)
			for j := 0; j < w; j++ {
				u := cols.Idx[j0+j]
				copy(precs[j*pp:(j+1)*pp], pack.precs[u*pp:(u+1)*pp])
			}
		}
		cp := pack.chunkCovs.Get().(*[]float64)
		defer pack.chunkCovs.Put(cp)
		covs := (*cp)[:w*pp]
		for j := 0; j < w; j++ {
			packCovariance(covs[j*pp:(j+1)*pp], pack.comps[cols.at(j0+j)], d)
		}
		// Traces: fwd gets tr(S_col^-1 S_row), bwd tr(S_row^-1 S_col).
		blas64.Gemm(blas.NoTrans, blas.Trans, 1,
			blas64.General{Rows: nr, Cols: pp, Stride: pp, Data: rcovs},
			blas64.General{Rows: w, Cols: pp, Stride: pp, Data: precs},
			0, blas64.General{Rows: nr, Cols: w, Stride: nc, Data: b.fwd[j0-base:]})
		blas64.Gemm(blas.NoTrans, blas.Trans, 1,
			blas64.General{Rows: nr, Cols: pp, Stride: pp, Data: rprecs},
			blas64.General{Rows: w, Cols: pp, Stride: pp, Data: covs},
			0, blas64.General{Rows: nr, Cols: w, Stride: nc, Data: b.Bwd[j0-base:]})
		// Mahalanobis terms in the metric of the second argument. In small
		// dimensions each is a loop over the precision's d^2 entries (a call
		// into the BLAS library per column would cost more than its work);
		// otherwise, for each row, ||U_row^-T (mu_col - mu_row)||^2 over the
		// chunk's columns in one solve, and for each column,
		// ||U_col^-T (mu_row - mu_col)||^2 over every row in one solve.
		if d <= SmallBlockDim {
			diff, inv := make([]float64, d), make([]float64, d*d)
			for j := j0; j < j1; j++ {
				u := cols.at(j)
				h := withInverse(pack.comps[u], pack.precs[u*pp:(u+1)*pp], inv)
				for i, g := range rows {
					for x := range diff {
						diff[x] = h.Mean[x] - g.Mean[x]
					}
					at := i*nc + j - base
					b.Bwd[at] = klValue(b.Bwd[at], g.QuadInv(diff), d, g.LogDet, h.LogDet)
					b.fwd[at] = klValue(b.fwd[at], h.QuadInv(diff), d, h.LogDet, g.LogDet)
				}
			}
			return ctx.Err()
		}
		// Mahalanobis terms in the metric of the second argument: for each
		// row, ||U_row^-T (mu_col - mu_row)||^2 over the chunk's columns in
		// one solve; for each column, ||U_col^-T (mu_row - mu_col)||^2 over
		// every row in one solve.
		y := make([]float64, d*w)
		for i, g := range rows {
			for x := 0; x < d; x++ {
				for j := 0; j < w; j++ {
					y[x*w+j] = pack.meansByCoord[x*n+cols.at(j0+j)] - g.Mean[x]
				}
			}
			blas64.Trsm(blas.Left, blas.Trans, 1, g.Upper, blas64.General{Rows: d, Cols: w, Stride: w, Data: y})
			for j := 0; j < w; j++ {
				var maha float64
				for x := 0; x < d; x++ {
					maha += y[x*w+j] * y[x*w+j]
				}
				h := pack.comps[cols.at(j0+j)]
				at := i*nc + j0 + j - base
				b.Bwd[at] = klValue(b.Bwd[at], maha, d, g.LogDet, h.LogDet)
			}
		}
		z := make([]float64, d*nr)
		factor := make([]float64, d*d)
		for j := j0; j < j1; j++ {
			h := pack.comps[cols.at(j)]
			for x := 0; x < d; x++ {
				for i, g := range rows {
					z[x*nr+i] = g.Mean[x] - h.Mean[x]
				}
			}
			upper, err := h.UpperInto(factor)
			if err != nil {
				return fmt.Errorf("block column %d: %w", cols.at(j), err)
			}
			blas64.Trsm(blas.Left, blas.Trans, 1, upper, blas64.General{Rows: d, Cols: nr, Stride: nr, Data: z})
			for i, g := range rows {
				var maha float64
				for x := 0; x < d; x++ {
					maha += z[x*nr+i] * z[x*nr+i]
				}
				at := i*nc + j - base
				b.fwd[at] = klValue(b.fwd[at], maha, d, h.LogDet, g.LogDet)
			}
		}
		return ctx.Err()
	})
}

// klValue assembles KL(p || q) from tr(S_q^-1 S_p), the Mahalanobis term in
// q's metric and the log determinants, clamped like klGauss.
func klValue(trace, maha float64, d int, logDetQ, logDetP float64) float64 {
	kl := 0.5 * (trace + maha - float64(d) + logDetQ - logDetP)
	switch {
	case math.IsNaN(kl):
		return gauss.MaxDistance
	case kl < 0: // rounding for identical components
		kl = 0
	}
	return math.Min(kl, gauss.MaxDistance)
}

// jeffreys returns KL(row_i || col_j) + KL(col_j || row_i).
func (b *klBlock) Jeffreys(i, j int) float64 {
	return math.Min(b.fwd[i*b.Nc+j]+b.Bwd[i*b.Nc+j], gauss.MaxDistance)
}
