package mixture

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"sort"

	"gonum.org/v1/gonum/mat"
)

// DefaultPenaltyGrid is the default set of candidate c in a_n = c n^(-1/2):
// half-decades from the paper's 1 upwards. On n = 500 and n = 1,200 slices
// of the digit features the held-out likelihood rises from c = 1 to a peak
// in the hundreds; the top of the grid leaves room above that peak.
func DefaultPenaltyGrid() []float64 { return []float64{1, 3, 10, 30, 100, 300, 1000} }

// PenaltySearch chooses the penalty's constant c on one machine's own data:
// for every candidate, penalized EM is fitted on all folds but one of a
// random split and scored by the log-likelihood of the fold left out; the
// candidate with the highest total wins (ties to the smaller c). It needs
// no labels and nothing from other machines, so every machine can run it.
//
// Why: with a_n = n^(-1/2) and a few hundred points in 50 dimensions, the
// ten covariances are barely regularized and the fits overfit badly;
// Chen and Tan's consistency holds for any constant, so the data may pick it.
type PenaltySearch struct {
	// Grid lists the candidate c; nil means DefaultPenaltyGrid.
	Grid []float64
	// Folds is the number of folds; 0 means 3.
	Folds int
	// MaxSample caps the observations used for the search (a random subset
	// when the sample is larger); 0 means 1,000. The chosen c is then used
	// with the full sample size in a_n, which keeps the cost of the search
	// independent of n.
	MaxSample int
}

// Validate reports a search that cannot run.
func (p *PenaltySearch) Validate() error {
	for _, c := range p.Grid {
		if !(c > 0) || math.IsInf(c, 0) {
			return fmt.Errorf("penalty search: candidate %v is not a finite number > 0", c)
		}
	}
	switch {
	case p.Folds < 0 || p.Folds == 1:
		return fmt.Errorf("penalty search: %d folds, want at least 2 (0 for the default 3)", p.Folds)
	case p.MaxSample < 0:
		return fmt.Errorf("penalty search: sample cap %d is negative", p.MaxSample)
	}
	return nil
}

func (p *PenaltySearch) grid() []float64 {
	if len(p.Grid) > 0 {
		return p.Grid
	}
	return DefaultPenaltyGrid()
}

func (p *PenaltySearch) folds() int {
	if p.Folds > 0 {
		return p.Folds
	}
	return 3
}

func (p *PenaltySearch) maxSample() int {
	if p.MaxSample > 0 {
		return p.MaxSample
	}
	return 1000
}

// choose returns the chosen c and the held-out log-likelihood per
// observation of every candidate (NaN when not fitted). Each fold's fits share one k-means++
// start, so the candidates differ only in c.
func (p *PenaltySearch) choose(ctx context.Context, e *EM, X *mat.Dense, rng *rand.Rand) (float64, []float64, error) {
	n, _ := X.Dims()
	folds := p.folds()
	idx := rng.Perm(n)
	if len(idx) > p.maxSample() {
		idx = idx[:p.maxSample()]
	}
	if len(idx)/folds*(folds-1) < e.K || len(idx)/folds < 1 {
		return 0, nil, fmt.Errorf("penalty search: %d observations are too few for %d folds and %d components; use a fixed penalty scale instead", len(idx), folds, e.K)
	}
	grid := p.grid()
	type fold struct {
		train, test *mat.Dense
		seed        uint64
		labels      []int // k-means of train: the start of every candidate
	}
	fs := make([]fold, folds)
	for f := range fs {
		var train, test []int
		for a, i := range idx {
			if a%folds == f {
				test = append(test, i)
			} else {
				train = append(train, i)
			}
		}
		fs[f] = fold{train: rowsOf(X, train), test: rowsOf(X, test), seed: rng.Uint64()}
	}
	// score is the held-out log-likelihood per observation of candidate c.
	score := func(c float64) (float64, error) {
		var total float64
		for i := range fs {
			f := &fs[i]
			if err := ctx.Err(); err != nil {
				return 0, err
			}
			rng := rand.New(rand.NewPCG(f.seed, 0))
			if f.labels == nil {
				f.labels = kmeans(f.train, e.K, rng, 20)
			}
			sub := &EM{K: e.K, PenaltyScale: c, Restarts: 1, Tol: 1e-4, MaxIter: 100, startLabels: f.labels}
			mix, _, err := sub.Fit(ctx, f.train, rng)
			if err != nil {
				return math.Inf(-1), nil
			}
			ld, err := mix.LogDensity(f.test)
			if err != nil {
				return 0, err
			}
			for _, v := range ld {
				total += v
			}
		}
		return total / float64(len(idx)), nil
	}
	// Walk down from the largest candidate (the cheapest fits) and stop
	// once the score has fallen twice in a row: the held-out likelihood is
	// unimodal in c in every case we measured, and the small c, whose fits
	// take the most iterations, are then never fitted.
	order := make([]int, len(grid))
	for g := range order {
		order[g] = g
	}
	sort.SliceStable(order, func(a, b int) bool { return grid[order[a]] > grid[order[b]] })
	scores := make([]float64, len(grid))
	for g := range scores {
		scores[g] = math.NaN()
	}
	best, falls := -1, 0
	prev := math.Inf(-1)
	for _, g := range order {
		v, err := score(grid[g])
		if err != nil {
			return 0, nil, err
		}
		scores[g] = v
		if best < 0 || v > scores[best] || (v == scores[best] && grid[g] < grid[best]) {
			best = g
		}
		if v < prev {
			falls++
		} else {
			falls = 0
		}
		prev = v
		if falls == 2 {
			break
		}
	}
	if math.IsInf(scores[best], -1) {
		return 0, nil, fmt.Errorf("penalty search: every candidate failed to fit")
	}
	return grid[best], scores, nil
}

// rowsOf copies the given rows of X into a new matrix.
func rowsOf(X *mat.Dense, idx []int) *mat.Dense {
	_, d := X.Dims()
	out := mat.NewDense(len(idx), d, nil)
	for a, i := range idx {
		copy(out.RawRowView(a), X.RawRowView(i))
	}
	return out
}
