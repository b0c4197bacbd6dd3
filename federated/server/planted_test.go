package server

import (
	"context"
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/nistgmm/nistgmm/federated/estimates"
	"github.com/nistgmm/nistgmm/federated/internal/gauss"
	"github.com/nistgmm/nistgmm/federated/mixture"
	"gonum.org/v1/gonum/mat"
	"gonum.org/v1/gonum/stat/distmv"
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
				if g, err = corrupt(g, f, rng); err != nil {
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
func corrupt(m *mixture.Mixture, f plantedFailure, rng *rand.Rand) (*mixture.Mixture, error) {
	switch f {
	case meanFailure:
		return corruptMeans(m, rng)
	case covFailure:
		return corruptCovs(m, rng)
	case weightFailure:
		return corruptWeights(m, rng)
	}
	return nil, fmt.Errorf("failure %q is not planted by corrupt", f)
}

func corruptMeans(m *mixture.Mixture, rng *rand.Rand) (*mixture.Mixture, error) {
	out := m.Clone()
	for k := range out.Means {
		for i := range out.Means[k] {
			out.Means[k][i] = 100 * rng.NormFloat64()
		}
	}
	return out, nil
}

func corruptCovs(m *mixture.Mixture, rng *rand.Rand) (*mixture.Mixture, error) {
	out := m.Clone()
	d := m.Dim()
	xi := mat.NewDense(d, d, nil)
	noise := mat.NewSymDense(d, nil)
	for k := range out.Covs {
		for i := 0; i < d; i++ {
			for j := 0; j < d; j++ {
				xi.Set(i, j, rng.NormFloat64())
			}
		}
		// Rows of xi are the xi_i: sum_i xi_i xi_i^T = xi^T xi.
		noise.SymOuterK(1, xi.T())
		out.Covs[k].AddSym(out.Covs[k], noise)
	}
	return out, nil
}

func corruptWeights(m *mixture.Mixture, rng *rand.Rand) (*mixture.Mixture, error) {
	out := m.Clone()
	alpha := make([]float64, len(out.Weights))
	for k := range alpha {
		alpha[k] = float64(200 + rng.IntN(801))
	}
	distmv.NewDirichlet(alpha, rng).Rand(out.Weights)
	gauss.Normalize(out.Weights)
	return out, nil
}
