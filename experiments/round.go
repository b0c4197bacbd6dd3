package experiments

import (
	"context"
	"fmt"
	"sort"
	"time"

	"github.com/nistgmm/nistgmm/federated/estimates"
	"github.com/nistgmm/nistgmm/federated/mixture"
	"github.com/nistgmm/nistgmm/federated/server"
)

// byzantineRound is what the Table 2 experiment and the simulation study
// share at one failure rate: every machine's honest fit with its sample
// size, the first nb machines of order Byzantine (sorted in byz), and
// their replacements (replacement[j] for machine order[j]) when given.
func byzantineRound(honest []*mixture.Mixture, size func(i int) int, order []int, replacement []*mixture.Mixture, nb int) ([]estimates.Estimate, []int) {
	byz := append([]int(nil), order[:nb]...)
	sort.Ints(byz)
	ests := make([]estimates.Estimate, len(honest))
	for i := range ests {
		ests[i] = estimates.Estimate{ID: MachineName(i), N: size(i), Mixture: honest[i]}
	}
	for j := 0; j < nb && replacement != nil; j++ {
		ests[order[j]].Mixture = replacement[j]
	}
	return ests, byz
}

// eachMethod aggregates the round with every method, in Table 2's column
// order, and hands each result to score with the time the aggregation
// took.
func eachMethod(ctx context.Context, round *server.Round, byz []int, score func(server.Method, *server.Result, time.Duration) error) error {
	for _, m := range server.Methods() {
		t := time.Now()
		r, err := round.Aggregate(ctx, m, byz)
		if err != nil {
			return err
		}
		if err := score(m, r, time.Since(t)); err != nil {
			return fmt.Errorf("%s: %w", m, err)
		}
	}
	return nil
}
