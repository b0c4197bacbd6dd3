package server

import (
	"errors"
	"fmt"
	"strings"

	"github.com/nistgmm/nistgmm/federated/divergence"
	"github.com/nistgmm/nistgmm/federated/estimates"
	"github.com/nistgmm/nistgmm/federated/internal/gauss"
)

// ErrNoValidEstimate reports a round in which no estimate is left to
// aggregate.
var ErrNoValidEstimate = errors.New("no valid estimate to aggregate")

// Invalid is an estimate excluded before any distance is computed.
type Invalid struct {
	Index  int
	ID     string
	Reason string
}

// commonShape returns the (K, d) that more than half of the decoded
// estimates share, among those matching the declared k or d when one is
// given (0: any). Without such a majority it refuses: which machines are
// genuine must not be decided by which shape happened to come first.
func commonShape(ests []estimates.Estimate, k, d int) (int, int, error) {
	type shape struct{ k, d int }
	counts := map[shape]int{}
	var order []shape
	total := 0
	for _, e := range ests {
		if e.Mixture == nil || e.Malformed != "" {
			continue
		}
		s := shape{e.Mixture.K(), e.Mixture.Dim()}
		if k != 0 && s.k != k || d != 0 && s.d != d {
			continue
		}
		if counts[s] == 0 {
			order = append(order, s)
		}
		counts[s]++
		total++
	}
	for _, s := range order {
		if 2*counts[s] > total {
			return s.k, s.d, nil
		}
	}
	if total == 0 {
		return 0, 0, noShape(ests, k, d)
	}
	var parts []string
	for _, s := range order {
		parts = append(parts, fmt.Sprintf("%d of order %d in dimension %d", counts[s], s.k, s.d))
	}
	return 0, 0, fmt.Errorf("no shape is shared by more than half of the estimates (%s): declare the order and dimension "+
		"to aggregate (Server.K and Server.Dim; --k and --d)", strings.Join(parts, ", "))
}

// conditionProblem says why a received estimate's covariances are too close
// to singular for the server (see MaxCondition), or returns "".
func conditionProblem(comps []*gauss.Gaussian) string {
	d := len(comps[0].Mean)
	for k, g := range comps {
		if c := g.Condition(); !(c <= divergence.MaxCondition(d)) {
			return fmt.Sprintf("component %d: covariance is numerically singular: condition number %.3g, at most %.3g in dimension %d", k, c, divergence.MaxCondition(d), d)
		}
	}
	return ""
}

// noValidEstimate is ErrNoValidEstimate with why each estimate was invalid
// (the first few; the same reason once with its count).
func noValidEstimate(invalid []Invalid) error {
	if len(invalid) == 0 {
		return ErrNoValidEstimate
	}
	count := map[string]int{}
	var order []string
	for _, inv := range invalid {
		if count[inv.Reason] == 0 {
			order = append(order, inv.Reason)
		}
		count[inv.Reason]++
	}
	var parts []string
	for j, reason := range order {
		if j == 5 {
			parts = append(parts, fmt.Sprintf("and %d other reasons", len(order)-5))
			break
		}
		parts = append(parts, fmt.Sprintf("%s (%d of %d)", reason, count[reason], len(invalid)))
	}
	return fmt.Errorf("%w: %s", ErrNoValidEstimate, strings.Join(parts, "; "))
}

// noShape is ErrNoValidEstimate when no decoded estimate has the declared
// order k or dimension d (0: any), with the shapes the estimates have.
func noShape(ests []estimates.Estimate, k, d int) error {
	type shape struct{ k, d int }
	counts := map[shape]int{}
	var order []shape
	for _, e := range ests {
		if e.Mixture == nil || e.Malformed != "" {
			continue
		}
		s := shape{e.Mixture.K(), e.Mixture.Dim()}
		if counts[s] == 0 {
			order = append(order, s)
		}
		counts[s]++
	}
	if len(order) == 0 {
		var invalid []Invalid
		for i, e := range ests {
			if e.Malformed != "" {
				invalid = append(invalid, Invalid{Index: i, ID: e.ID, Reason: e.Malformed})
			}
		}
		return noValidEstimate(invalid)
	}
	var want []string
	if k != 0 {
		want = append(want, fmt.Sprintf("order %d", k))
	}
	if d != 0 {
		want = append(want, fmt.Sprintf("dimension %d", d))
	}
	var parts []string
	for _, s := range order {
		parts = append(parts, fmt.Sprintf("%d of order %d in dimension %d", counts[s], s.k, s.d))
	}
	return fmt.Errorf("%w: none has the declared %s (the estimates: %s)", ErrNoValidEstimate, strings.Join(want, " and "), strings.Join(parts, ", "))
}
