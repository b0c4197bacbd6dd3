package experiments

import (
	"errors"
	"fmt"
	"math"

	"github.com/nistgmm/nistgmm/federated/adversary"
	"github.com/nistgmm/nistgmm/federated/mixture"
	"github.com/nistgmm/nistgmm/mixsim"
)

// SimConfig is a grid of cells of the simulation study (Section 5): every
// combination of number of machines, local sample size (or total sample
// size), maximum overlap, failure kind and failure rate. Each repetition
// draws a fresh true mixture per overlap, fits every machine of every
// (m, n, overlap) cell once, and corrupts those fits for every failure
// kind and rate. NewSimConfig gives the grid of one of the paper's figures.
type SimConfig struct {
	// Figure is the paper's figure the grid reproduces (2 to 5), 0 for
	// another grid; it only labels plots.
	Figure int `json:"figure,omitempty"`
	Dim    int `json:"d"` // dimension of the observations
	K      int `json:"k"` // order of the true and fitted mixtures
	// Ms are the numbers of machines. Ns are the local sample sizes; when
	// NTotal is positive it fixes N = n m instead and Ns must be empty.
	Ms        []int               `json:"ms"`
	Ns        []int               `json:"ns,omitempty"`
	NTotal    int                 `json:"n_total,omitempty"`
	MaxOmegas []float64           `json:"max_omegas"`
	Alphas    []float64           `json:"alphas"`
	Failures  []adversary.Failure `json:"failures"`
	// TestN is the size of the sample of the true mixture whose
	// clusterings, by an estimate and by the truth, give the ARI.
	TestN int    `json:"test_n"`
	Seed  uint64 `json:"seed"`
	// PenaltyScale is c in the local fits' a_n = c n^(-1/2); 0 means that
	// each machine chooses c from its own data (mixture.PenaltySearch);
	// the paper's, and the default here, is 1.
	PenaltyScale float64 `json:"penalty_scale"`
	// KMeansStarts, when positive, starts every local EM from that many
	// k-means++ initializations instead of at the true mixture (the paper's).
	KMeansStarts int `json:"kmeans_starts,omitempty"`
	Aggregation
	// Workers is the goroutines of one repetition's fits and rounds; 0
	// means GOMAXPROCS. It changes no number.
	Workers int `json:"workers"`
}

// Figures lists the paper's simulation figures NewSimConfig knows.
func Figures() []int { return []int{2, 3, 4, 5} }

// SimFailures are the failure kinds of Section 5.1.
func SimFailures() []adversary.Failure {
	return []adversary.Failure{adversary.MeanFailure, adversary.CovFailure, adversary.WeightFailure}
}

// NewSimConfig returns the grid of the paper's Figure fig (and of its ARI
// counterpart, Figures 7 to 10), with d = 10, K = 5, the three failure
// kinds, a test sample of 10,000 and the product's aggregation defaults:
//
//	2: m = 100, MaxOmega = 0.3, n in {5,000, 10,000, 20,000}, alpha in {0.1, ..., 0.4}
//	3: alpha = 0.1, MaxOmega = 0.3, n = 5,000, m in {20, 50, 100}
//	4: alpha = 0.1, MaxOmega = 0.3, N = 500,000, m in {20, 50, 100}
//	5: alpha = 0.2, m = 100, n = 5,000, MaxOmega in {0.1, 0.2, 0.3}
func NewSimConfig(fig int) (SimConfig, error) {
	c := SimConfig{Figure: fig, Dim: 10, K: 5, Failures: SimFailures(),
		TestN: 10000, Seed: 1, PenaltyScale: 1, Aggregation: DefaultAggregation()}
	switch fig {
	case 2:
		c.Ms, c.Ns, c.MaxOmegas, c.Alphas = []int{100}, []int{5000, 10000, 20000}, []float64{0.3}, []float64{0.1, 0.2, 0.3, 0.4}
	case 3:
		c.Ms, c.Ns, c.MaxOmegas, c.Alphas = []int{20, 50, 100}, []int{5000}, []float64{0.3}, []float64{0.1}
	case 4:
		c.Ms, c.NTotal, c.MaxOmegas, c.Alphas = []int{20, 50, 100}, 500000, []float64{0.3}, []float64{0.1}
	case 5:
		c.Ms, c.Ns, c.MaxOmegas, c.Alphas = []int{100}, []int{5000}, []float64{0.1, 0.2, 0.3}, []float64{0.2}
	default:
		return SimConfig{}, fmt.Errorf("figure %d: the simulation figures are 2, 3, 4 and 5 (7 to 10 are their ARI versions)", fig)
	}
	return c, nil
}

