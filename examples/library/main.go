// Command library shows the federated packages used on their own: five
// machines fit mixtures to their data (package mixture), the last one is
// corrupted (its means replaced by N(0, 100^2) draws, package adversary),
// and the server aggregates their estimates (packages estimates and
// server) with ARED. It
// builds without cgo and without OpenBLAS.
//
// With only five machines, ARED's ball is sized from the two estimates
// inside COAT's ball besides COAT, so an honest machine in the upper tail of
// the honest spread may be flagged too (the robust radius is meant for tens
// of machines; docs/methods.md); the corrupted one always is.
//
// This folder's go.mod points the module at the repository it sits in
// (replace ../..), so that it builds against the code beside it; a program
// of your own depends on a published version instead (docs/library.md).
package main

import (
	"context"
	"fmt"
	"io"
	"log"
	"math/rand/v2"
	"os"
	"strings"

	"gonum.org/v1/gonum/mat"

	"github.com/nistgmm/nistgmm/federated/adversary"
	"github.com/nistgmm/nistgmm/federated/estimates"
	"github.com/nistgmm/nistgmm/federated/mixture"
	"github.com/nistgmm/nistgmm/federated/server"
)

func main() {
	if err := run(os.Stdout); err != nil {
		log.Fatal(err)
	}
}

// run fits, corrupts and aggregates, and says on w what ARED kept.
func run(w io.Writer) error {
	const machines = 5
	ctx := context.Background()
	rng := rand.New(rand.NewPCG(1, 1))
	var ests []estimates.Estimate
	for i := 0; i < machines; i++ {
		X := mat.NewDense(300, 2, nil)
		for j := 0; j < 300; j++ {
			X.Set(j, 0, 6*float64(j%2)+rng.NormFloat64())
			X.Set(j, 1, rng.NormFloat64())
		}
		mix, _, err := (&mixture.EM{K: 2, PenaltySearch: &mixture.PenaltySearch{}}).Fit(ctx, X, rng)
		if err != nil {
			return err
		}
		ests = append(ests, estimates.Estimate{ID: fmt.Sprintf("site%02d", i), N: 300, Mixture: mix})
	}
	bad, err := adversary.Corrupt(ests[machines-1].Mixture, adversary.MeanFailure, rng)
	if err != nil {
		return err
	}
	ests[machines-1].Mixture = bad
	round, err := (&server.Server{}).Prepare(ctx, ests)
	if err != nil {
		return err
	}
	res, err := round.Aggregate(ctx, server.ARED, nil)
	if err != nil {
		return err
	}
	if res.Warning != "" {
		fmt.Fprintln(w, "warning:", res.Warning)
	}
	// Result.Kept and Result.Flagged index ests: print the machines' ids,
	// as nistgmm aggregate does.
	_, err = fmt.Fprintf(w, "ARED kept %s; flagged %s (%s is the corrupted one)\n",
		names(ests, res.Kept), names(ests, res.Flagged), estimates.QuoteID(ests[machines-1].ID))
	return err
}

// names lists the ids of the estimates at the given indices, quoted.
func names(ests []estimates.Estimate, indices []int) string {
	if len(indices) == 0 {
		return "none"
	}
	quoted := make([]string, len(indices))
	for i, j := range indices {
		quoted[i] = estimates.QuoteID(ests[j].ID)
	}
	return strings.Join(quoted, ", ")
}
