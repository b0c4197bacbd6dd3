package adversary

import (
	"context"
	"math"
	"slices"
	"testing"

	"github.com/nistgmm/nistgmm/federated/divergence"
	"github.com/nistgmm/nistgmm/federated/estimates"
	"github.com/nistgmm/nistgmm/federated/mixture"
	"github.com/nistgmm/nistgmm/federated/server"
)

// honestRound returns m local fits of one truth (K = 4, d = 3, n = 1,000
// each) with machines 0..nByz-1 to be replaced by an attacker.
func honestRound(t testing.TB, m, nByz int, seed uint64) ([]estimates.Estimate, []int, *mixture.Mixture) {
	rng := newRNG(seed)
	truth := randomMixture(rng, 4, 3, 4)
	var ests []estimates.Estimate
	var byz []int
	for i := 0; i < m; i++ {
		ests = append(ests, estimates.Estimate{ID: "m" + string(rune('A'+i%26)) + string(rune('a'+i/26)), N: 1000, Mixture: localFit(t, truth, 1000, rng)})
		if i < nByz {
			byz = append(byz, i)
		}
	}
	return ests, byz, truth
}

// aredAndOracle returns the Jeffreys distances to the truth of ARED's and
// the Oracle's answers.
func aredAndOracle(t testing.TB, srv *server.Server, ests []estimates.Estimate, byz []int, truth *mixture.Mixture) (float64, float64, *server.Round) {
	round, err := srv.Prepare(context.Background(), ests)
	if err != nil {
		t.Fatal(err)
	}
	ared, err := round.Aggregate(context.Background(), server.ARED, nil)
	if err != nil {
		t.Fatal(err)
	}
	oracle, err := round.Aggregate(context.Background(), server.Oracle, byz)
	if err != nil {
		t.Fatal(err)
	}
	dA, err := divergence.Jeffreys.Between(truth, ared.Mixture)
	if err != nil {
		t.Fatal(err)
	}
	dO, err := divergence.Jeffreys.Between(truth, oracle.Mixture)
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
					srv := &server.Server{Unhardened: unhardened}
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

// The same seed gives the same attack and the same answer whatever the
// number of goroutines.
func TestAttacksAndAREDDoNotDependOnWorkers(t *testing.T) {
	ests, byz, _ := honestRound(t, 20, 8, 77)
	for _, f := range []Failure{CaptureJitter, Inside} {
		var answers [][]float64
		for _, workers := range []int{1, 4} {
			srv := &server.Server{Workers: workers}
			attacked, _, err := Craft(context.Background(), srv, f, ests, byz, newRNG(9))
			if err != nil {
				t.Fatal(err)
			}
			round, err := srv.Prepare(context.Background(), attacked)
			if err != nil {
				t.Fatal(err)
			}
			res, err := round.Aggregate(context.Background(), server.ARED, nil)
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

// The attacker's choice is kept by ARED, and moves the Byzantine fits.
func TestStealthStaysInsideARED(t *testing.T) {
	ests, _, _ := plantedRound(t, Letters, 20, 0, 54)
	byz := []int{0, 5, 9}
	srv := &server.Server{}
	// Estimates from n = 2,000 are precise: only small moves stay hidden.
	grid := StealthGrid{Scales: []float64{1, 1.02, 1.05, 1.1}, Shifts: []float64{0, 0.002, 0.005, 0.01, 0.02, 0.05}}
	attacked, choice, err := CraftStealth(context.Background(), srv, ests, byz, grid)
	if err != nil {
		t.Fatal(err)
	}
	if choice.Damage <= 0 || (choice.Scale == 1 && choice.Shift == 0) {
		t.Fatalf("attack chose %+v: nothing moved", choice)
	}
	round, err := srv.Prepare(context.Background(), attacked)
	if err != nil {
		t.Fatal(err)
	}
	res, err := round.Aggregate(context.Background(), server.ARED, nil)
	if err != nil {
		t.Fatal(err)
	}
	honest, err := srv.Prepare(context.Background(), ests)
	if err != nil {
		t.Fatal(err)
	}
	base, err := honest.Aggregate(context.Background(), server.ARED, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, b := range byz {
		if slices.Contains(base.Kept, b) && !slices.Contains(res.Kept, b) {
			t.Errorf("ARED flagged stealth machine %d (choice %+v)", b, choice)
		}
	}
}
