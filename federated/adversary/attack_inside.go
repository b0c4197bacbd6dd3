package adversary

import (
	"context"
	"fmt"
	"math"
	"slices"

	"gonum.org/v1/gonum/mat"

	"github.com/nistgmm/nistgmm/federated/divergence"
	"github.com/nistgmm/nistgmm/federated/estimates"
	"github.com/nistgmm/nistgmm/federated/internal/gauss"
	"github.com/nistgmm/nistgmm/federated/mixture"
	"github.com/nistgmm/nistgmm/federated/server"
)

// Inside is the attack that stays inside the server's rules: each
// Byzantine machine perturbs its own honest fit by one of the families of
// InsideFamilies, with a strength t in [0, 1] found by bisection against
// the real server as the largest that ARED still keeps (it flags no more
// Byzantine machines than when they send their honest fits); of the
// families, the attacker sends the one whose kept perturbation moves ARED's
// answer farthest (under the Jeffreys distance) from the answer without
// attack.
const Inside Failure = "inside"

// insideBisections is the number of halvings of t after t = 1 is refused.
const insideBisections = 4

// InsideFamilies are the perturbations the inside attack tries: shift
// (every mean a fraction t towards the nearest other), inflate (every
// covariance times 1 + 3t), reweight (the heavier half of the weights
// shrunk by e^-3t), merge (the closest pair moved a fraction t towards
// their moment-matched merge) and split (the lightest component moved a
// fraction t onto one half of the heaviest, split along its principal
// axis).
func InsideFamilies() []string { return []string{"shift", "inflate", "reweight", "merge", "split"} }

// perturb applies family at strength t to m.
func perturb(m *mixture.Mixture, family string, t float64) (*mixture.Mixture, error) {
	switch family {
	case "shift":
		return StealthMixture(m, 1, t), nil
	case "inflate":
		return StealthMixture(m, 1+3*t, 0), nil
	case "reweight":
		out := m.Clone()
		order := make([]int, m.K())
		for k := range order {
			order[k] = k
		}
		slices.SortStableFunc(order, func(a, b int) int { return -cmpFloat(m.Weights[a], m.Weights[b]) })
		for _, k := range order[:m.K()/2] {
			out.Weights[k] *= math.Exp(-3 * t)
		}
		gauss.Normalize(out.Weights)
		return out, nil
	case "merge", "split":
		return partialCapture(m, family, t)
	}
	return nil, fmt.Errorf("unknown perturbation %q", family)
}

// partialCapture moves m a fraction t of the way to one merge (the closest
// pair, both onto their moment match) or one split (the lightest component
// onto one half of the heaviest, which moves to the other half).
func partialCapture(m *mixture.Mixture, family string, t float64) (*mixture.Mixture, error) {
	comps, err := gauss.MixtureComponents(m.Weights, m.Means, m.Covs)
	if err != nil {
		return nil, err
	}
	K, d := m.K(), m.Dim()
	out := m.Clone()
	if K < 2 {
		return out, nil
	}
	lerpCov := func(a, b *mat.SymDense) *mat.SymDense {
		c := mat.NewSymDense(d, nil)
		for x := 0; x < d; x++ {
			for y := x; y < d; y++ {
				c.SetSym(x, y, (1-t)*a.At(x, y)+t*b.At(x, y))
			}
		}
		return c
	}
	lerp := func(a, b []float64) []float64 {
		c := make([]float64, len(a))
		for x := range a {
			c[x] = (1-t)*a[x] + t*b[x]
		}
		return c
	}
	diff := make([]float64, d)
	if family == "merge" {
		ba, bb, best := 0, 1, math.Inf(1)
		for a := 0; a < K; a++ {
			for b := a + 1; b < K; b++ {
				if j := gauss.KlGauss(comps[a], comps[b], diff) + gauss.KlGauss(comps[b], comps[a], diff); j < best {
					ba, bb, best = a, b, j
				}
			}
		}
		wa, wb := m.Weights[ba], m.Weights[bb]
		mean := make([]float64, d)
		for x := range mean {
			mean[x] = (wa*m.Means[ba][x] + wb*m.Means[bb][x]) / (wa + wb)
		}
		cov := mat.NewSymDense(d, nil)
		for x := 0; x < d; x++ {
			for y := x; y < d; y++ {
				cov.SetSym(x, y, (wa*(m.Covs[ba].At(x, y)+(m.Means[ba][x]-mean[x])*(m.Means[ba][y]-mean[y]))+
					wb*(m.Covs[bb].At(x, y)+(m.Means[bb][x]-mean[x])*(m.Means[bb][y]-mean[y])))/(wa+wb))
			}
		}
		for _, k := range []int{ba, bb} {
			out.Means[k] = lerp(m.Means[k], mean)
			out.Covs[k] = lerpCov(m.Covs[k], cov)
		}
		return out, out.Validate()
	}
	heavy, light := 0, 0
	for k, w := range m.Weights {
		if w > m.Weights[heavy] {
			heavy = k
		}
		if w < m.Weights[light] || light == heavy {
			light = k
		}
	}
	if light == heavy {
		return out, nil
	}
	var eig mat.EigenSym
	if !eig.Factorize(m.Covs[heavy], true) {
		return nil, fmt.Errorf("split: eigen-decomposition failed")
	}
	vals := eig.Values(nil)
	var vecs mat.Dense
	eig.VectorsTo(&vecs)
	top := len(vals) - 1
	lam := vals[top]
	const u = 0.5
	half := mat.NewSymDense(d, nil)
	plus := make([]float64, d)
	minus := make([]float64, d)
	for x := 0; x < d; x++ {
		off := u * math.Sqrt(lam) * vecs.At(x, top)
		plus[x], minus[x] = m.Means[heavy][x]+off, m.Means[heavy][x]-off
		for y := x; y < d; y++ {
			half.SetSym(x, y, m.Covs[heavy].At(x, y)-lam*u*u*vecs.At(x, top)*vecs.At(y, top))
		}
	}
	wh := m.Weights[heavy]
	out.Means[heavy], out.Covs[heavy] = lerp(m.Means[heavy], minus), lerpCov(m.Covs[heavy], half)
	out.Means[light], out.Covs[light] = lerp(m.Means[light], plus), lerpCov(m.Covs[light], half)
	out.Weights[heavy] = (1-t)*wh + t*wh/2
	out.Weights[light] = (1-t)*m.Weights[light] + t*wh/2
	gauss.Normalize(out.Weights)
	return out, out.Validate()
}

