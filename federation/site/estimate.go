package site

import (
	"context"
	"fmt"
	"math/rand/v2"

	"github.com/nistgmm/nistgmm/federated/mixture"
	"github.com/nistgmm/nistgmm/federated/server"
	pb "github.com/nistgmm/nistgmm/federation/proto/v1"
	"gonum.org/v1/gonum/mat"
)

// Fitter fits a site's own observations with the existing EM (the penalty
// searched on the site's data unless PenaltyScale is set), and, when
// Byzantine is set, turns the fit Byzantine for demonstrations and tests.
type Fitter struct {
	X            *mat.Dense
	Restarts     int
	PenaltyScale float64 // 0: chosen by mixture.PenaltySearch
	Seed         uint64
	// Byzantine, when set, replaces the site's own fit (of n observations)
	// by what it returns, seeing the previous round's published aggregate
	// (nil in a first round), the only other estimate a site sees before
	// it commits, and says what it did. The failures and attacks that fill
	// it live with the commands and experiments, never in the product's
	// packages.
	Byzantine func(ctx context.Context, own, prev *mixture.Mixture, n int, rng *rand.Rand) (*mixture.Mixture, string, error)
	Logf      func(format string, args ...any)
}

// Estimate is a site.Estimator.
func (f *Fitter) Estimate(ctx context.Context, info *pb.RoundInfo, prev *server.Report) (int, *mixture.Mixture, error) {
	k, d := int(info.Config.K), int(info.Config.D)
	n, dx := f.X.Dims()
	if dx != d {
		return 0, nil, fmt.Errorf("the site's features have %d columns; round %d wants dimension %d", dx, info.RoundId, d)
	}
	if n <= d {
		return 0, nil, fmt.Errorf("%d observations in dimension %d: too few for a covariance (at least %d)", n, d, d+1)
	}
	em := &mixture.EM{K: k, Restarts: max(f.Restarts, 1)}
	if f.PenaltyScale > 0 {
		em.PenaltyScale = f.PenaltyScale
	} else {
		em.PenaltySearch = &mixture.PenaltySearch{}
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
	if f.Byzantine == nil {
		return n, m, nil
	}
	var prevMix *mixture.Mixture
	if prev != nil {
		if pm, err := prev.Mixture.Mixture(); err == nil && pm.K() == k && pm.Dim() == d {
			prevMix = pm
		}
	}
	bad, detail, err := f.Byzantine(ctx, m, prevMix, n, rng)
	if err != nil {
		return 0, nil, err
	}
	if f.Logf != nil && detail != "" {
		f.Logf("round %d: Byzantine: %s", info.RoundId, detail)
	}
	return n, bad, nil
}
