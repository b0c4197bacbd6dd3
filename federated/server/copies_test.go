package server

import (
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
	"testing"

	"github.com/nistgmm/nistgmm/federated/estimates"
)

// A copy group's representative is chosen by content, not position.
func TestGroupCopiesIgnoresPositions(t *testing.T) {
	links := []copyLink{{0, 1}, {1, 2}, {4, 5}}
	rep := groupCopies(6, links, []uint64{9, 3, 7, 1, 5, 2})
	if want := []int{1, 1, 1, 3, 5, 5}; !slices.Equal(rep, want) {
		t.Errorf("representatives %v, want %v", rep, want)
	}
}

// BenchmarkVerdicts judges rounds of m estimates (order 3 in dimension 3)
// against one answer: one alignment per estimate, so the time per round
// grows linearly in m (compare m250, m1000 and m4000 in one run).
func BenchmarkVerdicts(b *testing.B) {
	ests, _ := momentRound(b, 4000, 800, 0, 18)
	// Unequal n makes the verdicts search every allowed trend (robust.TrendZ).
	unequal := slices.Clone(ests)
	for i := range unequal {
		unequal[i].N = int(100 * math.Pow(50, float64(i%97)/96))
	}
	for _, c := range []struct {
		name string
		ests []estimates.Estimate
	}{{"equal-n", ests}, {"unequal-n", unequal}} {
		for _, m := range []int{250, 1000, 4000} {
			b.Run(fmt.Sprintf("%s/m%d", c.name, m), func(b *testing.B) {
				round, err := (&Server{}).Prepare(context.Background(), c.ests[4000-m:])
				if err != nil {
					b.Fatal(err)
				}
				answer := round.Estimates[round.Coat].Mixture
				b.ResetTimer()
				for i := 0; i < b.N; i++ {
					if _, err := round.verdicts(context.Background(), answer); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}

// When no estimate is valid, the error says why each was refused.
func TestNoValidEstimateSaysWhy(t *testing.T) {
	ests, _, _ := honestRound(t, 4, 0, 95)
	_, err := (&Server{K: 5}).Prepare(context.Background(), ests)
	if !errors.Is(err, ErrNoValidEstimate) || !strings.Contains(err.Error(), "none has the declared order 5 (the estimates: 4 of order 4 in dimension 3)") {
		t.Errorf("error %v", err)
	}
}

// Decoded estimates store each covariance in both triangles; the round
// factorizes them in that storage rather than a copy, and an estimate's
// key (which picks a copy group's representative) does not depend on it.
func TestDecodedCovariancesAreShared(t *testing.T) {
	ests, _, _ := plantedRound(t, meanFailure, 6, 0, 39)
	decoded, err := estimates.DecodeEstimates(encode(t, ests))
	if err != nil {
		t.Fatal(err)
	}
	round, err := (&Server{}).Prepare(context.Background(), decoded)
	if err != nil {
		t.Fatal(err)
	}
	for i, e := range decoded {
		if estimateKey(e) != estimateKey(ests[i]) {
			t.Errorf("estimate %d: its key depends on how its covariances are stored", i)
		}
		for k, g := range round.comps[i] {
			if &g.Cov[0] != &e.Mixture.Covs[k].RawSymmetric().Data[0] {
				t.Errorf("estimate %d, component %d: the covariance was copied", i, k)
			}
		}
	}
}
