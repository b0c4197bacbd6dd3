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
	// Statistic is the logarithm of the estimate's components' Wald
	// distance to the answer, WeightStatistic its weights' (see waldTo):
	// for honest estimates neither depends on their n. A copy group's
	// members share the smallest statistics of the group.
	Statistic, WeightStatistic float64
	// Z and WeightZ are (statistic - median) / scale over the counted
	// estimates, with the scale the normal-consistent median absolute
	// deviation (see robust.VerdictReference).
	Z, WeightZ float64
	// PValue is twice the smaller upper tail of Z and WeightZ under a
	// Student t reference (see verdictMaxDOF), at most 1.
	PValue float64
	// Flagged is true when Holm's step-down procedure over every valid
	// estimate rejects the estimate at the server's FlagLevel: the round
	// flags an honest site with probability at most FlagLevel when the
	// reference holds.
	Flagged bool
}

// verdicts judges every valid estimate against the round's answer, by two
// statistics (see waldTo): the components' and the weights'. Each has its
// own reference; a site's p-value is twice the smaller of their upper
// tails (the Bonferroni bound over the two), capped at 1.
func (r *Round) verdicts(ctx context.Context, answer *mixture.Mixture) ([]Verdict, error) {
	comps, weights, under, err := r.waldTo(ctx, answer)
	if err != nil {
		return nil, fmt.Errorf("verdicts: %w", err)
	}
	// The honest statistics are about chi-squares: the components' with
	// (K - K/3) p degrees of freedom, the weights' with K - 1 less the
	// largest third of its terms; each scale is floored at a share of its
	// own model spread (robust.ModelScaleFloor).
	var k int
	for _, w := range answer.Weights {
		if w > 0 {
			k++
		}
	}
	kept := float64(k - k/3)
	d := float64(answer.Dim())
	cdf := kept * d * (d + 3) / 2
	wdf := float64(k-1) * kept / math.Max(float64(k), 1)
	cz, cstat, err := r.verdictZ(ctx, comps, under, robust.ModelScaleFloor(cdf))
	if err != nil {
		return nil, fmt.Errorf("verdicts: %w", err)
	}
	wz, wstat, err := r.verdictZ(ctx, weights, under, robust.ModelScaleFloor(wdf))
	if err != nil {
		return nil, fmt.Errorf("verdicts: %w", err)
	}
	var counted int
	for _, v := range r.voter {
		if v {
			counted++
		}
	}
	dof := math.Min(math.Max(verdictDOFPerSite*float64(counted-1), 1), verdictMaxDOF)
	t := distuv.StudentsT{Mu: 0, Sigma: 1, Nu: dof}
	out := make([]Verdict, len(r.Valid))
	for a, i := range r.Valid {
		// Two one-sided tests, Bonferroni over them: components too far,
		// weights too far. A third, components too near the answer for
		// their n (the honest centre an attacker computes sits there),
		// flagged nothing the slots did not already hold, and its share of
		// the level cost power against far estimates (2 letters machines
		// of 40 went unflagged at z = 23).
		p := math.Min(1, 2*math.Min(t.Survival(cz[a]), t.Survival(wz[a])))
		out[a] = Verdict{Index: i, Statistic: cstat[a], Z: cz[a], WeightStatistic: wstat[a], WeightZ: wz[a], PValue: p}
	}
	holm(out, r.server.flagLevel())
	return out, nil
}

