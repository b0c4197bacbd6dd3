package kernel

import (
	"math"
	"sync"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/blas64"

	"github.com/nistgmm/nistgmm/federated/internal/gauss"
)

// assignTable finds, for many atoms at once, the centre of least KL(atom ||
// centre), which the reductions (GMR's MM and TRIM) ask for at every
// iteration. Writing c for a common centring point, mu~ = mu - c, and
// P = Sigma_centre^-1,
//
//	2 KL(atom || centre) = <P, Sigma_atom + mu~_atom mu~_atom^T> - 2 mu~_atom^T P mu~_centre
//	                       + mu~_centre^T P mu~_centre - d + log det Sigma_centre - log det Sigma_atom,
//
// so the costs of every atom to every centre are one matrix product of a
// per-atom table (built once per reduction) with a per-centre table, instead
// of a loop of d x d products per pair. The product only screens: the
// centres within a small window of the least screened cost are then
// compared by the exact klGauss, so the assignment and its cost are the
// exact ones (ties to the lower index), as without the table.
type AssignTable struct {
	Atoms  []Atom
	d, p   int // dimension; columns d(d+1)/2 + d
	logDet []float64
	centre []float64
	// tiles holds the buffers of a tile (rows and scores), reused by the
	// assignments, which may run concurrently (one per start).
	tiles sync.Pool
}

// assignTile is the scratch of one assignment's tiles.
type assignTile struct{ rows, scores, cols, shift, mu []float64 }

// screenWindow is the relative margin within which screened costs are
// rechecked exactly: far above the product's rounding error (about 1e-13
// of the terms), far below any real difference that matters.
const screenWindow = 1e-7

// assignTileAtoms is the number of atoms whose rows are formed and
// screened at once: the per-atom table is formed again a tile at a time at
// every assignment (a few milliseconds for 2,000 atoms in d = 50) rather
// than kept, which would be as large as the atoms' covariances.
const assignTileAtoms = 256

func NewAssignTable(atoms []Atom) *AssignTable {
	if len(atoms) == 0 {
		return &AssignTable{}
	}
	d := len(atoms[0].G.Mean)
	t := &AssignTable{Atoms: atoms, d: d, p: d*(d+1)/2 + d, centre: make([]float64, d)}
	for _, a := range atoms {
		for i, v := range a.G.Mean {
			t.centre[i] += v / float64(len(atoms))
		}
	}
	t.logDet = make([]float64, len(atoms))
	for r, a := range atoms {
		t.logDet[r] = a.G.LogDet
	}
	return t
}

// formRows writes the rows of atoms [first, first+tile) to rows: packed
// second moments about the centring point, then centred means.
func (t *AssignTable) formRows(first, tile int, rows, mu []float64) {
	d := t.d
	for r := 0; r < tile; r++ {
		a := t.Atoms[first+r]
		row := rows[r*t.p : (r+1)*t.p]
		for i := range mu {
			mu[i] = a.G.Mean[i] - t.centre[i]
		}
		c := 0
		for i := 0; i < d; i++ {
			for j := i; j < d; j++ {
				v := a.G.Cov[i*d+j] + mu[i]*mu[j]
				if j > i {
					v *= 2 // the off-diagonal pair (i, j) and (j, i)
				}
				row[c] = v
				c++
			}
		}
		copy(row[c:], mu)
	}
}

// assignNearest assigns every atom to the centre of least KL cost (ties to
// the lower index) and records that cost.
func (t *AssignTable) AssignNearest(centers []*gauss.Gaussian, assign []int, cost, diff []float64) {
	n, K, d, p := len(t.Atoms), len(centers), t.d, t.p
	if n == 0 {
		return
	}
	tileCap := min(n, assignTileAtoms)
	sc, _ := t.tiles.Get().(*assignTile)
	if sc == nil || len(sc.cols) != p*K {
		sc = &assignTile{rows: make([]float64, tileCap*p), scores: make([]float64, tileCap*K),
			cols: make([]float64, p*K), shift: make([]float64, K), mu: make([]float64, d)}
	}
	defer t.tiles.Put(sc)
	cols := sc.cols   // p x K
	shift := sc.shift // mu~^T P mu~ - d + log det, per centre
	mu := sc.mu
	for k, g := range centers {
		for i := range mu {
			mu[i] = g.Mean[i] - t.centre[i]
		}
		c := 0
		for i := 0; i < d; i++ {
			for j := i; j < d; j++ {
				cols[c*K+k] = g.Inv[i*d+j]
				c++
			}
		}
		var quad float64
		for i := 0; i < d; i++ {
			var pm float64
			for j := 0; j < d; j++ {
				pm += g.Inv[i*d+j] * mu[j]
			}
			cols[(c+i)*K+k] = -2 * pm
			quad += mu[i] * pm
		}
		shift[k] = quad - float64(d) + g.LogDet
	}
	rows, scores := sc.rows, sc.scores
	for first := 0; first < n; first += tileCap {
		tile := min(tileCap, n-first)
		t.formRows(first, tile, rows, mu)
		blas64.Gemm(blas.NoTrans, blas.NoTrans, 1,
			blas64.General{Rows: tile, Cols: p, Stride: p, Data: rows},
			blas64.General{Rows: p, Cols: K, Stride: K, Data: cols},
			0, blas64.General{Rows: tile, Cols: K, Stride: K, Data: scores})
		for r := 0; r < tile; r++ {
			t.assignOne(first+r, scores[r*K:(r+1)*K], shift, centers, assign, cost, diff)
		}
	}
}

// assignOne assigns atom a from its screened scores: the centres within
// the window of the least are compared by the exact klGauss.
func (t *AssignTable) assignOne(a int, row, shift []float64, centers []*gauss.Gaussian, assign []int, cost, diff []float64) {
	least := math.Inf(1)
	for k := range row {
		row[k] = 0.5 * (row[k] + shift[k] - t.logDet[a])
		least = math.Min(least, row[k])
	}
	window := screenWindow * math.Max(1, math.Abs(least))
	best, bestC := 0, math.Inf(1)
	for k, v := range row {
		if v > least+window || math.IsNaN(v) {
			continue
		}
		if exact := gauss.KlGauss(t.Atoms[a].G, centers[k], diff); exact < bestC {
			best, bestC = k, exact
		}
	}
	if math.IsInf(bestC, 1) { // every screened cost was NaN: fall back to the exact scan
		for k, c := range centers {
			if v := gauss.KlGauss(t.Atoms[a].G, c, diff); v < bestC {
				best, bestC = k, v
			}
		}
	}
	assign[a], cost[a] = best, bestC
}

// atom is one component of the averaged mixture with its mass lambda_i w_ik.
type Atom struct {
	G       *gauss.Gaussian
	Mass    float64
	Machine int
}
