package server_test

import (
	"context"
	"fmt"

	"github.com/nistgmm/nistgmm/federated/estimates"
	"github.com/nistgmm/nistgmm/federated/mixture"
	"github.com/nistgmm/nistgmm/federated/server"
	"gonum.org/v1/gonum/mat"
)

// Nine machines send 1-D two-component mixtures; machine e's transmission
// was corrupted. The server finds COAT among the honest ones; CRED reduces
// COAT's ball, ARED a wider one, and GMR everything.
func ExampleServer() {
	mix := func(mu1, mu2 float64) *mixture.Mixture {
		return &mixture.Mixture{
			Weights: []float64{0.4, 0.6},
			Means:   [][]float64{{mu1}, {mu2}},
			Covs:    []*mat.SymDense{mat.NewSymDense(1, []float64{1}), mat.NewSymDense(1, []float64{1})},
		}
	}
	ests := []estimates.Estimate{
		{ID: "a", N: 500, Mixture: mix(0.02, 5.01)},
		{ID: "b", N: 500, Mixture: mix(-0.03, 4.98)},
		{ID: "c", N: 500, Mixture: mix(0.01, 5.03)},
		{ID: "d", N: 500, Mixture: mix(0.04, 4.97)},
		{ID: "e", N: 500, Mixture: mix(-120, 87)}, // mean failure
		{ID: "f", N: 500, Mixture: mix(-0.01, 5.00)},
		{ID: "g", N: 500, Mixture: mix(0.03, 5.02)},
		{ID: "h", N: 500, Mixture: mix(-0.02, 4.99)},
		{ID: "i", N: 500, Mixture: mix(0.00, 5.04)},
	}
	round, err := (&server.Server{}).Prepare(context.Background(), ests)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("COAT:", ests[round.Coat].ID)
	for _, m := range []server.Method{server.CRED, server.ARED, server.GMR} {
		res, err := round.Aggregate(context.Background(), m, nil)
		if err != nil {
			fmt.Println(err)
			return
		}
		fmt.Printf("%s kept %v flagged %v, means %.2f %.2f\n", m, res.Kept, res.Flagged,
			res.Mixture.Means[0][0], res.Mixture.Means[1][0])
	}
	// CRED keeps COAT's ball, the half of the estimates nearest COAT, by
	// definition, so it also leaves out honest ones; ARED's wider ball
	// flags only e. GMR keeps e, which drags both components away from 0
	// and 5.

	// Output:
	// COAT: a
	// cred kept [0 2 5 6 8] flagged [1 3 4 7], means 0.01 5.02
	// ared kept [0 1 2 3 5 6 7 8] flagged [4], means 0.01 5.01
	// gmr kept [0 1 2 3 4 5 6 7 8] flagged [], means 4.20 3.01
}
