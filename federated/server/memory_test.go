package server

import (
	"context"
	"testing"

	"github.com/nistgmm/nistgmm/federated/estimates"
)

// A round searched exactly keeps its estimates' components without their
// Cholesky factors and inverses (each the size of a covariance), before and
// after every aggregation: those are recomputed where they are read, so the
// round holds its covariances once, not three times (docs/federation.md,
// Load).
func TestExactRoundKeepsNoFactorizations(t *testing.T) {
	rng := newRNG(41)
	var ests []estimates.Estimate
	for i := 0; i < 12; i++ {
		ests = append(ests, estimates.Estimate{ID: "m", N: 200, Mixture: randomMixture(rng, 3, 4, 3)})
	}
	round, err := (&Server{}).Prepare(context.Background(), ests)
	if err != nil {
		t.Fatal(err)
	}
	check := func(when string) {
		t.Helper()
		for _, i := range round.Valid {
			for k, g := range round.comps[i] {
				if g.Inv != nil || g.Upper.Data != nil {
					t.Fatalf("%s: estimate %d component %d keeps its factorizations", when, i, k)
				}
			}
		}
	}
	check("after Prepare")
	for _, m := range Methods() {
		if _, err := round.Aggregate(context.Background(), m, nil); err != nil {
			t.Fatal(m, err)
		}
		check("after " + string(m))
	}
}
