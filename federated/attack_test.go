package federated

import (
	"context"
	"fmt"
	"math"
	"slices"
	"strings"
	"testing"

	"gonum.org/v1/gonum/mat"
)

// honestRound returns m local fits of one truth (K = 4, d = 3, n = 1,000
// each) with machines 0..nByz-1 to be replaced by an attacker.
func honestRound(t testing.TB, m, nByz int, seed uint64) ([]Estimate, []int, *Mixture) {
	rng := newRNG(seed)
	truth := randomMixture(rng, 4, 3, 4)
	var ests []Estimate
	var byz []int
	for i := 0; i < m; i++ {
		ests = append(ests, Estimate{ID: "m" + string(rune('A'+i%26)) + string(rune('a'+i/26)), N: 1000, Mixture: localFit(t, truth, 1000, rng)})
		if i < nByz {
			byz = append(byz, i)
		}
	}
	return ests, byz, truth
}

// aredAndOracle returns the Jeffreys distances to the truth of ARED's and
// the Oracle's answers.
func aredAndOracle(t testing.TB, srv *Server, ests []Estimate, byz []int, truth *Mixture) (float64, float64, *Round) {
	round, err := srv.Prepare(context.Background(), ests)
	if err != nil {
		t.Fatal(err)
	}
	ared, err := round.Aggregate(context.Background(), ARED, nil)
	if err != nil {
		t.Fatal(err)
	}
	oracle, err := round.Aggregate(context.Background(), Oracle, byz)
	if err != nil {
		t.Fatal(err)
	}
	dA, err := Jeffreys.Between(truth, ared.Mixture)
	if err != nil {
		t.Fatal(err)
	}
	dO, err := Jeffreys.Between(truth, oracle.Mixture)
	if err != nil {
		t.Fatal(err)
	}
	return dA, dO, round
}

// Every adaptive attack of the registry, with and without inflated sample
// sizes, at 20% and 40% Byzantine machines: the hardened ARED stays within
// a small margin of the Oracle, while the paper's rules (an unhardened
// server) are broken by at least one of them, so the test can tell.
func TestHardenedAREDHoldsAgainstTheAttackSuite(t *testing.T) {
	worstUnhardened := 0.0
	for _, f := range Failures() {
		if !f.Adaptive() {
			continue
		}
		for _, nByz := range []int{6, 12} {
			for _, inflate := range []bool{false, true} {
				ests, byz, truth := honestRound(t, 30, nByz, 71)
				if inflate {
					for _, b := range byz {
						ests[b].N = math.MaxInt64
					}
				}
				for _, unhardened := range []bool{false, true} {
					srv := &Server{Unhardened: unhardened}
					attacked, report, err := Craft(context.Background(), srv, f, ests, byz, newRNG(5))
					if err != nil {
						t.Fatalf("%s: %v", f, err)
					}
					if report == nil || report.Kind != f {
						t.Fatalf("%s: report %+v", f, report)
					}
					for i := range ests {
						if changed := attacked[i].Mixture != ests[i].Mixture; changed != slices.Contains(byz, i) && f != Inside && f != Stealth && f != SlotEdges {
							t.Fatalf("%s: machine %d changed %v", f, i, changed)
						}
					}
					dA, dO, _ := aredAndOracle(t, srv, attacked, byz, truth)
					if unhardened {
						worstUnhardened = math.Max(worstUnhardened, dA/dO)
						continue
					}
					if dA > 1.5*dO+0.01 {
						t.Errorf("%s, %d of 30 Byzantine, inflated n %v: ARED is %.4g from the truth, the Oracle %.4g (%s)",
							f, nByz, inflate, dA, dO, report.Detail)
					}
				}
			}
		}
	}
	if worstUnhardened < 5 {
		t.Errorf("the paper's rules stayed within %.2fx of the Oracle under every attack: the attacks are toothless", worstUnhardened)
	}
}

// A machine reporting an absurd sample size is set aside with a reason
// naming the median, and no valid estimate weighs more than the median
// report in any reduction.
func TestReportedSampleSizeIsNotTrusted(t *testing.T) {
	ests, _, _ := honestRound(t, 9, 0, 72)
	for i := range ests {
		ests[i].N = 100 + 10*i // 100 .. 180, median 140
	}
	ests[8].N = math.MaxInt64
	ests[7].N = 1000 // large but not absurd
	round, err := (&Server{}).Prepare(context.Background(), ests)
	if err != nil {
		t.Fatal(err)
	}
	if len(round.SetAside) != 1 || round.SetAside[0].Index != 8 || !strings.Contains(round.SetAside[0].Reason, "median 140") {
		t.Fatalf("set aside %+v, want machine 8 with the median 140", round.SetAside)
	}
	if !slices.Equal(round.Capped, []int{5, 6, 7, 8}) {
		t.Errorf("capped %v, want [5 6 7 8]", round.Capped)
	}
	atoms, err := round.atoms(round.Valid)
	if err != nil {
		t.Fatal(err)
	}
	mass := map[int]float64{}
	for _, a := range atoms {
		mass[a.machine] += a.mass
	}
	for i, v := range mass {
		if want := float64(min(ests[i].N, 140)) / (100 + 110 + 120 + 130 + 5*140); math.Abs(v-want) > 1e-12 {
			t.Errorf("machine %d has mass %g, want %g", i, v, want)
		}
	}
	res, err := round.Aggregate(context.Background(), ARED, nil)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Contains(res.Flagged, 8) {
		t.Errorf("ARED did not flag the absurd report: %v", res.Flagged)
	}
	unhardened, err := (&Server{Unhardened: true}).Prepare(context.Background(), ests)
	if err != nil {
		t.Fatal(err)
	}
	if len(unhardened.SetAside) != 0 || len(unhardened.Capped) != 0 {
		t.Errorf("the unhardened server set aside %v and capped %v", unhardened.SetAside, unhardened.Capped)
	}
}

