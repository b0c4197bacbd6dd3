package experiments

import (
	"context"
	"fmt"
	"math/rand/v2"
	"sort"
	"time"

	"github.com/nistgmm/nistgmm/eval"
	"github.com/nistgmm/nistgmm/federated/adversary"
	"github.com/nistgmm/nistgmm/federated/mixture"
	"github.com/nistgmm/nistgmm/federated/server"
	"github.com/nistgmm/nistgmm/internal/parallel"
	"gonum.org/v1/gonum/mat"
)

// stream derives an independent random stream for one purpose of one
// repetition, so results do not depend on scheduling.
func stream(seed uint64, rep int, purpose, index uint64) *rand.Rand {
	return rand.New(rand.NewPCG(seed^0x5851f42d4c957f2d*uint64(rep+1), purpose<<32|index))
}

const (
	purposePartition = iota + 1
	purposeHonest
	purposeLetters
	purposeByzantine
	purposeCorrupt
	purposeAttack
)

// partition returns each machine's row indices into the training set.
func partition(c Table2Config, labels []int, rng *rand.Rand) ([][]int, error) {
	parts := make([][]int, c.Machines)
	if !c.Stratified {
		perm := rng.Perm(len(labels))[:c.NTotal]
		for j, idx := range perm {
			parts[j%c.Machines] = append(parts[j%c.Machines], idx)
		}
		return parts, nil
	}
	byClass := map[int][]int{}
	for i, l := range labels {
		byClass[l] = append(byClass[l], i)
	}
	classes := make([]int, 0, len(byClass))
	for l := range byClass {
		classes = append(classes, l)
	}
	sort.Ints(classes)
	per := c.NTotal / (c.Machines * len(classes))
	if per == 0 {
		return nil, fmt.Errorf("stratified split: %d digits cannot give every machine one of each of %d classes", c.NTotal, len(classes))
	}
	for _, l := range classes {
		idx := byClass[l]
		if len(idx) < per*c.Machines {
			return nil, fmt.Errorf("stratified split: class %d has %d digits, need %d", l, len(idx), per*c.Machines)
		}
		rng.Shuffle(len(idx), func(a, b int) { idx[a], idx[b] = idx[b], idx[a] })
		for i := 0; i < c.Machines; i++ {
			parts[i] = append(parts[i], idx[i*per:(i+1)*per]...)
		}
	}
	return parts, nil
}

func rows(X *mat.Dense, idx []int) *mat.Dense {
	_, d := X.Dims()
	out := mat.NewDense(len(idx), d, nil)
	for i, j := range idx {
		copy(out.RawRowView(i), X.RawRowView(j))
	}
	return out
}

// RunTable2Repetition runs repetition rep: it partitions NTotal training digits
// across the machines and fits each; picks the Byzantine machines as a
// prefix of one random order (so the set at a lower alpha is inside the set
// at a higher one) and fits or corrupts their replacements once; then for
// every alpha aggregates with every method and scores each aggregate by the
// ARI of its clustering of the test digits. step, if not nil, is called
// after every local fit and every alpha.
func RunTable2Repetition(ctx context.Context, d *Data, c Table2Config, rep int, step func(Work)) (*Table2Rep, error) {
	if err := c.Check(d); err != nil {
		return nil, err
	}
	if step == nil {
		step = func(Work) {}
	}
	res := &Table2Rep{Rep: rep}
	parts, err := partition(c, d.TrainLabels, stream(c.Seed, rep, purposePartition, 0))
	if err != nil {
		return nil, err
	}
	em := c.EM

	start := time.Now()
	honest := make([]*mixture.Mixture, c.Machines)
	fitErrs := make([]error, c.Machines)
	err = parallel.For(ctx, c.Machines, c.Workers, func(i int) error {
		began := time.Now()
		g, _, err := em().Fit(ctx, rows(d.Train, parts[i]), stream(c.Seed, rep, purposeHonest, uint64(i)))
		if err != nil {
			fitErrs[i] = err
			return nil
		}
		honest[i] = g
		timed(step, WorkLocalFit, began)
		return nil
	})
	if err != nil {
		return nil, err
	}
	if err := firstFitError(fitErrs); err != nil {
		return nil, err
	}
	res.Timing.HonestFits = time.Since(start).Seconds()

	order := stream(c.Seed, rep, purposeByzantine, 0).Perm(c.Machines)
	nb := c.maxByzantine()
	replacement := make([]*mixture.Mixture, nb)
	start = time.Now()
	err = parallel.For(ctx, nb, c.Workers, func(j int) error {
		began := time.Now()
		rng := stream(c.Seed, rep, purposeLetters, uint64(j))
		var g *mixture.Mixture
		var err error
		if c.Failure == adversary.Letters {
			ln, _ := d.Letters.Dims()
			idx := rng.Perm(ln)[:c.LettersN]
			g, _, err = em().Fit(ctx, rows(d.Letters, idx), rng)
		} else if !c.Failure.Adaptive() { // adaptive failures need the round: see runAlpha
			g, err = adversary.Corrupt(honest[order[j]], c.Failure, stream(c.Seed, rep, purposeCorrupt, uint64(j)))
		}
		if err != nil {
			return fmt.Errorf("Byzantine machine %s: %w", MachineName(order[j]), err)
		}
		replacement[j] = g
		timed(step, WorkByzantineFit, began)
		return nil
	})
	if err != nil {
		return nil, err
	}
	res.Timing.LetterFits = time.Since(start).Seconds()

	start = time.Now()
	// The alphas' rounds are subsets of the same fits: their distances are
	// computed once (adaptive failures are crafted per round).
	var known *server.KnownDistances
	if !c.Failure.Adaptive() {
		if known, err = knownInMachineOrder(ctx, c.Server(), honest, order, replacement); err != nil {
			return nil, err
		}
	}
	for a, alpha := range c.Alphas {
		began := time.Now()
		ar, err := runAlpha(ctx, d, c, parts, honest, order, replacement, known, alpha, stream(c.Seed, rep, purposeAttack, uint64(a)))
		if err != nil {
			return nil, fmt.Errorf("alpha %v: %w", alpha, err)
		}
		res.Alphas = append(res.Alphas, *ar)
		timed(step, WorkRound, began)
	}
	res.Timing.Aggregation = time.Since(start).Seconds()
	return res, nil
}

