// Package siteattack makes a demonstration site of a federation
// Byzantine: it corrupts the site's own fit, or plays an adaptive attack
// of package adversary from what such a site sees (its own fit and the
// previous round's published aggregate), not from every honest estimate
// of the round as the experiments' attacker does. Only demonstrations,
// tests and experiments use it: a site's client (package site) takes it as
// a plain function and imports no adversary.
package siteattack

import (
	"context"
	"fmt"
	"math/rand/v2"

	"github.com/nistgmm/nistgmm/federated/adversary"
	"github.com/nistgmm/nistgmm/federated/estimates"
	"github.com/nistgmm/nistgmm/federated/mixture"
	"github.com/nistgmm/nistgmm/federated/server"
)

// Estimator makes a demonstration site Byzantine with failure f: a
// corruption of its own fit (mean, cov, weight), or an adaptive attack
// played from what a site of a federation sees (see CraftFromView). It
// fits site.Fitter's Byzantine field.
func Estimator(f adversary.Failure) func(ctx context.Context, own, prev *mixture.Mixture, n int, rng *rand.Rand) (*mixture.Mixture, string, error) {
	return func(ctx context.Context, own, prev *mixture.Mixture, n int, rng *rand.Rand) (*mixture.Mixture, string, error) {
		if !f.Adaptive() {
			bad, err := adversary.Corrupt(own, f, rng)
			return bad, fmt.Sprintf("%s failure", f), err
		}
		bad, rep, err := CraftFromView(ctx, nil, f, own, prev, n, rng)
		if err != nil {
			return nil, "", err
		}
		detail := fmt.Sprintf("%s attack", f)
		if rep != nil {
			detail += ": " + rep.Detail
		}
		return bad, detail, nil
	}
}

// CraftFromView plays the adaptive attack f as a Byzantine site of a
// federation can: the attacks are written for an attacker who sees every
// honest estimate of the round, and here the site sees its own fit and the
// previous round's published aggregate (prev, nil in a first round), and
// plays against those. srv nil means the default server.
func CraftFromView(ctx context.Context, srv *server.Server, f adversary.Failure, own, prev *mixture.Mixture, n int, rng *rand.Rand) (*mixture.Mixture, *adversary.AttackReport, error) {
	view := []estimates.Estimate{{ID: "own", N: n, Mixture: own}}
	if prev != nil {
		view = append(view, estimates.Estimate{ID: "previous-aggregate", N: n, Mixture: prev})
	}
	view = append(view, estimates.Estimate{ID: "self", N: n, Mixture: own.Clone()})
	if srv == nil {
		srv = &server.Server{}
	}
	s := *srv
	s.K, s.Dim = own.K(), own.Dim()
	out, rep, err := adversary.Craft(ctx, &s, f, view, []int{len(view) - 1}, rng)
	if err != nil {
		return nil, nil, fmt.Errorf("%s attack: %w", f, err)
	}
	return out[len(out)-1].Mixture, rep, nil
}
