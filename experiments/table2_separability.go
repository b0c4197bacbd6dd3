package experiments

import (
	"context"
	"fmt"
	"slices"

	"github.com/nistgmm/nistgmm/eval"
	"github.com/nistgmm/nistgmm/federated/divergence"
	"github.com/nistgmm/nistgmm/federated/estimates"
	"github.com/nistgmm/nistgmm/federated/server"
)

// slotSeparability scores, for every machine the componentwise combination
// counted, the number of slots that left its component out.
func slotSeparability(slots *server.SlotReport, round *server.Round, isByz map[int]bool) *float64 {
	aside := map[int]bool{} // valid estimates the slots did not count
	for _, i := range round.Valid {
		aside[i] = true
	}
	for _, i := range round.Counted() {
		aside[i] = false
	}
	var score []float64
	var positive []bool
	for _, i := range round.Valid {
		if aside[i] {
			continue
		}
		out := 0
		for _, kept := range slots.Kept {
			if !slices.Contains(kept, i) {
				out++
			}
		}
		score = append(score, float64(out))
		positive = append(positive, isByz[i])
	}
	if auc, ok := eval.SeparabilityAUC(score, positive); ok {
		return &auc
	}
	return nil
}

// separabilityByDistance scores the distance to COAT as a test for "is
// Byzantine" under every distance, each with its own COAT; for the
// one-sided kl it also scores the other direction, D(G, COAT).
func separabilityByDistance(ctx context.Context, c Table2Config, ests []estimates.Estimate, isByz map[int]bool) (map[string]float64, error) {
	out := map[string]float64{}
	for _, d := range divergence.Distances() {
		srv := c.Server()
		srv.Distance = d
		round, err := srv.Prepare(ctx, ests)
		if err != nil {
			return nil, fmt.Errorf("separability under %s: %w", d, err)
		}
		var positive []bool
		var column []float64
		coat := -1
		for a, i := range round.Valid {
			positive = append(positive, isByz[i])
			if i == round.Coat {
				coat = a
			}
		}
		for a := range round.Valid {
			column = append(column, round.Distances.At(a, coat))
		}
		if auc, ok := eval.SeparabilityAUC(round.CoatDistances(), positive); ok {
			out[string(d)] = auc
		}
		if d == divergence.KL {
			if auc, ok := eval.SeparabilityAUC(column, positive); ok {
				out["kl-column"] = auc
			}
		}
	}
	return out, nil
}
