package site

import (
	"context"
	"fmt"
	"math/rand/v2"

	"github.com/nistgmm/nistgmm/federated"
	pb "github.com/nistgmm/nistgmm/federation/proto/v1"
	"gonum.org/v1/gonum/mat"
)

// Fitter fits a site's own observations with the existing EM (the penalty
// searched on the site's data unless PenaltyScale is set), and, when
// Failure is set, turns the fit Byzantine for demonstrations and tests.
type Fitter struct {
	X            *mat.Dense
	Restarts     int
	PenaltyScale float64 // 0: chosen by federated.PenaltySearch
	Seed         uint64
	// Failure makes the site Byzantine: a corruption of its own fit (mean,
	// cov, weight), or an adaptive attack played against the previous
	// round's published aggregate, the only other estimate a site sees
	// before it commits.
	Failure federated.Failure
	// Server is the aggregation the attacks play against (defaults).
	Server *federated.Server
	Logf   func(format string, args ...any)
}

// Estimate is a site.Estimator.
func (f *Fitter) Estimate(ctx context.Context, info *pb.RoundInfo, prev *federated.Report) (int, *federated.Mixture, error) {
	k, d := int(info.Config.K), int(info.Config.D)
	n, dx := f.X.Dims()
	if dx != d {
		return 0, nil, fmt.Errorf("the site's features have %d columns; round %d wants dimension %d", dx, info.RoundId, d)
	}
	if n <= d {
		return 0, nil, fmt.Errorf("%d observations in dimension %d: too few for a covariance (at least %d)", n, d, d+1)
	}
	em := &federated.EM{K: k, Restarts: max(f.Restarts, 1)}
	if f.PenaltyScale > 0 {
		em.PenaltyScale = f.PenaltyScale
	} else {
		em.PenaltySearch = &federated.PenaltySearch{}
	}
	if err := em.Validate(); err != nil {
		return 0, nil, err
	}
	// One stream per (seed, round): the same site fits the same round the same way.
	rng := rand.New(rand.NewPCG(f.Seed, info.RoundId))
	m, fit, err := em.Fit(ctx, f.X, rng)
	if err != nil {
		return 0, nil, fmt.Errorf("fitting K = %d to %d observations in dimension %d: %w", k, n, d, err)
	}
	if f.Logf != nil {
		f.Logf("round %d: fitted K = %d on %d observations, penalty c = %g, %d EM iterations", info.RoundId, k, n, fit.PenaltyScale, fit.Iterations)
	}
	if f.Failure == "" {
		return n, m, nil
	}
	if !f.Failure.Adaptive() {
		bad, err := federated.Corrupt(m, f.Failure, rng)
		if err != nil {
			return 0, nil, err
		}
		return n, bad, nil
	}
	var prevMix *federated.Mixture
	if prev != nil {
		if pm, err := prev.Mixture.Mixture(); err == nil && pm.K() == k && pm.Dim() == d {
			prevMix = pm
		}
	}
	bad, rep, err := CraftFromView(ctx, f.Server, f.Failure, m, prevMix, n, rng)
	if err != nil {
		return 0, nil, err
	}
	if f.Logf != nil && rep != nil {
		f.Logf("round %d: %s attack: %s", info.RoundId, f.Failure, rep.Detail)
	}
	return n, bad, nil
}

// CraftFromView plays the adaptive attack f as a Byzantine site of a
// federation can: the attacks are written for an attacker who sees every
// honest estimate of the round, and here the site sees its own fit and
// the previous round's published aggregate (prev, nil in a first round),
// and plays against those. srv nil means the default server.
func CraftFromView(ctx context.Context, srv *federated.Server, f federated.Failure, own, prev *federated.Mixture, n int, rng *rand.Rand) (*federated.Mixture, *federated.AttackReport, error) {
	view := []federated.Estimate{{ID: "own", N: n, Mixture: own}}
	if prev != nil {
		view = append(view, federated.Estimate{ID: "previous-aggregate", N: n, Mixture: prev})
	}
	view = append(view, federated.Estimate{ID: "self", N: n, Mixture: own.Clone()})
	if srv == nil {
		srv = &federated.Server{}
	}
	s := *srv
	s.K, s.Dim = own.K(), own.Dim()
	out, rep, err := s.Craft(ctx, f, view, []int{len(view) - 1}, rng)
	if err != nil {
		return nil, nil, fmt.Errorf("%s attack: %w", f, err)
	}
	return out[len(out)-1].Mixture, rep, nil
}