// simCell is one (m, n, MaxOmega) combination: its machines are fitted once
// per repetition and shared by every failure kind and rate.
type simCell struct {
	M, N     int
	MaxOmega float64
}

// cells lists the grid's (m, n, MaxOmega) combinations in a fixed order.
func (c SimConfig) cells() []simCell {
	var out []simCell
	for _, om := range c.MaxOmegas {
		for _, m := range c.Ms {
			if c.NTotal > 0 {
				out = append(out, simCell{M: m, N: c.NTotal / m, MaxOmega: om})
				continue
			}
			for _, n := range c.Ns {
				out = append(out, simCell{M: m, N: n, MaxOmega: om})
			}
		}
	}
	return out
}

// Validate reports a grid that cannot run.
func (c SimConfig) Validate() error {
	switch {
	case c.Dim < 1 || c.K < 2:
		return fmt.Errorf("simulation: d = %d and K = %d, want d >= 1 and K >= 2", c.Dim, c.K)
	case len(c.Ms) == 0:
		return errors.New("simulation: no number of machines")
	case c.NTotal > 0 && len(c.Ns) > 0:
		return errors.New("simulation: give either local sample sizes or a total sample size, not both")
	case c.NTotal <= 0 && len(c.Ns) == 0:
		return errors.New("simulation: no local sample size")
	case c.NTotal < 0:
		return fmt.Errorf("simulation: total sample size %d", c.NTotal)
	case len(c.MaxOmegas) == 0 || len(c.Alphas) == 0 || len(c.Failures) == 0:
		return errors.New("simulation: the grid needs at least one MaxOmega, failure rate and failure kind")
	case c.TestN < 2:
		return fmt.Errorf("simulation: test sample of %d, want at least 2", c.TestN)
	case !(c.PenaltyScale >= 0) || math.IsInf(c.PenaltyScale, 0):
		return fmt.Errorf("simulation: penalty scale %v, want a finite number > 0 (0 to choose it per machine)", c.PenaltyScale)
	case c.KMeansStarts < 0 || c.Workers < 0:
		return fmt.Errorf("simulation: %d k-means++ starts and %d workers, want neither negative", c.KMeansStarts, c.Workers)
	}
	for _, m := range c.Ms {
		if m < 3 {
			return fmt.Errorf("simulation: %d machines: the robust methods need at least 3", m)
		}
	}
	for _, cell := range c.cells() {
		if cell.N < 2*c.K {
			return fmt.Errorf("simulation: %d machines with %d observations each cannot fit %d components", cell.M, cell.N, c.K)
		}
	}
	for _, om := range c.MaxOmegas {
		if err := (mixsim.Generator{K: c.K, Dim: c.Dim, MaxOmega: om}).Validate(); err != nil {
			return fmt.Errorf("simulation: %w", err)
		}
	}
	for _, a := range c.Alphas {
		if !(a >= 0 && a < 0.5) {
			return fmt.Errorf("simulation: failure rate %v is outside [0, 0.5)", a)
		}
	}
	for _, f := range c.Failures {
		switch f {
		case adversary.MeanFailure, adversary.CovFailure, adversary.WeightFailure:
		default:
			return fmt.Errorf("simulation: failure %q: the simulation's failures are mean, cov and weight", f)
		}
	}
	if err := c.em(nil).Validate(); err != nil {
		return fmt.Errorf("simulation: %w", err)
	}
	if err := c.Aggregation.validate(); err != nil {
		return err
	}
	return c.Aggregation.server(c.K, c.Seed, c.Workers).Validate()
}

// em is the local fit, started at truth unless k-means++ starts are asked.
func (c SimConfig) em(truth *mixture.Mixture) *mixture.EM {
	em := &mixture.EM{K: c.K, PenaltyScale: c.PenaltyScale, Restarts: c.KMeansStarts}
	if c.PenaltyScale == 0 {
		em.PenaltySearch = &mixture.PenaltySearch{}
	}
	if c.KMeansStarts == 0 {
		em.Init = truth
	}
	return em
}

// SimWork lists the units of work of one simulation repetition; a fit's
// guessed cost is its cell's n, averaged over the cells.
func SimWork(c SimConfig) []WorkKind {
	fits, rounds := 0, 0
	observations := 0.0
	for _, cell := range c.cells() {
		fits += cell.M
		rounds += len(c.Failures) * len(c.Alphas)
		observations += float64(cell.M * cell.N)
	}
	local := observations / float64(max(fits, 1))
	return []WorkKind{
		{Kind: WorkLocalFit, PerRep: fits, Cost: local},
		{Kind: WorkRound, PerRep: rounds, Cost: roundCostInFits * local},
	}
}
