package kernel

import (
	"context"
	"fmt"
	"sync"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/blas64"
	"gonum.org/v1/gonum/mat"

	"github.com/nistgmm/nistgmm/internal/parallel"

	"github.com/nistgmm/nistgmm/federated/internal/gauss"
)

// The transportation divergences need KL(phi_u || phi_v) for every ordered
// pair of components of two mixtures. Computed for many components
// together, its parts are matrix products:
//
//	2 KL(u || v) = tr(Sigma_v^-1 Sigma_u) + ||U_v^-T (mu_u - mu_v)||^2 - d + log det Sigma_v - log det Sigma_u,
//
// the traces as a product of packed covariances with packed precisions, and
// the Mahalanobis terms by one triangular solve per v over every difference
// mu_u - mu_v (formed first, so nothing cancels). The values are klGauss's
// up to the order of summation.
//
// The mixtures are taken in blocks of whole mixtures, and the KL values
// between two blocks, in both directions, are computed, used for every pair
// of their mixtures and dropped: what the divergences need beyond the
// estimates is two blocks' packed tables and their KL values, not a table
// over all components (which grows as the square of their number: 32 MB for
// 200 mixtures of 10 components) nor packed tables of every component (as
// large as the covariances). Each entry of a product is a dot product of
// one packed row with another, whatever the block it is computed in.

// MaxComponentKL bounds the components for which the divergences are read
// from KL values computed block by block; above it the pairs are computed
// one by one.
const MaxComponentKL = 4000

// klBlockBytes bounds the packed tables of one block (covariances and
// precisions, as if both were kept: a block keeps its precisions and packs
// its covariances a chunk of rows at a time where a product reads them); a
// block holds at least one mixture. It is fixed, so that the blocks, hence
// every product, are the same whatever the number of workers.
const klBlockBytes = 8 << 20

// klRowChunkBytes bounds the packed covariances one product of klBetween
// reads, so that a block no longer keeps a table of covariances as large as
// its precisions' (4 MB of a block's 8 in d = 50). A chunk is never a
// product of fewer than klMinChunkProduct multiplications: the BLAS
// library sums small products with other kernels than large ones, whose
// entries do not depend on the number of rows (measured on this machine:
// the chunked rounds give the bits of the unchunked ones). In small
// dimensions a block's covariances fit in one chunk, and its product is
// the one it was.
const (
	klRowChunkBytes   = 1 << 20
	klMinChunkProduct = 1 << 22
)

// klBlockComponents bounds the components of one block, so that the KL
// values between two blocks (2 x 8 bytes a pair) stay within 8 MB in small
// dimensions too, where the packed tables are small and the components
// many. In dimension 50 the packed tables bound a block first (410
// components).
const klBlockComponents = 512

// klTableBlock is a run of whole mixtures with their components' packed
// precisions.
type klTableBlock struct {
	first, end int   // mixtures [first, end)
	offset     []int // first component of each mixture, in the block
	comps      []*gauss.Gaussian
	precs      []float64
}

// tableBlocks splits preps into runs of whole mixtures (one at least) whose
// packed tables take at most budget bytes and which hold at most
// klBlockComponents components.
func tableBlocks(preps []*DistanceInput, budget int) [][2]int {
	d := len(preps[0].Comps[0].Mean)
	perComponent := 2 * 8 * d * (d + 1) / 2
	var blocks [][2]int
	first, comps := 0, 0
	for i, p := range preps {
		n := comps + len(p.Comps)
		if i > first && (n*perComponent > budget || n > klBlockComponents) {
			blocks = append(blocks, [2]int{first, i})
			first, comps = i, 0
		}
		comps += len(p.Comps)
	}
	return append(blocks, [2]int{first, len(preps)})
}

