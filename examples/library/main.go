// Command library shows the federated package used on its own: three
// machines fit mixtures to their data, one of them is corrupted, and the
// server aggregates with ARED. It builds without cgo and without OpenBLAS.
package main

import (
	"context"
	"fmt"
	"log"
	"math/rand/v2"

	"gonum.org/v1/gonum/mat"

	"github.com/nistgmm/nistgmm/federated"
)

func main() {
	ctx := context.Background()
	rng := rand.New(rand.NewPCG(1, 1))
	var ests []federated.Estimate
	for i := 0; i < 5; i++ {
		X := mat.NewDense(300, 2, nil)
		for j := 0; j < 300; j++ {
			X.Set(j, 0, 6*float64(j%2)+rng.NormFloat64())
			X.Set(j, 1, rng.NormFloat64())
		}
		mix, _, err := (&federated.EM{K: 2, PenaltySearch: &federated.PenaltySearch{}}).Fit(ctx, X, rng)
		if err != nil {
			log.Fatal(err)
		}
		ests = append(ests, federated.Estimate{ID: fmt.Sprintf("m%d", i), N: 300, Mixture: mix})
	}
	bad, err := federated.Corrupt(ests[4].Mixture, federated.MeanFailure, rng)
	if err != nil {
		log.Fatal(err)
	}
	ests[4].Mixture = bad
	round, err := (&federated.Server{}).Prepare(ctx, ests)
	if err != nil {
		log.Fatal(err)
	}
	res, err := round.Aggregate(ctx, federated.ARED, nil)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("ARED kept", res.Kept, "flagged", res.Flagged)
}
