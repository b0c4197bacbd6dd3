package kernel

import (
	"math/rand/v2"

	"gonum.org/v1/gonum/mat"

	"github.com/nistgmm/nistgmm/federated/internal/corrupt"
	"github.com/nistgmm/nistgmm/federated/internal/testmix"
	"github.com/nistgmm/nistgmm/federated/mixture"
)

func randomMixture(rng *rand.Rand, k, d int, sep float64) *mixture.Mixture {
	return testmix.RandomMixture(rng, k, d, sep)
}

func randomCov(rng *rand.Rand, d int) *mat.SymDense { return testmix.RandomCov(rng, d) }

func newRNG(seed uint64) *rand.Rand { return testmix.NewRNG(seed) }

func newDense(r, c int) *mat.Dense { return mat.NewDense(r, c, nil) }

// corruptMeans is the mean failure of Section 5.1.
func corruptMeans(m *mixture.Mixture, rng *rand.Rand) (*mixture.Mixture, error) {
	return corrupt.Means(m, rng)
}
