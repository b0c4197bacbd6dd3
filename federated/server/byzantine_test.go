package server

import (
	"context"
	"errors"
	"math"
	"slices"
	"testing"

	"gonum.org/v1/gonum/mat"

	"github.com/nistgmm/nistgmm/federated/divergence"
	"github.com/nistgmm/nistgmm/federated/estimates"
	"github.com/nistgmm/nistgmm/federated/internal/gauss"
	"github.com/nistgmm/nistgmm/federated/internal/kernel"
	"github.com/nistgmm/nistgmm/federated/mixture"
)

// Every reduction keeps the lowest objective over its starts, the first
// of which is the paper's single start at COAT.
func TestMultiStartNeverWorseThanCOATStart(t *testing.T) {
	ests, byz, _ := plantedRound(t, letters, 30, 8, 51)
	ctx := context.Background()
	single, err := (&Server{SingleStart: true}).Prepare(ctx, ests)
	if err != nil {
		t.Fatal(err)
	}
	multi, err := (&Server{Seed: 3}).Prepare(ctx, ests)
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range []Method{GMR, CRED, ARED, Oracle} {
		a, err := single.Aggregate(ctx, m, byz)
		if err != nil {
			t.Fatal(err)
		}
		b, err := multi.Aggregate(ctx, m, byz)
		if err != nil {
			t.Fatal(err)
		}
		if b.Objective > a.Objective*(1+1e-12) {
			t.Errorf("%s: multi-start objective %g above the single start's %g", m, b.Objective, a.Objective)
		}
	}
}

// Identical estimates are never told apart, whatever the rounding of the
// distance: eight copies (the last with its means moved by 1e-15, which
// only rounding sees) are all kept by every rule.
func TestRadiusKeepsIdenticalEstimates(t *testing.T) {
	g := randomMixture(newRNG(22), 3, 5, 2)
	var ests []estimates.Estimate
	for i := 0; i < 8; i++ {
		c := g.Clone()
		if i == 7 {
			for k := range c.Means {
				c.Means[k][0] += 1e-15
			}
		}
		ests = append(ests, estimates.Estimate{ID: string(rune('a' + i)), N: 100, Mixture: c})
	}
	for _, d := range divergence.Distances() {
		for _, rule := range []RadiusRule{RadiusRobust, RadiusEq5} {
			round, err := (&Server{Distance: d, Radius: rule, Unhardened: true}).Prepare(context.Background(), ests)
			if err != nil {
				t.Fatal(err)
			}
			for _, m := range []Method{CRED, ARED} {
				res, err := round.Aggregate(context.Background(), m, nil)
				if err != nil {
					t.Fatal(err)
				}
				if len(res.Flagged) != 0 {
					t.Errorf("%s/%s/%s flagged %v among identical estimates (radius %g)", d, rule, m, res.Flagged, res.Radius)
				}
			}
		}
	}
}

// By default identical estimates are evidence, not votes: they form one
// copy group, counted once, and none of them is accused for being in it;
// the group is the answer.
func TestCopiesCountOnce(t *testing.T) {
	g := randomMixture(newRNG(22), 3, 5, 2)
	var ests []estimates.Estimate
	for i := 0; i < 8; i++ {
		ests = append(ests, estimates.Estimate{ID: string(rune('a' + i)), N: 100, Mixture: g.Clone()})
	}
	for i := 0; i < 8; i++ { // honest scatter around the copies
		ests = append(ests, estimates.Estimate{ID: string(rune('A' + i)), N: 100, Mixture: localFit(t, g, 400, newRNG(uint64(100+i)))})
	}
	for _, d := range divergence.Distances() {
		round, err := (&Server{Distance: d}).Prepare(context.Background(), ests)
		if err != nil {
			t.Fatal(err)
		}
		if len(round.CopyGroups) != 1 || !slices.Equal(round.CopyGroups[0].Members, []int{0, 1, 2, 3, 4, 5, 6, 7}) {
			t.Fatalf("%s: copy groups %+v, want one of the 8 copies", d, round.CopyGroups)
		}
		if len(round.SetAside) != 0 {
			t.Errorf("%s: set aside %v", d, round.SetAside)
		}
		copies := 0
		for _, i := range round.Counted() {
			if i < 8 {
				copies++
			}
		}
		if copies != 1 || len(round.Counted()) != 9 {
			t.Errorf("%s: counted %v, want the group once and the 8 others", d, round.Counted())
		}
		for _, m := range []Method{CRED, ARED} {
			res, err := round.Aggregate(context.Background(), m, nil)
			if err != nil {
				t.Fatal(err)
			}
			for i := 0; i < 8; i++ {
				if slices.Contains(res.Flagged, i) || !slices.Contains(res.Kept, i) {
					t.Errorf("%s/%s: copy %d flagged or not kept (kept %v, flagged %v)", d, m, i, res.Kept, res.Flagged)
				}
			}
		}
	}
}