// Equal reports give every machine the same weight as before the cap: the
// hardened server's reductions over equal n are the unhardened ones.
func TestEqualSampleSizesKeepTheirWeights(t *testing.T) {
	ests, _, _ := honestRound(t, 12, 0, 73)
	for _, unhardened := range []bool{false, true} {
		round, err := (&Server{Unhardened: unhardened}).Prepare(context.Background(), ests)
		if err != nil {
			t.Fatal(err)
		}
		gmr, err := round.Aggregate(context.Background(), GMR, nil)
		if err != nil {
			t.Fatal(err)
		}
		if unhardened {
			break
		}
		other, _ := (&Server{Unhardened: true}).Prepare(context.Background(), ests)
		ref, err := other.Aggregate(context.Background(), GMR, nil)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(gmr.Mixture.Weights, ref.Mixture.Weights) || !slices.Equal(gmr.Mixture.Means[0], ref.Mixture.Means[0]) {
			t.Error("GMR over equal sample sizes changed with the cap")
		}
	}
}

// The assignment is the cheapest permutation: checked against every
// permutation on random costs.
func TestAssignmentIsOptimal(t *testing.T) {
	rng := newRNG(74)
	for trial := 0; trial < 200; trial++ {
		n := 1 + rng.IntN(6)
		cost := make([]float64, n*n)
		for i := range cost {
			cost[i] = math.Floor(rng.Float64() * 10) // ties on purpose
		}
		got := assignment(cost, n)
		total := func(p []int) float64 {
			var s float64
			for r, c := range p {
				s += cost[r*n+c]
			}
			return s
		}
		seen := make([]bool, n)
		for _, c := range got {
			if seen[c] {
				t.Fatalf("%v is not a permutation", got)
			}
			seen[c] = true
		}
		best := math.Inf(1)
		var perm func(p []int, used []bool)
		perm = func(p []int, used []bool) {
			if len(p) == n {
				best = math.Min(best, total(p))
				return
			}
			for c := 0; c < n; c++ {
				if !used[c] {
					used[c] = true
					perm(append(p, c), used)
					used[c] = false
				}
			}
		}
		perm(nil, make([]bool, n))
		if total(got) != best {
			t.Fatalf("assignment costs %g, the best %g", total(got), best)
		}
	}
	if got := assignment([]float64{math.NaN(), 1, 2, math.Inf(1)}, 2); !slices.Equal(got, []int{1, 0}) {
		t.Errorf("with NaN and Inf costs: %v, want [1 0]", got)
	}
}

// Honest scatter never makes near copies, while a copy rounded in its last
// digits does.
func TestNearCopiesSeeCopiesOnly(t *testing.T) {
	for seed := uint64(80); seed < 85; seed++ {
		ests, _, _ := honestRound(t, 30, 0, seed)
		round, err := (&Server{}).Prepare(context.Background(), ests)
		if err != nil {
			t.Fatal(err)
		}
		if len(round.SetAside) != 0 || len(round.CopyGroups) != 0 {
			t.Errorf("seed %d: honest fits set aside or grouped: %v %v", seed, round.SetAside, round.CopyGroups)
		}
		c := ests[3].Mixture.Clone()
		for k := range c.Means {
			c.Means[k][0] *= 1 + 1e-12
		}
		ests = append(ests, Estimate{ID: "copy", N: 1000, Mixture: c})
		round, err = (&Server{}).Prepare(context.Background(), ests)
		if err != nil {
			t.Fatal(err)
		}
		if len(round.CopyGroups) != 1 || !slices.Equal(round.CopyGroups[0].Members, []int{3, 30}) {
			t.Errorf("seed %d: copy groups %+v, want the copy with 3", seed, round.CopyGroups)
		}
	}
}

// Tiny rounds (one to four estimates, K = 1 or 2) aggregate with every
// method under the hardened server without panicking, and ARED's
// componentwise answer is a valid mixture.
func TestHardenedServerOnTinyRounds(t *testing.T) {
	for _, K := range []int{1, 2} {
		for m := 1; m <= 4; m++ {
			ests, _, _ := honestRound(t, m, 0, 90)
			for i := range ests {
				ests[i].Mixture = randomMixture(newRNG(uint64(91+i)), K, 3, 2)
			}
			round, err := (&Server{}).Prepare(context.Background(), ests)
			if err != nil {
				t.Fatal(err)
			}
			for _, method := range []Method{GMR, COAT, CRED, ARED, TRIM} {
				res, err := round.Aggregate(context.Background(), method, nil)
				if err != nil {
					t.Fatalf("K=%d, m=%d, %s: %v", K, m, method, err)
				}
				if err := res.Mixture.Validate(); err != nil {
					t.Errorf("K=%d, m=%d, %s: %v", K, m, method, err)
				}
			}
		}
	}
}

