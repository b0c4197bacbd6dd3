package mixture_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"

	"github.com/nistgmm/nistgmm/federated/mixture"
	"gonum.org/v1/gonum/mat"
)

// A machine fits an order-2 mixture to its own observations. With a
// PenaltySearch it also chooses the penalty's constant from its own data.
func ExampleEM_Fit() {
	rng := rand.New(rand.NewPCG(1, 2))
	X := mat.NewDense(400, 2, nil)
	for i := 0; i < 400; i++ {
		centre := 0.0
		if i%2 == 1 {
			centre = 6
		}
		X.Set(i, 0, centre+rng.NormFloat64())
		X.Set(i, 1, rng.NormFloat64())
	}
	em := &mixture.EM{K: 2, PenaltySearch: &mixture.PenaltySearch{}}
	mix, info, err := em.Fit(context.Background(), X, rng)
	if err != nil {
		fmt.Println(err)
		return
	}
	lo, hi := mix.Means[0][0], mix.Means[1][0]
	if lo > hi {
		lo, hi = hi, lo
	}
	fmt.Printf("means near %.0f and %.0f, converged %v, penalty constant chosen from the grid: %v\n",
		lo, hi, info.Converged, slices.Contains(mixture.DefaultPenaltyGrid(), info.PenaltyScale))
	// Output:
	// means near 0 and 6, converged true, penalty constant chosen from the grid: true
}

// Predict assigns each observation to its most probable component.
func ExampleMixture_Predict() {
	mix := &mixture.Mixture{
		Weights: []float64{0.5, 0.5},
		Means:   [][]float64{{0}, {10}},
		Covs:    []*mat.SymDense{mat.NewSymDense(1, []float64{1}), mat.NewSymDense(1, []float64{1})},
	}
	labels, err := mix.Predict(mat.NewDense(3, 1, []float64{-1, 9, 4.9}))
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(labels)
	// Output:
	// [0 1 0]
}