// The robust radius flags every planted far-off estimate, with the default
// distance, from 5% to 40% of them, and at most 15% of the honest ones
// (its scale comes from the half of the distances inside COAT's ball, so an
// honest estimate in the upper tail is sometimes flagged: about 6% on
// simulated rounds, see the README).
func TestRobustRadiusFlagsPlantedOutliers(t *testing.T) {
	for _, f := range []plantedFailure{letters, meanFailure} {
		for _, nb := range []int{2, 10, 16} {
			ests, byz, _ := plantedRound(t, f, 40, nb, 52)
			round, err := (&Server{}).Prepare(context.Background(), ests)
			if err != nil {
				t.Fatal(err)
			}
			res, err := round.Aggregate(context.Background(), ARED, nil)
			if err != nil {
				t.Fatal(err)
			}
			honestFlagged := 0
			for _, i := range res.Flagged {
				if !slices.Contains(byz, i) {
					honestFlagged++
				}
			}
			for _, b := range byz {
				if !slices.Contains(res.Flagged, b) {
					t.Errorf("%s, %d Byzantine: ARED kept Byzantine %d", f, nb, b)
				}
			}
			if honestFlagged > 15*(40-nb)/100 {
				t.Errorf("%s, %d Byzantine: ARED flagged %d honest of %d", f, nb, honestFlagged, 40-nb)
			}
			if res.Radius < round.Radius {
				t.Errorf("%s: robust radius %g below r_coat %g", f, res.Radius, round.Radius)
			}
		}
	}
}

// With few machines eq. (5)'s factor is below 1 and ARED says so.
func TestEq5WarnsWhenFactorBelowOne(t *testing.T) {
	ests, _, _ := plantedRound(t, meanFailure, 8, 1, 53)
	round, err := (&Server{Radius: RadiusEq5}).Prepare(context.Background(), ests)
	if err != nil {
		t.Fatal(err)
	}
	res, err := round.Aggregate(context.Background(), ARED, nil)
	if err != nil {
		t.Fatal(err)
	}
	if res.Warning == "" {
		t.Error("no warning with m = 8, where eq. (5)'s factor is 0.71")
	}
	few, _, _ := plantedRound(t, meanFailure, 4, 0, 55)
	round, err = (&Server{}).Prepare(context.Background(), few)
	if err != nil {
		t.Fatal(err)
	}
	if res, err = round.Aggregate(context.Background(), ARED, nil); err != nil || res.Warning == "" || res.Radius < round.Radius {
		t.Errorf("robust radius with m = 4: warning %q, radius %v (r_coat %v), error %v", res.Warning, res.Radius, round.Radius, err)
	}
	if f, _ := AREDFactor(50); f < 1 {
		t.Errorf("factor at m = 50 is %v", f)
	}
}

