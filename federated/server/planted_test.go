package server

import (
	"context"
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/nistgmm/nistgmm/federated/estimates"
	"github.com/nistgmm/nistgmm/federated/internal/corrupt"
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
func plantedRound(t testing.TB, f plantedFailure, m, nByz int, seed uint64) ([]estimates.Estimate, []int, *mixture.Mixture) {
	rng := newRNG(seed)
	truth := randomMixture(rng, 3, 4, 3)
	truth.Weights = []float64{0.1, 0.3, 0.6}
	var ests []estimates.Estimate
	var byz []int
	for i := 0; i < m; i++ {
		g := localFit(t, truth, 2000, rng)
		if i < nByz {
			byz = append(byz, i)
			if f == letters {
				g = randomMixture(rng, 3, 4, 3) // a fit on other data
			} else {
				var err error
				if g, err = plant(g, f, rng); err != nil {
					t.Fatal(err)
				}
			}
		}
		ests = append(ests, estimates.Estimate{ID: string(rune('a'+i%26)) + string(rune('0'+i/26)), N: 2000, Mixture: g})
	}
	return ests, byz, truth
}

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

// The server's tests plant the failures of Section 5.1 themselves, with
// the adversary's formulas: the adversary package imports the server, so
// the server's own tests cannot import it.
type plantedFailure string

const (
	letters       plantedFailure = "letters"
	meanFailure   plantedFailure = "mean"
	covFailure    plantedFailure = "cov"
	weightFailure plantedFailure = "weight"
)

// corrupt applies the mean, cov or weight failure to a copy of m.
func plant(m *mixture.Mixture, f plantedFailure, rng *rand.Rand) (*mixture.Mixture, error) {
	switch f {
	case meanFailure:
		return corrupt.Means(m, rng)
	case covFailure:
		return corrupt.Covs(m, rng)
	case weightFailure:
		return corrupt.Weights(m, rng)
	}
	return nil, fmt.Errorf("failure %q is not planted by plant", f)
}
