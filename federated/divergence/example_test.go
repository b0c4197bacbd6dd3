package divergence_test

import (
	"fmt"

	"github.com/nistgmm/nistgmm/federated/divergence"
	"github.com/nistgmm/nistgmm/federated/mixture"
	"gonum.org/v1/gonum/mat"
)

// Between measures how far two mixtures are; the Jeffreys divergence of
// two unit-variance Gaussians one apart is KL both ways, 0.5 + 0.5.
func ExampleDistance_Between() {
	one := func(mu float64) *mixture.Mixture {
		return &mixture.Mixture{Weights: []float64{1}, Means: [][]float64{{mu}},
			Covs: []*mat.SymDense{mat.NewSymDense(1, []float64{1})}}
	}
	for _, d := range []divergence.Distance{divergence.KL, divergence.Jeffreys} {
		v, err := d.Between(one(0), one(1))
		if err != nil {
			fmt.Println(err)
			return
		}
		fmt.Printf("%s %.2f\n", d, v)
	}
	// Output:
	// kl 0.50
	// jeffreys 1.00
}
