package adversary

import (
	"math/rand/v2"

	"gonum.org/v1/gonum/mat"

	"github.com/nistgmm/nistgmm/federated/mixture"
)

// randomMixture returns an order-k mixture in dimension d whose means are
// spread by sep and whose covariances are random and well conditioned.
func randomMixture(rng *rand.Rand, k, d int, sep float64) *mixture.Mixture {
	m := &mixture.Mixture{}
	for i := 0; i < k; i++ {
		m.Weights = append(m.Weights, 1/float64(k))
		mu := make([]float64, d)
		for j := range mu {
			mu[j] = sep * rng.NormFloat64()
		}
		m.Means = append(m.Means, mu)
		m.Covs = append(m.Covs, randomCov(rng, d))
	}
	return m
}

// randomCov returns A A^T / d + 0.5 I for a standard normal d x d matrix A.
func randomCov(rng *rand.Rand, d int) *mat.SymDense {
	a := mat.NewDense(d, d, nil)
	for i := 0; i < d; i++ {
		for j := 0; j < d; j++ {
			a.Set(i, j, rng.NormFloat64())
		}
	}
	s := mat.NewSymDense(d, nil)
	s.SymOuterK(1/float64(d), a)
	for i := 0; i < d; i++ {
		s.SetSym(i, i, s.At(i, i)+0.5)
	}
	return s
}

func newRNG(seed uint64) *rand.Rand { return rand.New(rand.NewPCG(seed, 0x9e3779b97f4a7c15)) }

func newDense(r, c int) *mat.Dense { return mat.NewDense(r, c, nil) }
