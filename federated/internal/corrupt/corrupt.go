// Package corrupt holds the failures of Section 5.1, each a corruption of
// one estimate on its own: the adversary registers them, and the server's
// and the kernels' tests plant them without importing the adversary.
package corrupt

import (
	"math/rand/v2"

	"github.com/nistgmm/nistgmm/federated/internal/gauss"
	"github.com/nistgmm/nistgmm/federated/mixture"
	"gonum.org/v1/gonum/mat"
	"gonum.org/v1/gonum/stat/distmv"
)

// Means replaces every mean by a vector of N(0, 100^2) entries.
func Means(m *mixture.Mixture, rng *rand.Rand) (*mixture.Mixture, error) {
	out := m.Clone()
	for k := range out.Means {
		for i := range out.Means[k] {
			out.Means[k][i] = 100 * rng.NormFloat64()
		}
	}
	return out, nil
}

// Covs adds sum_{i=1..d} xi_i xi_i^T, xi_i standard normal, to every
// covariance.
func Covs(m *mixture.Mixture, rng *rand.Rand) (*mixture.Mixture, error) {
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

// Weights replaces the weights by a Dirichlet draw whose parameters are
// random integers in [200, 1000].
func Weights(m *mixture.Mixture, rng *rand.Rand) (*mixture.Mixture, error) {
	out := m.Clone()
	alpha := make([]float64, len(out.Weights))
	for k := range alpha {
		alpha[k] = float64(200 + rng.IntN(801))
	}
	distmv.NewDirichlet(alpha, rng).Rand(out.Weights)
	gauss.Normalize(out.Weights)
	return out, nil
}
