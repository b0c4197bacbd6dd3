package experiments

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"sort"
	"time"

	"gonum.org/v1/gonum/mat"

	"github.com/nistgmm/nistgmm/eval"
	"github.com/nistgmm/nistgmm/federated"
	"github.com/nistgmm/nistgmm/internal/parallel"
)

// Data holds the features of one experiment. Letters may be nil, in which
// case only the mean, cov and weight failures are available.
type Data struct {
	Train       *mat.Dense // digit features the machines share out
	TrainLabels []int
	Test        *mat.Dense // digit features the aggregates cluster
	TestLabels  []int
	Letters     *mat.Dense // Byzantine machines' letter features
}

// Table2Config is one Table 2 experiment (Section 6). NewTable2Config gives the
// product's defaults; the paper's own choices are each one field away.
type Table2Config struct {
	Machines   int               `json:"machines"`   // m
	NTotal     int               `json:"n_total"`    // N training digits drawn per repetition
	Stratified bool              `json:"stratified"` // equal counts per class on every machine
	K          int               `json:"k"`          // mixture order
	Failure    federated.Failure `json:"failure"`
	LettersN   int               `json:"letters_n"` // letter features each Byzantine machine fits on
	Alphas     []float64         `json:"alphas"`
	Seed       uint64            `json:"seed"`
	Workers    int               `json:"workers"` // goroutines for the local fits; 0 means GOMAXPROCS
	// Restarts is the number of k-means++ starts of each local EM; 0 means 10.
	Restarts int `json:"restarts"`
	// PenaltyScale is c in every local fit's a_n = c n^(-1/2); 0 means that
	// each machine chooses c from its own data (federated.PenaltySearch).
	// 1 is the paper's.
	PenaltyScale float64 `json:"penalty_scale"`
	Aggregation
	// ByzantineN, when positive, is the sample size every Byzantine machine
	// reports instead of its own (the n-inflation attack); 0 keeps the
	// true one.
	ByzantineN int `json:"byzantine_n,omitempty"`
	// AllDistances also reports, for every distance, how well the distance
	// to that distance's COAT separates Byzantine from honest machines
	// (AlphaResult.SeparabilityByDistance). It changes no result.
	AllDistances bool `json:"all_distances,omitempty"`
}

// NewTable2Config returns the paper's Section 6 design (m = 50, N = 25,000,
// K = 10, letters failures from 5,000 letters, alpha in {0, ..., 0.4}) with
// the product's defaults for what the paper's choices fail at (README):
// the penalty chosen per machine, the Jeffreys distance, ARED's robust
// radius and a multi-start reduction.
func NewTable2Config() Table2Config {
	return Table2Config{Machines: 50, NTotal: 25000, K: 10, Aggregation: DefaultAggregation(),
		Failure: federated.Letters, LettersN: 5000, Alphas: []float64{0, 0.1, 0.2, 0.3, 0.4}}
}

// Server is the aggregation server the configuration describes.
func (c Table2Config) Server() *federated.Server { return c.Aggregation.server(c.K, c.Seed, c.Workers) }

// EM is the local fit the configuration describes.
func (c Table2Config) EM() *federated.EM {
	em := &federated.EM{K: c.K, Restarts: c.Restarts, PenaltyScale: c.PenaltyScale}
	if c.PenaltyScale == 0 {
		em.PenaltySearch = &federated.PenaltySearch{}
	}
	return em
}

// Validate reports settings that cannot run on any data, before anything
// is loaded or fitted.
func (c Table2Config) Validate() error {
	switch {
	case c.Machines < 3:
		return fmt.Errorf("%d machines: the robust methods need at least 3", c.Machines)
	case c.K < 1:
		return fmt.Errorf("mixture order %d, want at least 1", c.K)
	case c.NTotal < c.Machines*c.K:
		return fmt.Errorf("%d training digits leave fewer than K = %d per machine over %d machines", c.NTotal, c.K, c.Machines)
	case c.Failure == federated.Letters && c.LettersN < c.K:
		return fmt.Errorf("%d letter features per Byzantine machine cannot fit %d components", c.LettersN, c.K)
	case !(c.PenaltyScale >= 0) || math.IsInf(c.PenaltyScale, 0):
		return fmt.Errorf("penalty scale %v, want a finite number > 0 (0 to choose it per machine)", c.PenaltyScale)
	case c.Restarts < 0 || c.Workers < 0:
		return fmt.Errorf("%d restarts and %d workers, want neither negative", c.Restarts, c.Workers)
	case c.ByzantineN < 0:
		return fmt.Errorf("Byzantine sample size %d, want 0 (their own) or more", c.ByzantineN)
	case len(c.Alphas) == 0:
		return errors.New("no failure rate to run")
	}
	if _, err := federated.ParseFailure(string(c.Failure)); err != nil {
		return err
	}
	for _, a := range c.Alphas {
		if !(a >= 0 && a < 0.5) {
			return fmt.Errorf("failure rate %v is outside [0, 0.5)", a)
		}
	}
	if err := c.EM().Validate(); err != nil {
		return err
	}
	if err := c.Aggregation.validate(); err != nil {
		return err
	}
	return c.Server().Validate()
}

