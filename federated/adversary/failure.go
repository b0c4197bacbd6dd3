package adversary

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strings"

	"github.com/nistgmm/nistgmm/federated/estimates"
	"github.com/nistgmm/nistgmm/federated/internal/corrupt"
	"github.com/nistgmm/nistgmm/federated/mixture"
	"github.com/nistgmm/nistgmm/federated/server"
)

// Failure names a way a Byzantine machine corrupts its estimate.
type Failure string

const (
	// Letters replaces the estimate by a mixture fitted on other data (the
	// letters of Section 6); the caller supplies that mixture.
	Letters Failure = "letters"
	// MeanFailure replaces every mean by a vector of N(0, 100^2) entries.
	MeanFailure Failure = "mean"
	// CovFailure adds sum_{i=1..d} xi_i xi_i^T, xi_i standard normal, to
	// every covariance.
	CovFailure Failure = "cov"
	// WeightFailure replaces the weights by a Dirichlet draw whose
	// parameters are random integers in [200, 1000].
	WeightFailure Failure = "weight"
)

// AttackReport is what an adaptive attacker settled on in one round.
type AttackReport struct {
	Kind   Failure `json:"kind"`
	Param  float64 `json:"param,omitempty"` // the attack's chosen strength, where it has one
	Detail string  `json:"detail"`
}

// failureKind is one entry of the failure registry: a failure either
// corrupts one estimate on its own (corrupt), or is crafted by an attacker
// who sees every honest estimate and plays against the server (craft), or
// needs data only the caller has (letters: neither).
type failureKind struct {
	name    Failure
	help    string
	corrupt func(m *mixture.Mixture, rng *rand.Rand) (*mixture.Mixture, error)
	craft   func(ctx context.Context, s *server.Server, ests []estimates.Estimate, byzantine []int, rng *rand.Rand) ([]estimates.Estimate, *AttackReport, error)
}

// failureKinds is the registry: parsing, help texts and every list of
// failures derive from it. A new failure is one file and one entry here.
func failureKinds() []failureKind {
	return []failureKind{
		{name: Letters, help: "a mixture fitted on letters (Section 6)"},
		{name: MeanFailure, help: "every mean replaced by N(0, 100^2) draws (Section 5.1)", corrupt: corrupt.Means},
		{name: CovFailure, help: "every covariance plus sum of d standard normal outer products (Section 5.1)", corrupt: corrupt.Covs},
		{name: WeightFailure, help: "weights replaced by a Dirichlet draw (Section 5.1)", corrupt: corrupt.Weights},
		{name: Stealth, help: "own fits inflated and shifted as far as ARED's radius allows", craft: craftStealth},
		{name: ALIE, help: "one identical estimate, mean - z sd of every aligned honest parameter",
			craft: func(ctx context.Context, s *server.Server, ests []estimates.Estimate, byz []int, _ *rand.Rand) ([]estimates.Estimate, *AttackReport, error) {
				return craftALIE(ctx, s, ests, byz)
			}},
		{name: Capture, help: "identical copies of the honest centre with a third of the components merged and a third split",
			craft: func(ctx context.Context, s *server.Server, ests []estimates.Estimate, byz []int, rng *rand.Rand) ([]estimates.Estimate, *AttackReport, error) {
				return craftCapture(ctx, s, ests, byz, false, rng)
			}},
		{name: CaptureJitter, help: "the capture mixture with honest estimates' scatter transplanted onto each copy",
			craft: func(ctx context.Context, s *server.Server, ests []estimates.Estimate, byz []int, rng *rand.Rand) ([]estimates.Estimate, *AttackReport, error) {
				return craftCapture(ctx, s, ests, byz, true, rng)
			}},
		{name: SlotCapture, help: "own fit in 2 rotating slots, one identical crafted component (a partial merge) in the others, per-slot strengths searched",
			craft: func(ctx context.Context, s *server.Server, ests []estimates.Estimate, byz []int, _ *rand.Rand) ([]estimates.Estimate, *AttackReport, error) {
				return craftSlotCapture(ctx, s, ests, byz)
			}},
		{name: SlotEdges, help: "own fits shifted as far as every slot of ARED still keeps them, by bisection",
			craft: func(ctx context.Context, s *server.Server, ests []estimates.Estimate, byz []int, _ *rand.Rand) ([]estimates.Estimate, *AttackReport, error) {
				return craftSlotEdges(ctx, s, ests, byz)
			}},
		{name: ReplayBlind, help: "a third replay honest estimates exactly, the rest send one identical capture mixture",
			craft: func(ctx context.Context, s *server.Server, ests []estimates.Estimate, byz []int, _ *rand.Rand) ([]estimates.Estimate, *AttackReport, error) {
				return craftReplayBlind(ctx, s, ests, byz)
			}},
		{name: ReplayFrame, help: "every Byzantine machine replays a distinct honest estimate listed after it",
			craft: func(ctx context.Context, s *server.Server, ests []estimates.Estimate, byz []int, _ *rand.Rand) ([]estimates.Estimate, *AttackReport, error) {
				return craftReplayFrame(ctx, s, ests, byz)
			}},
		{name: Inside, help: "own fits perturbed (shift, inflate, reweight, merge, split) as far as ARED still keeps them, by bisection",
			craft: func(ctx context.Context, s *server.Server, ests []estimates.Estimate, byz []int, _ *rand.Rand) ([]estimates.Estimate, *AttackReport, error) {
				return craftInside(ctx, s, ests, byz)
			}},
	}
}

