// Package testmix draws the random mixtures and generators the tests of
// the federated packages share. It is for tests only: nothing in the
// product imports it.
package testmix

import (
	"math/rand/v2"

	"gonum.org/v1/gonum/mat"

	"github.com/nistgmm/nistgmm/federated/mixture"
)

// RandomMixture returns an order-k mixture in dimension d with equal
// weights, means spread by sep and random, well-conditioned covariances.
func RandomMixture(rng *rand.Rand, k, d int, sep float64) *mixture.Mixture {
	m := &mixture.Mixture{}
	for i := 0; i < k; i++ {
		m.Weights = append(m.Weights, 1/float64(k))
		mu := make([]float64, d)
		for j := range mu {
			mu[j] = sep * rng.NormFloat64()
		}
		m.Means = append(m.Means, mu)
		m.Covs = append(m.Covs, RandomCov(rng, d))
	}
	return m
}

// RandomCov returns A A^T / d + 0.5 I for a standard normal d x d matrix A.
func RandomCov(rng *rand.Rand, d int) *mat.SymDense {
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

// NewRNG is the tests' seeded generator.
func NewRNG(seed uint64) *rand.Rand { return rand.New(rand.NewPCG(seed, 0x9e3779b97f4a7c15)) }