// craftInside plays the inside attack against s.
func craftInside(ctx context.Context, s *server.Server, ests []estimates.Estimate, byzantine []int) ([]estimates.Estimate, *AttackReport, error) {
	srv := *s
	srv.Known = nil
	answer := func(set []estimates.Estimate) (*server.Result, error) {
		round, err := srv.Prepare(ctx, set)
		if err != nil {
			return nil, err
		}
		return round.Aggregate(ctx, server.ARED, nil)
	}
	// A probe needs only what ARED flags, not its answer.
	flaggedByz := func(set []estimates.Estimate) (int, error) {
		round, err := srv.Prepare(ctx, set)
		if err != nil {
			return 0, err
		}
		flagged, err := round.AREDFlags()
		if err != nil {
			return 0, err
		}
		n := 0
		for _, b := range byzantine {
			if slices.Contains(flagged, b) {
				n++
			}
		}
		return n, nil
	}
	base, err := answer(ests)
	if err != nil {
		return nil, nil, fmt.Errorf("inside attack: %w", err)
	}
	baseFlagged, err := flaggedByz(ests)
	if err != nil {
		return nil, nil, fmt.Errorf("inside attack: %w", err)
	}
	best := struct {
		family string
		t, dmg float64
		set    []estimates.Estimate
	}{set: ests}
	for _, family := range InsideFamilies() {
		try := func(t float64) ([]estimates.Estimate, bool, error) {
			set, err := replaced(ests, byzantine, func(_, i int) (*mixture.Mixture, error) { return perturb(ests[i].Mixture, family, t) })
			if err != nil {
				return nil, false, err
			}
			n, err := flaggedByz(set)
			if err != nil {
				return nil, false, err
			}
			return set, n <= baseFlagged, nil
		}
		var keptSet []estimates.Estimate
		keptT := 0.0
		set, ok, err := try(1)
		if err != nil {
			return nil, nil, fmt.Errorf("inside attack, %s: %w", family, err)
		}
		if ok {
			keptSet, keptT = set, 1
		} else {
			lo, hi := 0.0, 1.0
			for b := 0; b < insideBisections; b++ {
				mid := (lo + hi) / 2
				set, ok, err := try(mid)
				if err != nil {
					return nil, nil, fmt.Errorf("inside attack, %s: %w", family, err)
				}
				if ok {
					lo, keptSet, keptT = mid, set, mid
				} else {
					hi = mid
				}
			}
		}
		if keptSet == nil {
			continue
		}
		keptRes, err := answer(keptSet)
		if err != nil {
			return nil, nil, fmt.Errorf("inside attack, %s: %w", family, err)
		}
		dmg, err := divergence.Jeffreys.Between(keptRes.Mixture, base.Mixture)
		if err != nil {
			return nil, nil, fmt.Errorf("inside attack, %s: %w", family, err)
		}
		if dmg > best.dmg {
			best.family, best.t, best.dmg, best.set = family, keptT, dmg, keptSet
		}
	}
	if best.family == "" {
		return ests, &AttackReport{Kind: Inside, Detail: "no perturbation stayed unflagged: honest fits sent"}, nil
	}
	return best.set, &AttackReport{Kind: Inside, Param: best.t, Detail: fmt.Sprintf("%s at t = %.4g, moving ARED's answer by %.4g", best.family, best.t, best.dmg)}, nil
}

func cmpFloat(a, b float64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}
