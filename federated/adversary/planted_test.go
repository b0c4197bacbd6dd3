package adversary

import (
	"context"
	"math/rand/v2"
	"testing"

	"github.com/nistgmm/nistgmm/federated/estimates"
	"github.com/nistgmm/nistgmm/federated/mixture"
)

// localFit is what an honest machine sends: the penalized EM fit on n
// observations from truth, started at the truth as in Section 5.2.
func localFit(t testing.TB, truth *mixture.Mixture, n int, rng *rand.Rand) *mixture.Mixture {
	X, _, err := truth.Sample(n, rng)
	if err != nil {
		t.Fatal(err)
	}
	g, _, err := (&mixture.EM{K: truth.K(), Init: truth}).Fit(context.Background(), X, rng)
	if err != nil {
		t.Fatal(err)
	}
	return g
}

// plantedRound makes m estimates of which the first nByz are Byzantine.
func plantedRound(t testing.TB, f Failure, m, nByz int, seed uint64) ([]estimates.Estimate, []int, *mixture.Mixture) {
	rng := newRNG(seed)
	truth := randomMixture(rng, 3, 4, 3)
	truth.Weights = []float64{0.1, 0.3, 0.6}
	var ests []estimates.Estimate
	var byz []int
	for i := 0; i < m; i++ {
		g := localFit(t, truth, 2000, rng)
		if i < nByz {
			byz = append(byz, i)
			if f == Letters {
				g = randomMixture(rng, 3, 4, 3) // a fit on other data
			} else {
				var err error
				if g, err = Corrupt(g, f, rng); err != nil {
					t.Fatal(err)
				}
			}
		}
		ests = append(ests, estimates.Estimate{ID: string(rune('a'+i%26)) + string(rune('0'+i/26)), N: 2000, Mixture: g})
	}
	return ests, byz, truth
}