func TestSettingsRejectBadValues(t *testing.T) {
	truth := randomMixture(newRNG(61), 2, 2, 4)
	good, _, err := truth.Sample(200, newRNG(62))
	if err != nil {
		t.Fatal(err)
	}
	ests, _, _ := honestRound(t, 5, 0, 63)
	for name, em := range map[string]*mixture.EM{
		"no K":          {},
		"negative tol":  {K: 2, Tol: -1},
		"negative iter": {K: 2, MaxIter: -3},
		"NaN penalty":   {K: 2, PenaltyScale: math.NaN()},
		"restarts":      {K: 2, Restarts: -1},
		"folds":         {K: 2, PenaltySearch: &mixture.PenaltySearch{Folds: 1}},
		"grid":          {K: 2, PenaltySearch: &mixture.PenaltySearch{Grid: []float64{0}}},
	} {
		if err := em.Validate(); !errors.Is(err, mixture.ErrInvalidSetting) {
			t.Errorf("%s: EM.Validate gave %v", name, err)
		}
		// Data a valid EM fits: only the setting can make Fit fail.
		if _, _, err := em.Fit(context.Background(), good, newRNG(1)); !errors.Is(err, mixture.ErrInvalidSetting) {
			t.Errorf("%s: Fit gave %v", name, err)
		}
	}
	if _, _, err := (&mixture.EM{K: 2}).Fit(context.Background(), good, newRNG(1)); err != nil {
		t.Fatalf("the data fail a valid EM: %v", err)
	}
	for name, s := range map[string]*Server{
		"trim 1":       {Trim: 1},
		"trim -0.1":    {Trim: -0.1},
		"distance":     {Distance: "euclid"},
		"radius rule":  {Radius: "gap"},
		"negative tol": {Tol: -1},
		"iterations":   {MaxIter: -1},
		"starts":       {NearStarts: -1},
		"workers":      {Workers: -2},
		"scale":        {RadiusScale: math.Inf(1)},
	} {
		if err := s.Validate(); !errors.Is(err, ErrInvalidSetting) {
			t.Errorf("%s: Server.Validate gave %v", name, err)
		}
		// Estimates a valid server aggregates: only the setting can fail.
		if _, err := s.Prepare(context.Background(), ests); !errors.Is(err, mixture.ErrInvalidSetting) {
			t.Errorf("%s: Prepare gave %v", name, err)
		}
	}
	if _, err := (&Server{}).Prepare(context.Background(), ests); err != nil {
		t.Fatalf("the estimates fail a valid server: %v", err)
	}
}

// Moment matching of two 1-D atoms, by hand: masses 0.25 and 0.75 at
// N(0, 1) and N(4, 2) give mean 3 and variance
// 0.25 (1 + 9) + 0.75 (2 + 1) = 4.75, with weight 1.
func TestMomentMatchByHand(t *testing.T) {
	g1, err := gauss.NewGaussian([]float64{0}, mat.NewSymDense(1, []float64{1}))
	if err != nil {
		t.Fatal(err)
	}
	g2, err := gauss.NewGaussian([]float64{4}, mat.NewSymDense(1, []float64{2}))
	if err != nil {
		t.Fatal(err)
	}
	atoms := []kernel.Atom{{G: g1, Mass: 0.25}, {G: g2, Mass: 0.75}}
	mix := momentMatch(atoms, []int{0, 0}, func(a int) float64 { return atoms[a].Mass }, 1, 1)
	if mix.Weights[0] != 1 || mix.Means[0][0] != 3 || math.Abs(mix.Covs[0].At(0, 0)-4.75) > 1e-15 {
		t.Fatalf("got weight %v, mean %v, variance %v; want 1, 3, 4.75", mix.Weights[0], mix.Means[0][0], mix.Covs[0].At(0, 0))
	}
}

// TRIM's boundary tie, by hand: costs 1, 2, 2, 3 with masses 0.3, 0.2,
// 0.2, 0.3 and half the mass kept. The cheapest atom keeps its 0.3; the two
// tied at cost 2 share the 0.2 left, 0.1 each; the last keeps nothing. The
// trimmed cost is 0.3 + 0.2 + 0.2 = 0.7.
func TestTrimBoundaryTieByHand(t *testing.T) {
	atoms := []kernel.Atom{{Mass: 0.3}, {Mass: 0.2}, {Mass: 0.2}, {Mass: 0.3}}
	cost := []float64{1, 2, 2, 3}
	kappa := make([]float64, 4)
	obj := trimMass(atoms, []int{0, 1, 2, 3}, cost, kappa, 0.5)
	want := []float64{0.3, 0.1, 0.1, 0}
	for a := range want {
		if math.Abs(kappa[a]-want[a]) > 1e-15 {
			t.Fatalf("kept mass %v, want %v", kappa, want)
		}
	}
	if math.Abs(obj-0.7) > 1e-15 {
		t.Fatalf("trimmed cost %v, want 0.7", obj)
	}
}
