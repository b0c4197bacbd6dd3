package server

import (
	"context"
	"fmt"
	"math"
	"os"
	"slices"
	"strings"
	"testing"

	"gonum.org/v1/gonum/mat"

	"github.com/nistgmm/nistgmm/federated/estimates"
	"github.com/nistgmm/nistgmm/federated/internal/gauss"
	"github.com/nistgmm/nistgmm/federated/internal/kernel"
)

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
		mass[a.Machine] += a.Mass
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
		ests = append(ests, estimates.Estimate{ID: "copy", N: 1000, Mixture: c})
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
	base := make([]estimates.Estimate, 0, 200)
	for i := 0; i < 200; i++ {
		base = append(base, estimates.Estimate{ID: "m" + string(rune('A'+i%26)) + string(rune('a'+i/26)), N: 2000, Mixture: localFit(b, truth, 2000, rng)})
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
	// The round the capture-jitter attack sends (20 machines of which 6
	// Byzantine, the adversary's test round with seed 75): near copies
	// that straddle the slots' radii. The adversary imports the server, so
	// its output is read from a file made by it.
	f, err := os.Open("testdata/capture-jitter-round.json")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	attacked, err := estimates.DecodeEstimates(f)
	if err != nil {
		t.Fatal(err)
	}
	round, err := (&Server{}).Prepare(context.Background(), attacked)
	if err != nil {
		t.Fatal(err)
	}
	ref := round.Estimates[round.Coat].Mixture
	refComps, _ := gauss.MixtureComponents(ref.Weights, ref.Means, ref.Covs)
	perms := make([][]int, len(round.Valid))
	for a, i := range round.Valid {
		perms[a] = kernel.AlignTo(refComps, round.comps[i], ref.Dim())
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
