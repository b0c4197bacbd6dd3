package federated_test

import (
	"context"
	"fmt"

	"gonum.org/v1/gonum/mat"

	"github.com/nistgmm/nistgmm/federated"
)

// Six machines send 1-D two-component mixtures; machine 4's transmission
// was corrupted. The server finds COAT among the honest ones, and CRED
// aggregates only estimates in COAT's ball.
func ExampleServer() {
	mix := func(mu1, mu2 float64) *federated.Mixture {
		return &federated.Mixture{
			Weights: []float64{0.4, 0.6},
			Means:   [][]float64{{mu1}, {mu2}},
			Covs:    []*mat.SymDense{mat.NewSymDense(1, []float64{1}), mat.NewSymDense(1, []float64{1})},
		}
	}
	ests := []federated.Estimate{
		{ID: "a", N: 500, Mixture: mix(0.02, 5.01)},
		{ID: "b", N: 500, Mixture: mix(-0.03, 4.98)},
		{ID: "c", N: 500, Mixture: mix(0.01, 5.03)},
		{ID: "d", N: 500, Mixture: mix(0.04, 4.97)},
		{ID: "e", N: 500, Mixture: mix(-120, 87)}, // mean failure
		{ID: "f", N: 500, Mixture: mix(-0.01, 5.00)},
	}
	srv := &federated.Server{Distance: federated.KL}
	round, err := srv.Prepare(context.Background(), ests)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("COAT:", ests[round.Coat].ID)
	for _, m := range []federated.Method{federated.CRED, federated.GMR} {
		res, _ := round.Aggregate(context.Background(), m, nil)
		fmt.Printf("%s kept %v flagged %v, means %.2f %.2f\n", m, res.Kept, res.Flagged,
			res.Mixture.Means[0][0], res.Mixture.Means[1][0])
	}
	// GMR keeps the corrupted estimate, which captures a component.
	// Output:
	// COAT: a
	// cred kept [0 2 5] flagged [1 3 4], means 0.01 5.01
	// gmr kept [0 1 2 3 4 5] flagged [], means -120.00 12.00
}