// newKLTableBlock packs the components of mixtures [first, end). The
// components may come without their factorizations (gauss.Light): each is
// factorized again here, in a buffer each worker reuses (the same bits as
// when it was validated), and the factorization dropped once packed.
//
// The block's tables are those of reuse when it is not nil (their old
// contents overwritten): the column blocks of a row block are packed one
// after another into the same storage.
func newKLTableBlock(ctx context.Context, preps []*DistanceInput, first, end, workers int, reuse *klTableBlock) (*klTableBlock, error) {
	b := &klTableBlock{first: first, end: end, offset: make([]int, end-first)}
	if reuse != nil {
		b.comps, b.precs = reuse.comps[:0], reuse.precs
	}
	for i := first; i < end; i++ {
		b.offset[i-first] = len(b.comps)
		b.comps = append(b.comps, preps[i].Comps...)
	}
	n, d := len(b.comps), len(b.comps[0].Mean)
	pp := d * (d + 1) / 2
	b.precs = grow(b.precs, n*pp)
	if err := packPrecisions(ctx, b.precs, b.comps, d, workers); err != nil {
		return nil, fmt.Errorf("mixtures %d-%d: %w", first, end-1, err)
	}
	return b, nil
}

// grow returns s with length n, reallocated only when its capacity is
// short.
func grow(s []float64, n int) []float64 {
	if cap(s) < n {
		return make([]float64, n)
	}
	return s[:n]
}

// packUpper writes the upper triangle of the d x d matrix a, row by row,
// to dst (d(d+1)/2 entries).
func packUpper(dst, a []float64, d int) {
	c := 0
	for i := 0; i < d; i++ {
		c += copy(dst[c:], a[i*d+i:(i+1)*d])
	}
}

// klBetween returns KL(row u || column v) for every component u of rows
// and v of cols, row-major: the traces as one product, then one triangular
// solve per column. Each job owns a column.
func klBetween(ctx context.Context, rows, cols *klTableBlock, workers int) ([]float64, error) {
	nr, nc := len(rows.comps), len(cols.comps)
	d := len(rows.comps[0].Mean)
	pp := d * (d + 1) / 2
	kl := make([]float64, nr*nc)
	chunk := max(1, klRowChunkBytes/(8*pp), klMinChunkProduct/(nc*pp)+1)
	covs := make([]float64, min(nr, chunk)*pp)
	for u0 := 0; u0 < nr; u0 += chunk {
		u1 := min(u0+chunk, nr)
		for u := u0; u < u1; u++ {
			packCovariance(covs[(u-u0)*pp:(u-u0+1)*pp], rows.comps[u], d)
		}
		blas64.Gemm(blas.NoTrans, blas.Trans, 1, blas64.General{Rows: u1 - u0, Cols: pp, Stride: pp, Data: covs},
			blas64.General{Rows: nc, Cols: pp, Stride: pp, Data: cols.precs}, 0, blas64.General{Rows: u1 - u0, Cols: nc, Stride: nc, Data: kl[u0*nc:]})
		if err := ctx.Err(); err != nil {
			return nil, err
		}
	}
	// Scratch of d x nr per job, reused: a new one per column would be
	// garbage of d x (components)^2 floats per product.
	scratch := sync.Pool{New: func() any { y := make([]float64, d*nr+d*d); return &y }}
	err := parallel.For(ctx, nc, workers, func(v int) error {
		yp := scratch.Get().(*[]float64)
		defer scratch.Put(yp)
		y := (*yp)[:d*nr]
		g := cols.comps[v]
		upper, err := g.UpperInto((*yp)[d*nr:])
		if err != nil {
			return fmt.Errorf("component %d of mixtures %d-%d: %w", v, cols.first, cols.end-1, err)
		}
		for u, h := range rows.comps { // column u: mu_u - mu_v
			for i := 0; i < d; i++ {
				y[i*nr+u] = h.Mean[i] - g.Mean[i]
			}
		}
		blas64.Trsm(blas.Left, blas.Trans, 1, upper, blas64.General{Rows: d, Cols: nr, Stride: nr, Data: y})
		for u, h := range rows.comps {
			var maha float64
			for i := 0; i < d; i++ {
				maha += y[i*nr+u] * y[i*nr+u]
			}
			kl[u*nc+v] = klValue(kl[u*nc+v], maha, d, g.LogDet, h.LogDet)
		}
		return nil
	})
	return kl, err
}