// verdictZ standardizes one statistic (per position in Valid) on the log
// scale against the counted estimates' (see robust.TrendZ), allowing the
// honest statistics a trend in log n and a step for the share of the
// mixture each site fitted from too few observations (under). A copy
// group is judged once, by its most favourable member: a replay never
// makes its victim look farther than the victim alone. It returns the z
// and the statistic each estimate was judged by.
func (r *Round) verdictZ(ctx context.Context, raw, under []float64, floor float64) (z, stat []float64, err error) {
	stat = make([]float64, len(r.Valid))
	logn := make([]float64, len(r.Valid))
	u := slices.Clone(under)
	// The trend's covariate stops at ten times the median report either
	// way: a site claiming a billion observations borrows no more slope
	// than one claiming ten times the median, and one claiming a single
	// observation no more than one claiming a tenth of it (its statistic
	// keeps the n it claimed). Below, each tenfold cut of the claimed n
	// bought a hundredfold larger divergence unflagged (the slope -1
	// candidate: its residual is log(n^2 D)); with the cap it buys tenfold,
	// the Wald statistic's own n.
	ns := make([]int, len(r.Valid))
	for a, i := range r.Valid {
		ns[a] = r.Estimates[i].N
	}
	slices.Sort(ns)
	medN := float64(ns[(len(ns)-1)/2])
	minN, maxN := medN/absurdSampleSize, medN*absurdSampleSize
	for a, i := range r.Valid {
		stat[a] = math.Log(math.Max(raw[a], math.SmallestNonzeroFloat64))
		logn[a] = math.Log(math.Min(math.Max(float64(r.Estimates[i].N), minN), maxN))
	}
	for a, of := range r.repOf {
		if of != a && stat[a] < stat[of] {
			stat[of], logn[of], u[of] = stat[a], logn[a], u[a]
		}
	}
	for a, of := range r.repOf {
		stat[a], logn[a], u[a] = stat[of], logn[of], u[of]
	}
	z, err = robust.TrendZFloor(ctx, stat, logn, u, r.voter, r.server.Workers, floor)
	return z, stat, err
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
// distances to ref: with each of its components aligned to one of ref's (as
// the slots align them), the components'
//
//	n sum_k w_k J(phi_k', phi_k)
//
// and the weights'
//
//	n sum_k (w_k' - w_k)^2 / w_k,
//
// (w, phi) ref's and (w', phi') the estimate's. The Jeffreys divergence
// between a fit of n w_k observations and the truth is about a chi-square
// with p = d (d + 3) / 2 degrees of freedom over n w_k, and the weights'
// sum is the multinomial chi-square, so for honest estimates the two are
// about chi-squares with K p and K - 1 degrees of freedom whatever their n:
// concentrated, where a mixture-level distance is dominated by the
// weights' sampling error times the divergence between distinct
// components. They are apart because the components' sum swamps the
// weights' (a site whose weights alone are wrong would hide in it). Each sum
// leaves out the largest third of its slots' terms: an honest fit in
// another optimum of its likelihood (two components merged and one split)
// differs in two or three slots, a Byzantine estimate that matters in
// more (leaving out a half or two thirds instead made no difference on
// clean rounds). under is the share of ref's weight in components the
// estimate fitted from fewer than robust.UnderdeterminedRatio (d + 2)
// observations (by its n and ref's weights): there the penalty, not the
// sample, sets the covariance, and the components' statistic is larger
// whatever the estimate's quality. One alignment per estimate: the
// verdicts cost O(m).
func (r *Round) waldTo(ctx context.Context, ref *mixture.Mixture) (comps, weights, under []float64, err error) {
	refComps, err := gauss.MixtureComponents(ref.Weights, ref.Means, ref.Covs)
	if err != nil {
		return nil, nil, nil, fmt.Errorf("the answer: %w", err)
	}
	d := ref.Dim()
	comps = make([]float64, len(r.Valid))
	weights = make([]float64, len(r.Valid))
	under = make([]float64, len(r.Valid))
	trimmedSum := func(terms []float64) float64 {
		sort.Float64s(terms)
		var s float64
		for _, v := range terms[:len(terms)-len(terms)/3] {
			s += v
		}
		return s
	}
	err = parallel.For(ctx, len(r.Valid), r.server.Workers, func(a int) error {
		i := r.Valid[a]
		own, err := gauss.InvertAll(r.comps[i]) // KL(ref || own) needs own's inverses
		if err != nil {
			return fmt.Errorf("estimate %d: %w", i, err)
		}
		perm := kernel.AlignTo(refComps, own, d)
		diff := make([]float64, d)
		var cterms, wterms []float64
		for k, g := range refComps {
			w := ref.Weights[k]
			if w <= 0 {
				continue
			}
			c := own[perm[k]]
			j := gauss.KlGauss(c, g, diff) + gauss.KlGauss(g, c, diff)
			dw := r.Estimates[i].Mixture.Weights[perm[k]] - w
			cterms = append(cterms, w*math.Min(j, gauss.MaxDistance))
			wterms = append(wterms, dw*dw/w)
		}
		n := float64(r.Estimates[i].N)
		for _, w := range ref.Weights {
			if n*w < robust.UnderdeterminedRatio*float64(d+2) {
				under[a] += w
			}
		}
		comps[a] = math.Min(n*trimmedSum(cterms), gauss.MaxDistance)
		weights[a] = math.Min(n*trimmedSum(wterms), gauss.MaxDistance)
		return nil
	})
	return comps, weights, under, err
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
