package server

import (
	"context"
	"fmt"
	"math"
	"slices"
	"sort"

	"gonum.org/v1/gonum/stat/distuv"

	"github.com/nistgmm/nistgmm/internal/parallel"

	"github.com/nistgmm/nistgmm/federated/internal/gauss"
	"github.com/nistgmm/nistgmm/federated/internal/kernel"
	"github.com/nistgmm/nistgmm/federated/internal/robust"
	"github.com/nistgmm/nistgmm/federated/mixture"
)

// DefaultFlagLevel is the default of Server.FlagLevel: the probability that
// a round flags at least one honest site.
const DefaultFlagLevel = 0.01

// verdictMaxDOF caps the degrees of freedom of the Student t reference of
// the verdicts, and verdictDOFPerSite is how many degrees of freedom each
// counted estimate adds to it (the efficiency of the median absolute
// deviation, 37%, relative to the standard deviation). Honest statistics
// are close to normal in the bulk, but a local fit that lands in another
// optimum of its likelihood is honest and far, and with very unequal
// sample sizes the smallest sites are not yet in the asymptotic regime the
// statistic assumes: a reference with normal tails flagged honest sites in
// a quarter of the rounds. The cap was chosen on 41 simulated clean rounds
// of Section 5's generator (random mixtures with maximum overlap 0.001-0.05,
// K 2-10, d 2-20, n 100-5,000, m 5-200, equal and unequal n), never on the
// NIST features: with a cap of 6, 4, 3 and 2 degrees of freedom, 11, 7, 6
// and 2 of them flagged an honest site; 3 keeps the z a site needs to be
// flagged at m = 50 at 17.6, where a cap of 2 needs 50.
const (
	verdictMaxDOF     = 3
	verdictDOFPerSite = 0.37
)

// Verdict is the server's judgement of one valid estimate: how far it lies
// from the round's answer, on a scale on which honest estimates are
// identically distributed whatever their sample size, and the p-value of
// that distance under the honest majority's own spread.
type Verdict struct {
	Index int // into the round's Estimates
	// Statistic is the logarithm of the estimate's Wald distance to the
	// answer (see waldTo), which for honest estimates does not depend on
	// their n. A copy group's members share the smallest statistic of the
	// group.
	Statistic float64
	// Z is (Statistic - median) / scale over the counted estimates, with
	// the scale the normal-consistent median absolute deviation.
	Z float64
	// PValue is the upper tail of Z under a Student t reference (see
	// verdictMaxDOF).
	PValue float64
	// Flagged is true when Holm's step-down procedure over every valid
	// estimate rejects the estimate at the server's FlagLevel: the round
	// flags an honest site with probability at most FlagLevel when the
	// reference holds.
	Flagged bool
}

// verdicts judges every valid estimate against the round's answer.
func (r *Round) verdicts(ctx context.Context, answer *mixture.Mixture) ([]Verdict, error) {
	wald, err := r.waldTo(ctx, answer)
	if err != nil {
		return nil, fmt.Errorf("verdicts: %w", err)
	}
	stat := make([]float64, len(r.Valid))
	for a := range r.Valid {
		stat[a] = math.Log(math.Max(wald[a], math.SmallestNonzeroFloat64))
	}
	// A group of copies is judged once, by its most favourable member: a
	// replay never makes its victim look farther than the victim alone.
	group := make([]float64, len(r.Valid))
	copy(group, stat)
	for a, of := range r.repOf {
		if of != a {
			group[of] = math.Min(group[of], stat[a])
		}
	}
	for a, of := range r.repOf {
		group[a] = group[of]
	}
	var ref []float64
	for a, v := range r.voter {
		if v {
			ref = append(ref, group[a])
		}
	}
	med, scale := robust.VerdictReference(ref)
	dof := math.Min(math.Max(verdictDOFPerSite*float64(len(ref)-1), 1), verdictMaxDOF)
	t := distuv.StudentsT{Mu: 0, Sigma: 1, Nu: dof}
	out := make([]Verdict, len(r.Valid))
	for a, i := range r.Valid {
		z := (group[a] - med) / scale
		out[a] = Verdict{Index: i, Statistic: group[a], Z: z, PValue: t.Survival(z)}
	}
	holm(out, r.server.flagLevel())
	return out, nil
}

// holm sets Flagged by Holm's step-down procedure at level: the smallest
// p-values are rejected while p_(j) <= level / (n - j).
func holm(vs []Verdict, level float64) {
	order := make([]int, len(vs))
	for j := range order {
		order[j] = j
	}
	slices.SortStableFunc(order, func(a, b int) int { return cmpFloat(vs[a].PValue, vs[b].PValue) })
	n := len(vs)
	for j, a := range order {
		if !(vs[a].PValue <= level/float64(n-j)) {
			return
		}
		vs[a].Flagged = true
	}
}

// waldTo returns, for every valid estimate in the order of Valid, its Wald
// distance to ref: with each of its components aligned to one of ref's (as
// the slots align them),
//
//	n sum_k [ w_k J(phi_k', phi_k) + (w_k' - w_k)^2 / w_k ],
//
// (w, phi) ref's and (w', phi') the estimate's. The Jeffreys divergence
// between a fit of n w_k observations and the truth is about a chi-square
// with p = d (d + 3) / 2 degrees of freedom over n w_k, and the weights'
// term is the multinomial chi-square, so for honest estimates the sum is
// about a chi-square with K p + K - 1 degrees of freedom whatever their n:
// concentrated, where a mixture-level distance is dominated by the weights'
// sampling error times the divergence between distinct components. One
// alignment per estimate: the verdicts cost O(m).
func (r *Round) waldTo(ctx context.Context, ref *mixture.Mixture) ([]float64, error) {
	refComps, err := gauss.MixtureComponents(ref.Weights, ref.Means, ref.Covs)
	if err != nil {
		return nil, fmt.Errorf("the answer: %w", err)
	}
	d := ref.Dim()
	out := make([]float64, len(r.Valid))
	err = parallel.For(ctx, len(r.Valid), r.server.Workers, func(a int) error {
		i := r.Valid[a]
		comps := r.comps[i]
		perm := kernel.AlignTo(refComps, comps, d)
		diff := make([]float64, d)
		terms := make([]float64, 0, len(refComps))
		for k, g := range refComps {
			w := ref.Weights[k]
			if w <= 0 {
				continue
			}
			c := comps[perm[k]]
			j := gauss.KlGauss(c, g, diff) + gauss.KlGauss(g, c, diff)
			dw := r.Estimates[i].Mixture.Weights[perm[k]] - w
			terms = append(terms, w*math.Min(j, gauss.MaxDistance)+dw*dw/w)
		}
		// The largest third of the slots' terms are left out: an honest
		// fit in another optimum of its likelihood (two components merged
		// and one split) differs in two or three slots, a Byzantine
		// estimate that matters in more.
		sort.Float64s(terms)
		var s float64
		for _, v := range terms[:len(terms)-len(terms)/3] {
			s += v
		}
		out[a] = math.Min(float64(r.Estimates[i].N)*s, gauss.MaxDistance)
		return nil
	})
	return out, err
}

func cmpFloat(a, b float64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}
