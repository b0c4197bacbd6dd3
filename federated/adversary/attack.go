package adversary

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"

	"github.com/nistgmm/nistgmm/federated/estimates"
	"github.com/nistgmm/nistgmm/federated/mixture"
	"github.com/nistgmm/nistgmm/federated/server"
)

// Stealth is the attack aimed at the distance: each Byzantine machine sends
// its own honest-looking fit with every covariance multiplied by a factor s
// and every mean moved a fraction t of the way to the nearest other
// component's mean (merging clusters), with (s, t) chosen by an attacker who
// sees every estimate and knows the server's rule (see CraftStealth).
const Stealth Failure = "stealth"

// StealthGrid is the attacker's search space.
type StealthGrid struct {
	Scales []float64 // covariance factors s, tried in order
	Shifts []float64 // mean shifts t, increasing
}

// DefaultStealthGrid tries covariance factors from 1 (none) to 4 and shifts
// from 0 to all the way.
func DefaultStealthGrid() StealthGrid {
	return StealthGrid{Scales: []float64{1, 1.25, 1.5, 2, 3, 4}, Shifts: []float64{0, 0.05, 0.1, 0.2, 0.3, 0.4, 0.5, 0.7, 1}}
}

// StealthChoice is what the attacker settled on.
type StealthChoice struct {
	Scale, Shift float64
	// Damage is the mean distance between a sent mixture and the honest fit
	// it came from, under the server's distance.
	Damage float64
}

// StealthMixture returns m with every covariance multiplied by scale and
// every mean moved a fraction shift towards the nearest other mean.
func StealthMixture(m *mixture.Mixture, scale, shift float64) *mixture.Mixture {
	out := m.Clone()
	for k := range out.Means {
		target, best := -1, math.Inf(1)
		for l := range m.Means {
			if l == k {
				continue
			}
			var dd float64
			for i, v := range m.Means[l] {
				t := v - m.Means[k][i]
				dd += t * t
			}
			if dd < best {
				target, best = l, dd
			}
		}
		if target >= 0 {
			for i := range out.Means[k] {
				out.Means[k][i] += shift * (m.Means[target][i] - m.Means[k][i])
			}
		}
		out.Covs[k].ScaleSym(scale, out.Covs[k])
	}
	return out
}

// CraftStealth plays the attacker against the server s: ests are every
// machine's honest estimate and byzantine the machines it controls. For
// every covariance factor it raises the shift as long as ARED keeps as many
// Byzantine machines as it keeps when they send their honest fits (an
// honest fit far out in its own distribution may be flagged already), and
// among those undetected choices sends the one farthest (mean distance to
// the honest fits it came from). It returns the estimates with the
// Byzantine ones replaced.
func CraftStealth(ctx context.Context, s *server.Server, ests []estimates.Estimate, byzantine []int, grid StealthGrid) ([]estimates.Estimate, StealthChoice, error) {
	if len(grid.Scales) == 0 || len(grid.Shifts) == 0 {
		grid = DefaultStealthGrid()
	}
	attacked := func(scale, shift float64) []estimates.Estimate {
		out := slices.Clone(ests)
		for _, b := range byzantine {
			out[b].Mixture = StealthMixture(ests[b].Mixture, scale, shift)
		}
		return out
	}
	best := StealthChoice{Scale: 1}
	bestSet := ests
	keptByz := func(set []estimates.Estimate) (int, *server.Round, error) {
		round, err := s.Prepare(ctx, set)
		if err != nil {
			return 0, nil, fmt.Errorf("stealth attack: %w", err)
		}
		flagged, err := round.AREDFlags()
		if err != nil {
			return 0, nil, fmt.Errorf("stealth attack: %w", err)
		}
		n := 0
		for _, b := range byzantine {
			if !slices.Contains(flagged, b) {
				n++
			}
		}
		return n, round, nil
	}
	baseline, _, err := keptByz(ests)
	if err != nil {
		return nil, StealthChoice{}, err
	}
	for _, scale := range grid.Scales {
		for _, shift := range grid.Shifts {
			if scale == 1 && shift == 0 {
				continue
			}
			cand := attacked(scale, shift)
			kept, round, err := keptByz(cand)
			if err != nil {
				return nil, StealthChoice{}, err
			}
			if kept < baseline {
				break // larger shifts at this scale are farther still
			}
			var damage float64
			for _, b := range byzantine {
				v, err := round.Distance.Between(cand[b].Mixture, ests[b].Mixture)
				if err != nil {
					return nil, StealthChoice{}, err
				}
				damage += v / float64(len(byzantine))
			}
			if damage > best.Damage {
				best, bestSet = StealthChoice{Scale: scale, Shift: shift, Damage: damage}, cand
			}
		}
	}
	return bestSet, best, nil
}

// craftStealth is CraftStealth with the default grid, as a registry entry.
func craftStealth(ctx context.Context, s *server.Server, ests []estimates.Estimate, byzantine []int, _ *rand.Rand) ([]estimates.Estimate, *AttackReport, error) {
	out, choice, err := CraftStealth(ctx, s, ests, byzantine, StealthGrid{})
	if err != nil {
		return nil, nil, err
	}
	return out, &AttackReport{Kind: Stealth, Param: choice.Shift,
		Detail: fmt.Sprintf("covariances x %g, means shifted %g towards the nearest (mean distance %.4g)", choice.Scale, choice.Shift, choice.Damage)}, nil
}