// MachineName is how every output names machine i of an experiment: m00,
// m01, ... (the estimates' ids).
func MachineName(i int) string { return fmt.Sprintf("m%02d", i) }

// firstFitError reports the first machine whose fit failed and how many
// others did, in one message rather than one line per machine.
func firstFitError(errs []error) error {
	first, failed := -1, 0
	for i, err := range errs {
		if err != nil {
			if first < 0 {
				first = i
			}
			failed++
		}
	}
	switch {
	case failed == 0:
		return nil
	case failed == 1:
		return fmt.Errorf("machine %s: %w", MachineName(first), errs[first])
	}
	return fmt.Errorf("machine %s: %w (and %d more machines failed)", MachineName(first), errs[first], failed-1)
}

func runAlpha(ctx context.Context, d *Data, c Table2Config, parts [][]int, honest []*mixture.Mixture, order []int, replacement []*mixture.Mixture, known *server.KnownDistances, alpha float64, rng *rand.Rand) (*AlphaResult, error) {
	nb := c.byzantineCount(alpha)
	var fixed []*mixture.Mixture // adaptive failures are crafted below, from the honest fits
	if !c.Failure.Adaptive() {
		fixed = replacement
	}
	ests, byz := byzantineRound(honest, func(i int) int { return len(parts[i]) }, order, fixed, nb)
	if c.ByzantineN > 0 {
		for _, b := range byz {
			ests[b].N = c.ByzantineN
		}
	}
	srv := c.Server()
	srv.Known = known
	var attack *adversary.AttackReport
	if c.Failure.Adaptive() {
		var err error
		if ests, attack, err = adversary.Craft(ctx, srv, c.Failure, ests, byz, rng); err != nil {
			return nil, err
		}
	}
	t0 := time.Now()
	round, err := srv.Prepare(ctx, ests)
	if err != nil {
		return nil, err
	}
	ar := &AlphaResult{Alpha: alpha, Byzantine: byz, Coat: round.Coat, Invalid: len(round.Invalid), Estimates: ests,
		DistanceSeconds: time.Since(t0).Seconds(), Attack: attack}
	ar.Radius = round.Radius
	ar.CoatDistances = make([]float64, c.Machines)
	for i := range ar.CoatDistances {
		ar.CoatDistances[i] = -1
	}
	isByz := map[int]bool{}
	for _, b := range byz {
		isByz[b] = true
	}
	var positive []bool
	coatDist := round.CoatDistances()
	for b, i := range round.Valid {
		ar.CoatDistances[i] = coatDist[b]
		positive = append(positive, isByz[i])
	}
	if auc, ok := eval.SeparabilityAUC(coatDist, positive); ok {
		ar.SeparabilityAUC = &auc
	}
	ar.CoatByzantine = isByz[round.Coat]
	if c.AllDistances && len(byz) > 0 {
		if ar.SeparabilityByDistance, err = separabilityByDistance(ctx, c, ests, isByz); err != nil {
			return nil, err
		}
	}
	err = eachMethod(ctx, round, byz, func(m server.Method, r *server.Result, took time.Duration) error {
		t := time.Now()
		labels, err := r.Mixture.Predict(d.Test)
		if err != nil {
			return fmt.Errorf("clustering the test set: %w", err)
		}
		ari, err := eval.ARI(labels, d.TestLabels)
		if err != nil {
			return err
		}
		if m == server.ARED && r.Slots != nil {
			ar.SlotSeparabilityAUC = slotSeparability(r.Slots, round, isByz)
		}
		det := eval.Detect(r.Flagged, byz)
		ar.Methods = append(ar.Methods, MethodResult{Method: m, ARI: ari, Kept: r.Kept, Flagged: r.Flagged,
			Caught: det.TruePositives, Missed: det.FalseNegatives, HonestFlagged: det.FalsePositives,
			Radius: r.Radius, Warning: r.Warning, Seconds: (took + time.Since(t)).Seconds()})
		return nil
	})
	if err != nil {
		return nil, err
	}
	return ar, nil
}

// knownInMachineOrder computes the distances among the honest fits and
// their replacements (replacement[j] takes machine order[j]'s place), for
// rounds that hold some of them. Every fit has one machine's place in every
// round, so listing them by machine keeps the order of every round, which
// KnownDistances needs.
func knownInMachineOrder(ctx context.Context, srv *server.Server, honest []*mixture.Mixture, order []int, replacement []*mixture.Mixture) (*server.KnownDistances, error) {
	var all []*mixture.Mixture
	for i := range honest {
		all = append(all, honest[i])
		for j, at := range order[:len(replacement)] {
			if at == i {
				all = append(all, replacement[j])
			}
		}
	}
	return srv.KnownDistances(ctx, all)
}
