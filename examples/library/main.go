// Command library shows the federated package used on its own: five
// machines fit mixtures to their data, the last one is corrupted (its means
// replaced by N(0, 100^2) draws), and the server aggregates with ARED. It
// builds without cgo and without OpenBLAS.
//
// With only five machines, ARED's ball is sized from the two estimates
// inside COAT's ball besides COAT, so an honest machine in the upper tail of
// the honest spread may be flagged too (the robust radius is meant for tens
// of machines; see the README); the corrupted one always is.
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
	const machines = 5
	ctx := context.Background()
	rng := rand.New(rand.NewPCG(1, 1))
	var ests []federated.Estimate
	for i := 0; i < machines; i++ {
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
	bad, err := federated.Corrupt(ests[machines-1].Mixture, federated.MeanFailure, rng)
	if err != nil {
		log.Fatal(err)
	}
	ests[machines-1].Mixture = bad
	round, err := (&federated.Server{}).Prepare(ctx, ests)
	if err != nil {
		log.Fatal(err)
	}
	res, err := round.Aggregate(ctx, federated.ARED, nil)
	if err != nil {
		log.Fatal(err)
	}
	if res.Warning != "" {
		fmt.Println("warning:", res.Warning)
	}
	fmt.Println("ARED kept", res.Kept, "flagged", res.Flagged, "(machine", machines-1, "is the corrupted one)")
}
