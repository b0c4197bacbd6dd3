package mixsim_test

import (
	"fmt"
	"math/rand/v2"

	"gonum.org/v1/gonum/mat"

	"github.com/nistgmm/nistgmm/federated/mixture"
	"github.com/nistgmm/nistgmm/mixsim"
)

// Two unit-variance components one standard deviation apart with equal
// weights overlap by Phi(-1/2) each way.
func ExampleComputeOverlap() {
	m := &mixture.Mixture{
		Weights: []float64{0.5, 0.5},
		Means:   [][]float64{{0, 0}, {1, 0}},
		Covs:    []*mat.SymDense{mat.NewSymDense(2, []float64{1, 0, 0, 1}), mat.NewSymDense(2, []float64{1, 0, 0, 1})},
	}
	ov, err := mixsim.ComputeOverlap(m)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("o_{1|0} = %.6f, MaxOmega = %.6f\n", ov.Map[0][1], ov.Max)
	// Output: o_{1|0} = 0.308538, MaxOmega = 0.617075
}

// A random K = 5 mixture in d = 10 whose largest pairwise overlap is 0.3.
func ExampleGenerator() {
	g := mixsim.Generator{K: 5, Dim: 10, MaxOmega: 0.3}
	m, ov, err := g.Generate(rand.New(rand.NewPCG(1, 2)))
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("K = %d, d = %d, MaxOmega = %.6f\n", m.K(), m.Dim(), ov.Max)
	// Output: K = 5, d = 10, MaxOmega = 0.300000
}