// blockPairKL holds the KL values between the components of two blocks (the
// same block twice for the pairs inside one).
type blockPairKL struct {
	a, b     *klTableBlock
	fwd, bwd []float64 // KL(a's u || b's v) at u*nb+v; KL(b's v || a's u) at v*na+u
}

// at returns KL(component k of mixture i || component l of mixture j), i
// and j each in a or b.
func (p *blockPairKL) at(i, k, j, l int) float64 {
	na, nb := len(p.a.comps), len(p.b.comps)
	inA := func(x int) bool { return x >= p.a.first && x < p.a.end }
	switch {
	case inA(i) && j >= p.b.first && j < p.b.end:
		return p.fwd[(p.a.offset[i-p.a.first]+k)*nb+p.b.offset[j-p.b.first]+l]
	default: // i in b, j in a
		return p.bwd[(p.b.offset[i-p.b.first]+k)*na+p.a.offset[j-p.a.first]+l]
	}
}

// pairwiseByBlocks fills out with the transported divergence kind between
// every ordered pair of preps (both entries of a symmetric pair), block
// pair by block pair, each block's packed tables within budget bytes. Each entry depends only on its two mixtures' rows of
// the products, so the result is the same for any number of workers.
func pairwiseByBlocks(ctx context.Context, preps []*DistanceInput, kind distanceKind, workers, budget int, out *mat.Dense) error {
	mirror := kind.symmetric && !kind.sumTranspose
	spans := tableBlocks(preps, budget)
	var spare *klTableBlock // the column blocks' storage, reused
	for x, sa := range spans {
		a, err := newKLTableBlock(ctx, preps, sa[0], sa[1], workers, nil)
		if err != nil {
			return err
		}
		for _, sb := range spans[x:] {
			p := &blockPairKL{a: a, b: a}
			if sb != sa {
				if p.b, err = newKLTableBlock(ctx, preps, sb[0], sb[1], workers, spare); err != nil {
					return err
				}
				spare = p.b
			}
			if p.fwd, err = klBetween(ctx, p.a, p.b, workers); err != nil {
				return err
			}
			p.bwd = p.fwd
			if sb != sa {
				if p.bwd, err = klBetween(ctx, p.b, p.a, workers); err != nil {
					return err
				}
			}
			// One job per mixture i of a; it writes the entries (i, j) and
			// (j, i) for the j of b after i, which no other job writes.
			err = parallel.For(ctx, sa[1]-sa[0], workers, func(r int) error {
				i := sa[0] + r
				tr := newTransport()
				for j := max(sb[0], i+1); j < sb[1]; j++ {
					v, err := ctdFromBlocks(p, preps, i, j, kind.jeffreys, tr)
					if err != nil {
						return fmt.Errorf("D(%d, %d): %w", i, j, err)
					}
					out.Set(i, j, v)
					if mirror {
						out.Set(j, i, v)
						continue
					}
					if v, err = ctdFromBlocks(p, preps, j, i, kind.jeffreys, tr); err != nil {
						return fmt.Errorf("D(%d, %d): %w", j, i, err)
					}
					out.Set(j, i, v)
				}
				return nil
			})
			if err != nil {
				return err
			}
		}
	}
	return nil
}

// ctdFromBlocks is ctd with the component costs read from a block pair.
func ctdFromBlocks(p *blockPairKL, preps []*DistanceInput, a, b int, jeffreys bool, tr *transport) (float64, error) {
	ka, kb := len(preps[a].Comps), len(preps[b].Comps)
	cost := tr.cost(ka, kb)
	for k := 0; k < ka; k++ {
		for l := 0; l < kb; l++ {
			c := p.at(a, k, b, l)
			if jeffreys {
				c += p.at(b, l, a, k)
			}
			cost[k*kb+l] = min(c, gauss.MaxDistance)
		}
	}
	return tr.solve(preps[a].weights, preps[b].weights)
}