// Check reports a configuration that cannot run on data.
func (c Table2Config) Check(d *Data) error {
	if err := c.Validate(); err != nil {
		return err
	}
	n, dim := d.Train.Dims()
	switch {
	case c.NTotal > n:
		return fmt.Errorf("%d training digits asked for, %d available", c.NTotal, n)
	case len(d.TrainLabels) != n:
		return fmt.Errorf("%d training labels for %d rows", len(d.TrainLabels), n)
	}
	if per := c.NTotal / c.Machines; per <= dim {
		return fmt.Errorf("%d training digits over %d machines leave %d observations per machine, too few for a covariance in "+
			"dimension %d (at least %d are needed): use fewer machines or more digits", c.NTotal, c.Machines, per, dim, dim+1)
	}
	if tn, td := d.Test.Dims(); td != dim || len(d.TestLabels) != tn {
		return fmt.Errorf("test features are %dx%d with %d labels; training features have %d columns", tn, td, len(d.TestLabels), dim)
	}
	if c.Failure == federated.Letters {
		if d.Letters == nil {
			return errors.New("the letters failure needs letter features")
		}
		ln, ld := d.Letters.Dims()
		if ld != dim {
			return fmt.Errorf("letter features have %d columns, digits %d", ld, dim)
		}
		if c.LettersN > ln {
			return fmt.Errorf("%d letter features per Byzantine machine asked for, %d available", c.LettersN, ln)
		}
	}
	return nil
}

// MethodResult is one method's outcome at one alpha.
type MethodResult struct {
	Method  federated.Method `json:"method"`
	ARI     float64          `json:"ari"`
	Kept    []int            `json:"kept"`
	Flagged []int            `json:"flagged"`
	Caught  int              `json:"byzantine_caught"` // Byzantine and flagged
	Missed  int              `json:"byzantine_missed"` // Byzantine and not flagged
	// HonestFlagged counts honest machines the method flagged.
	HonestFlagged int     `json:"honest_flagged"`
	Radius        float64 `json:"radius,omitempty"` // CRED's and ARED's ball
	Warning       string  `json:"warning,omitempty"`
	Seconds       float64 `json:"seconds"`
}

// AlphaResult is one failure rate within a repetition.
type AlphaResult struct {
	Alpha           float64 `json:"alpha"`
	Byzantine       []int   `json:"byzantine"`
	Coat            int     `json:"coat"`
	CoatByzantine   bool    `json:"coat_byzantine"`
	Invalid         int     `json:"invalid"`
	DistanceSeconds float64 `json:"distance_seconds"`
	// CoatDistances is D(COAT, G_i) for every machine (-1 for an invalid
	// one); Radius is r_coat.
	CoatDistances []float64 `json:"coat_distances"`
	Radius        float64   `json:"radius"`
	// SeparabilityAUC is the ROC AUC of the distance to COAT as a score for
	// "is Byzantine" over the valid machines; absent without Byzantine ones.
	SeparabilityAUC *float64 `json:"separability_auc,omitempty"`
	// SlotSeparabilityAUC is the ROC AUC, over the valid machines ARED's
	// componentwise combination counted, of the number of slots in which a
	// machine's component fell outside the slot's ball, as a score for "is
	// Byzantine": the componentwise criterion, which sees merges and splits
	// that the distance to COAT averages away. Absent without Byzantine
	// machines or with an unhardened server.
	SlotSeparabilityAUC *float64 `json:"slot_separability_auc,omitempty"`
	// SeparabilityByDistance is SeparabilityAUC under every distance (with
	// Table2Config.AllDistances); "kl-column" scores D(G, COAT) instead of
	// D(COAT, G).
	SeparabilityByDistance map[string]float64 `json:"separability_by_distance,omitempty"`
	// Attack is what the attacker chose under an adaptive failure.
	Attack  *federated.AttackReport `json:"attack,omitempty"`
	Methods []MethodResult          `json:"methods"`
}