func failureKindOf(f Failure) (failureKind, bool) {
	for _, k := range failureKinds() {
		if k.name == f {
			return k, true
		}
	}
	return failureKind{}, false
}

// Failures lists every failure kind, in the registry's order.
func Failures() []Failure {
	var out []Failure
	for _, k := range failureKinds() {
		out = append(out, k.name)
	}
	return out
}

// FailureHelp describes every failure kind in one line each.
func FailureHelp() string {
	var b strings.Builder
	for _, k := range failureKinds() {
		fmt.Fprintf(&b, "%s: %s\n", k.name, k.help)
	}
	return b.String()
}

// ParseFailure accepts the names of Failures.
func ParseFailure(s string) (Failure, error) {
	if k, ok := failureKindOf(Failure(s)); ok {
		return k.name, nil
	}
	var names []string
	for _, f := range Failures() {
		names = append(names, string(f))
	}
	return "", fmt.Errorf("unknown failure %q: want one of %s", s, strings.Join(names, ", "))
}

// Adaptive reports whether f is crafted by an attacker who sees every
// honest estimate of the round (see Craft).
func (f Failure) Adaptive() bool {
	k, _ := failureKindOf(f)
	return k.craft != nil
}

// Craft plays the adaptive failure f against the server s: ests are every
// machine's honest estimate (as the attacker sees them, sample sizes
// included) and byzantine the machines it controls. It returns the
// estimates with the Byzantine ones replaced and what the attacker chose.
func Craft(ctx context.Context, s *server.Server, f Failure, ests []estimates.Estimate, byzantine []int, rng *rand.Rand) ([]estimates.Estimate, *AttackReport, error) {
	k, ok := failureKindOf(f)
	if !ok || k.craft == nil {
		return nil, nil, fmt.Errorf("failure %q is not crafted against the server", f)
	}
	if len(byzantine) == 0 {
		return ests, nil, nil
	}
	return k.craft(ctx, s, ests, byzantine, rng)
}

// Corrupt returns a corrupted copy of m for the mean, cov and weight
// failures of Section 5.1. Letters needs a replacement mixture and Stealth
// the other machines' estimates (CraftStealth); neither is handled here.
func Corrupt(m *mixture.Mixture, f Failure, rng *rand.Rand) (*mixture.Mixture, error) {
	k, ok := failureKindOf(f)
	if !ok || k.corrupt == nil {
		return nil, fmt.Errorf("failure %q cannot be applied to an estimate", f)
	}
	return k.corrupt(m, rng)
}