// BenchmarkARED times the hardened ARED (distances, COAT, the ball's
// reduction and the componentwise combination) against the paper's ARED
// on rounds of m local fits of one order-10 mixture in d = 50, in one
// command: the combination compares every pair of components within a
// slot, so its cost grows like m^2.
func BenchmarkARED(b *testing.B) {
	rng := newRNG(17)
	truth := randomMixture(rng, 10, 50, 3)
	base := make([]Estimate, 0, 200)
	for i := 0; i < 200; i++ {
		base = append(base, Estimate{ID: "m" + string(rune('A'+i%26)) + string(rune('a'+i/26)), N: 2000, Mixture: localFit(b, truth, 2000, rng)})
	}
	for _, m := range []int{50, 100, 200} {
		for _, unhardened := range []bool{true, false} {
			name := fmt.Sprintf("m%d-hardened", m)
			if unhardened {
				name = fmt.Sprintf("m%d-paper", m)
			}
			b.Run(name, func(b *testing.B) {
				srv := &Server{Unhardened: unhardened, SingleStart: true, Workers: 1}
				for i := 0; i < b.N; i++ {
					round, err := srv.Prepare(context.Background(), base[:m])
					if err != nil {
						b.Fatal(err)
					}
					if _, err := round.Aggregate(context.Background(), ARED, nil); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}

// A slot's divergences read from the last pass are the ones computed
// afresh: the same kept set, radius and component, whether every pair, some
// or none come from the cache.
func TestSlotCacheGivesTheComputedNumbers(t *testing.T) {
	ests, byz, _ := honestRound(t, 20, 6, 75)
	attacked, _, err := Craft(context.Background(), &Server{}, CaptureJitter, ests, byz, newRNG(3))
	if err != nil {
		t.Fatal(err)
	}
	round, err := (&Server{}).Prepare(context.Background(), attacked)
	if err != nil {
		t.Fatal(err)
	}
	ref := round.Estimates[round.Coat].Mixture
	refComps, _ := mixtureComponents(ref.Weights, ref.Means, ref.Covs)
	perms := make([][]int, len(round.Valid))
	for a, i := range round.Valid {
		perms[a] = alignTo(refComps, round.comps[i], ref.Dim())
	}
	// Another alignment for some machines: swap two of their components.
	other := make([][]int, len(perms))
	for a, p := range perms {
		other[a] = slices.Clone(p)
		if a%3 == 0 {
			other[a][0], other[a][1] = other[a][1], other[a][0]
		}
	}
	for k := 0; k < ref.K(); k++ {
		for _, second := range [][][]int{perms, other} {
			var fresh, warm slotCache
			if _, _, _, _, _, _, err := round.combineSlot(context.Background(), round.Valid, perms, k, 3, &warm, nil); err != nil {
				t.Fatal(err)
			}
			k1, _, r1, w1, m1, c1, _ := round.combineSlot(context.Background(), round.Valid, second, k, 3, &fresh, nil)
			k2, _, r2, w2, m2, c2, _ := round.combineSlot(context.Background(), round.Valid, second, k, 3, &warm, nil)
			if !slices.Equal(k1, k2) || r1 != r2 || w1 != w2 || !slices.Equal(m1, m2) || !mat.Equal(c1, c2) {
				t.Fatalf("slot %d: the cached pass differs from the fresh one", k)
			}
		}
	}
}

// The same seed gives the same attack and the same answer whatever the
// number of goroutines.
func TestAttacksAndAREDDoNotDependOnWorkers(t *testing.T) {
	ests, byz, _ := honestRound(t, 20, 8, 77)
	for _, f := range []Failure{CaptureJitter, Inside} {
		var answers [][]float64
		for _, workers := range []int{1, 4} {
			srv := &Server{Workers: workers}
			attacked, _, err := Craft(context.Background(), srv, f, ests, byz, newRNG(9))
			if err != nil {
				t.Fatal(err)
			}
			round, err := srv.Prepare(context.Background(), attacked)
			if err != nil {
				t.Fatal(err)
			}
			res, err := round.Aggregate(context.Background(), ARED, nil)
			if err != nil {
				t.Fatal(err)
			}
			var flat []float64
			for k := range res.Mixture.Means {
				flat = append(flat, res.Mixture.Weights[k])
				flat = append(flat, res.Mixture.Means[k]...)
				flat = append(flat, res.Mixture.Covs[k].RawSymmetric().Data...)
			}
			answers = append(answers, flat)
		}
		if !slices.Equal(answers[0], answers[1]) {
			t.Errorf("%s: ARED's answer depends on the number of workers", f)
		}
	}
}