// Timing splits the cost of a repetition.
type Timing struct {
	HonestFits  float64 `json:"honest_fits_seconds"`
	LetterFits  float64 `json:"letter_fits_seconds"`
	Aggregation float64 `json:"aggregation_seconds"` // distances, methods and scoring
}

// Table2Rep is one repetition of the experiment: shared honest fits (and
// letter fits), then every alpha.
type Table2Rep struct {
	Rep    int           `json:"rep"`
	Alphas []AlphaResult `json:"alphas"`
	Timing Timing        `json:"timing"`
}

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

// maxByzantine is the largest number of Byzantine machines over the alphas.
func (c Table2Config) maxByzantine() int {
	most := 0
	for _, a := range c.Alphas {
		most = max(most, c.byzantineCount(a))
	}
	return most
}

func (c Table2Config) byzantineCount(alpha float64) int {
	return int(math.Floor(alpha*float64(c.Machines) + 1e-9))
}

// RunRepetition runs repetition rep: it partitions NTotal training digits
// across the machines and fits each; picks the Byzantine machines as a
// prefix of one random order (so the set at a lower alpha is inside the set
// at a higher one) and fits or corrupts their replacements once; then for
// every alpha aggregates with every method and scores each aggregate by the
// ARI of its clustering of the test digits. step, if not nil, is called
// after every local fit and every alpha.
func RunTable2Repetition(ctx context.Context, d *Data, c Table2Config, rep int, step func()) (*Table2Rep, error) {
	if err := c.Check(d); err != nil {
		return nil, err
	}
	if step == nil {
		step = func() {}
	}
	res := &Table2Rep{Rep: rep}
	parts, err := partition(c, d.TrainLabels, stream(c.Seed, rep, purposePartition, 0))
	if err != nil {
		return nil, err
	}
	em := c.EM

	start := time.Now()
	honest := make([]*federated.Mixture, c.Machines)
	fitErrs := make([]error, c.Machines)
	err = parallel.For(ctx, c.Machines, c.Workers, func(i int) error {
		g, _, err := em().Fit(ctx, rows(d.Train, parts[i]), stream(c.Seed, rep, purposeHonest, uint64(i)))
		if err != nil {
			fitErrs[i] = err
			return nil
		}
		honest[i] = g
		step()
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
	replacement := make([]*federated.Mixture, nb)
	start = time.Now()
	err = parallel.For(ctx, nb, c.Workers, func(j int) error {
		rng := stream(c.Seed, rep, purposeLetters, uint64(j))
		var g *federated.Mixture
		var err error
		if c.Failure == federated.Letters {
			ln, _ := d.Letters.Dims()
			idx := rng.Perm(ln)[:c.LettersN]
			g, _, err = em().Fit(ctx, rows(d.Letters, idx), rng)
		} else if !c.Failure.Adaptive() { // adaptive failures need the round: see runAlpha
			g, err = federated.Corrupt(honest[order[j]], c.Failure, stream(c.Seed, rep, purposeCorrupt, uint64(j)))
		}
		if err != nil {
			return fmt.Errorf("Byzantine machine %s: %w", MachineName(order[j]), err)
		}
		replacement[j] = g
		step()
		return nil
	})
	if err != nil {
		return nil, err
	}
	res.Timing.LetterFits = time.Since(start).Seconds()

	start = time.Now()
	// The alphas' rounds are subsets of the same fits: their distances are
	// computed once (adaptive failures are crafted per round).
	var known *federated.KnownDistances
	if !c.Failure.Adaptive() {
		if known, err = knownInMachineOrder(ctx, c.Server(), honest, order, replacement); err != nil {
			return nil, err
		}
	}
	for a, alpha := range c.Alphas {
		ar, err := runAlpha(ctx, d, c, parts, honest, order, replacement, known, alpha, stream(c.Seed, rep, purposeAttack, uint64(a)))
		if err != nil {
			return nil, fmt.Errorf("alpha %v: %w", alpha, err)
		}
		res.Alphas = append(res.Alphas, *ar)
		step()
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

func runAlpha(ctx context.Context, d *Data, c Table2Config, parts [][]int, honest []*federated.Mixture, order []int, replacement []*federated.Mixture, known *federated.KnownDistances, alpha float64, rng *rand.Rand) (*AlphaResult, error) {
	nb := c.byzantineCount(alpha)
	byz := append([]int(nil), order[:nb]...)
	sort.Ints(byz)
	ests := make([]federated.Estimate, c.Machines)
	for i := range ests {
		ests[i] = federated.Estimate{ID: MachineName(i), N: len(parts[i]), Mixture: honest[i]}
	}
	if c.ByzantineN > 0 {
		for _, b := range byz {
			ests[b].N = c.ByzantineN
		}
	}
	srv := c.Server()
	srv.Known = known
	var attack *federated.AttackReport
	if c.Failure.Adaptive() {
		var err error
		if ests, attack, err = srv.Craft(ctx, c.Failure, ests, byz, rng); err != nil {
			return nil, err
		}
	} else {
		for j := 0; j < nb; j++ {
			ests[order[j]].Mixture = replacement[j]
		}
	}
	t0 := time.Now()
	round, err := srv.Prepare(ctx, ests)
	if err != nil {
		return nil, err
	}
	ar := &AlphaResult{Alpha: alpha, Byzantine: byz, Coat: round.Coat, Invalid: len(round.Invalid),
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
	for _, m := range federated.Methods() {
		t := time.Now()
		r, err := round.Aggregate(ctx, m, byz)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", m, err)
		}
		labels, err := r.Mixture.Predict(d.Test)
		if err != nil {
			return nil, fmt.Errorf("%s: clustering the test set: %w", m, err)
		}
		ari, err := eval.ARI(labels, d.TestLabels)
		if err != nil {
			return nil, err
		}
		if m == federated.ARED && r.Slots != nil {
			ar.SlotSeparabilityAUC = slotSeparability(r.Slots, round, isByz)
		}
		det := eval.Detect(r.Flagged, byz)
		ar.Methods = append(ar.Methods, MethodResult{Method: m, ARI: ari, Kept: r.Kept, Flagged: r.Flagged,
			Caught: det.TruePositives, Missed: det.FalseNegatives, HonestFlagged: det.FalsePositives,
			Radius: r.Radius, Warning: r.Warning, Seconds: time.Since(t).Seconds()})
	}
	return ar, nil
}

// slotSeparability scores, for every machine the componentwise combination
// counted, the number of slots that left its component out.
func slotSeparability(slots *federated.SlotReport, round *federated.Round, isByz map[int]bool) *float64 {
	aside := map[int]bool{}
	for _, s := range round.SetAside {
		aside[s.Index] = true
	}
	var score []float64
	var positive []bool
	for _, i := range round.Valid {
		if aside[i] {
			continue
		}
		out := 0
		for _, kept := range slots.Kept {
			if !slices.Contains(kept, i) {
				out++
			}
		}
		score = append(score, float64(out))
		positive = append(positive, isByz[i])
	}
	if auc, ok := eval.SeparabilityAUC(score, positive); ok {
		return &auc
	}
	return nil
}

// separabilityByDistance scores the distance to COAT as a test for "is
// Byzantine" under every distance, each with its own COAT; for the
// one-sided kl it also scores the other direction, D(G, COAT).
func separabilityByDistance(ctx context.Context, c Table2Config, ests []federated.Estimate, isByz map[int]bool) (map[string]float64, error) {
	out := map[string]float64{}
	for _, d := range federated.Distances() {
		srv := c.Server()
		srv.Distance = d
		round, err := srv.Prepare(ctx, ests)
		if err != nil {
			return nil, fmt.Errorf("separability under %s: %w", d, err)
		}
		var positive []bool
		var column []float64
		coat := -1
		for a, i := range round.Valid {
			positive = append(positive, isByz[i])
			if i == round.Coat {
				coat = a
			}
		}
		for a := range round.Valid {
			column = append(column, round.Distances.At(a, coat))
		}
		if auc, ok := eval.SeparabilityAUC(round.CoatDistances(), positive); ok {
			out[string(d)] = auc
		}
		if d == federated.KL {
			if auc, ok := eval.SeparabilityAUC(column, positive); ok {
				out["kl-column"] = auc
			}
		}
	}
	return out, nil
}

// knownInMachineOrder computes the distances among the honest fits and
// their replacements (replacement[j] takes machine order[j]'s place), for
// rounds that hold some of them. Every fit has one machine's place in every
// round, so listing them by machine keeps the order of every round, which
// KnownDistances needs.
func knownInMachineOrder(ctx context.Context, srv *federated.Server, honest []*federated.Mixture, order []int, replacement []*federated.Mixture) (*federated.KnownDistances, error) {
	var all []*federated.Mixture
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
