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

const (
	// SlotCapture aims one level below the mixture: every Byzantine machine
	// sends its own honest fit in two rotating slots, so that no two
	// Byzantine mixtures are alike as a whole, and in every other slot one
	// crafted component, the same on every Byzantine machine: the honest
	// slot centre moved a fraction t_k of the way to its moment-matched
	// merge with the nearest other slot. The strengths are searched against
	// the real server: first one for every slot, then slot by slot
	// (coordinate descent), keeping what moves ARED's answer farthest.
	SlotCapture Failure = "slot-capture"
	// SlotEdges pushes every Byzantine machine's own components towards
	// their nearest other component (the shift of InsideFamilies) as far as
	// the slots of ARED's combination still keep as many of them as they
	// keep of their honest fits, by bisection against the real server.
	SlotEdges Failure = "slot-edges"
)

// slotCaptureGrid is the strengths the slot capture tries per slot.
var slotCaptureGrid = []float64{0.25, 0.5, 0.75, 1}

// mergedToward returns component k of c moved a fraction t of the way to
// the moment match of k with its nearest other component (by Jeffreys).
func mergedToward(c *mixture.Mixture, comps []*gauss.Gaussian, k int, t float64) ([]float64, *mat.SymDense) {
	K, d := c.K(), c.Dim()
	diff := make([]float64, d)
	near, best := -1, math.Inf(1)
	for l := 0; l < K; l++ {
		if l == k {
			continue
		}
		if j := gauss.KlGauss(comps[k], comps[l], diff) + gauss.KlGauss(comps[l], comps[k], diff); j < best {
			near, best = l, j
		}
	}
	mean := slices.Clone(c.Means[k])
	cov := mat.NewSymDense(d, nil)
	cov.CopySym(c.Covs[k])
	if near < 0 || t == 0 {
		return mean, cov
	}
	wa, wb := c.Weights[k], c.Weights[near]
	if wa+wb <= 0 {
		return mean, cov
	}
	merged := make([]float64, d)
	for x := range merged {
		merged[x] = (wa*c.Means[k][x] + wb*c.Means[near][x]) / (wa + wb)
	}
	target := mat.NewSymDense(d, nil)
	for x := 0; x < d; x++ {
		for y := x; y < d; y++ {
			target.SetSym(x, y, (wa*(c.Covs[k].At(x, y)+(c.Means[k][x]-merged[x])*(c.Means[k][y]-merged[y]))+
				wb*(c.Covs[near].At(x, y)+(c.Means[near][x]-merged[x])*(c.Means[near][y]-merged[y])))/(wa+wb))
		}
	}
	for x := range mean {
		mean[x] = (1-t)*mean[x] + t*merged[x]
	}
	for x := 0; x < d; x++ {
		for y := x; y < d; y++ {
			cov.SetSym(x, y, (1-t)*cov.At(x, y)+t*target.At(x, y))
		}
	}
	return mean, cov
}

// attackGame is what an adaptive attacker needs of the server: ARED's
// answer without attack and how far a candidate set of estimates moves it.
type attackGame struct {
	ctx  context.Context
	srv  server.Server
	base *mixture.Mixture
}

func newAttackGame(ctx context.Context, s *server.Server, ests []estimates.Estimate) (*attackGame, error) {
	g := &attackGame{ctx: ctx, srv: *s}
	g.srv.Known = nil
	res, err := g.answer(ests)
	if err != nil {
		return nil, err
	}
	g.base = res.Mixture
	return g, nil
}

func (g *attackGame) answer(set []estimates.Estimate) (*server.Result, error) {
	round, err := g.srv.Prepare(g.ctx, set)
	if err != nil {
		return nil, err
	}
	return round.Aggregate(g.ctx, server.ARED, nil)
}

// damage is the Jeffreys transportation divergence between ARED's answer
// on set and its answer without attack.
func (g *attackGame) damage(set []estimates.Estimate) (float64, *server.Result, error) {
	res, err := g.answer(set)
	if err != nil {
		return 0, nil, err
	}
	dmg, err := divergence.Jeffreys.Between(res.Mixture, g.base)
	return dmg, res, err
}

// slotCaptureSet returns ests with every Byzantine machine's estimate
// replaced by its slot capture at the given per-slot strengths.
func slotCaptureSet(view *honestView, ests []estimates.Estimate, byzantine []int, strength []float64) ([]estimates.Estimate, error) {
	centreComps, err := gauss.MixtureComponents(view.centre.Weights, view.centre.Means, view.centre.Covs)
	if err != nil {
		return nil, err
	}
	K := view.centre.K()
	crafted := make([]struct {
		mean []float64
		cov  *mat.SymDense
	}, K)
	for k := range crafted {
		crafted[k].mean, crafted[k].cov = mergedToward(view.centre, centreComps, k, strength[k])
	}
	return replaced(ests, byzantine, func(j, i int) (*mixture.Mixture, error) {
		out := ests[i].Mixture.Clone()
		perm := view.perms[i]
		if perm == nil {
			return out, nil
		}
		for k := 0; k < K; k++ {
			if K > 2 && (k == j%K || k == (j+1)%K) {
				continue // its own components here: no two mixtures alike
			}
			out.Means[perm[k]] = slices.Clone(crafted[k].mean)
			c := mat.NewSymDense(out.Dim(), nil)
			c.CopySym(crafted[k].cov)
			out.Covs[perm[k]] = c
		}
		return out, out.Validate()
	})
}

// craftSlotCapture plays SlotCapture against s.
func craftSlotCapture(ctx context.Context, s *server.Server, ests []estimates.Estimate, byzantine []int) ([]estimates.Estimate, *AttackReport, error) {
	view, err := viewHonest(ctx, s, ests)
	if err != nil {
		return nil, nil, err
	}
	game, err := newAttackGame(ctx, s, ests)
	if err != nil {
		return nil, nil, fmt.Errorf("slot capture: %w", err)
	}
	K := view.centre.K()
	build := func(strength []float64) ([]estimates.Estimate, error) {
		return slotCaptureSet(view, ests, byzantine, strength)
	}
	strength := make([]float64, K)
	best := struct {
		dmg float64
		set []estimates.Estimate
	}{set: ests}
	try := func(st []float64) (bool, error) {
		set, err := build(st)
		if err != nil {
			return false, err
		}
		dmg, _, err := game.damage(set)
		if err != nil {
			return false, err
		}
		if dmg > best.dmg {
			best.dmg, best.set = dmg, set
			return true, nil
		}
		return false, nil
	}
	for _, t := range slotCaptureGrid {
		st := make([]float64, K)
		for k := range st {
			st[k] = t
		}
		ok, err := try(st)
		if err != nil {
			return nil, nil, fmt.Errorf("slot capture: %w", err)
		}
		if ok {
			copy(strength, st)
		}
	}
	for k := 0; k < K; k++ {
		for _, t := range append([]float64{0}, slotCaptureGrid...) {
			if t == strength[k] {
				continue
			}
			st := slices.Clone(strength)
			st[k] = t
			ok, err := try(st)
			if err != nil {
				return nil, nil, fmt.Errorf("slot capture: %w", err)
			}
			if ok {
				strength = st
			}
		}
	}
	return best.set, &AttackReport{Kind: SlotCapture, Param: meanOf(strength),
		Detail: fmt.Sprintf("per-slot strengths %v, moving ARED's answer by %.4g", strength, best.dmg)}, nil
}

func meanOf(x []float64) float64 {
	var s float64
	for _, v := range x {
		s += v
	}
	return s / float64(len(x))
}

// craftSlotEdges plays SlotEdges against s.
func craftSlotEdges(ctx context.Context, s *server.Server, ests []estimates.Estimate, byzantine []int) ([]estimates.Estimate, *AttackReport, error) {
	game, err := newAttackGame(ctx, s, ests)
	if err != nil {
		return nil, nil, fmt.Errorf("slot edges: %w", err)
	}
	build := func(t float64) ([]estimates.Estimate, error) {
		return replaced(ests, byzantine, func(_, i int) (*mixture.Mixture, error) { return perturb(ests[i].Mixture, "shift", t) })
	}
	// keptPairs counts the (Byzantine machine, slot) pairs the slots keep:
	// a shift is kept as long as it keeps as many as the honest fits do.
	keptPairs := func(res *server.Result) int {
		n := 0
		if res.Slots == nil {
			return n
		}
		for _, kept := range res.Slots.Kept {
			for _, b := range byzantine {
				if slices.Contains(kept, b) {
					n++
				}
			}
		}
		return n
	}
	honest, err := game.answer(ests)
	if err != nil {
		return nil, nil, fmt.Errorf("slot edges: %w", err)
	}
	need := keptPairs(honest)
	keptEverywhere := func(res *server.Result) bool { return keptPairs(res) >= need }
	lo, hi := 0.0, 1.0
	var bestSet []estimates.Estimate
	bestT, bestDmg := 0.0, 0.0
	for b := 0; b < 6; b++ {
		t := (lo + hi) / 2
		if b == 0 {
			t = 1
		}
		set, err := build(t)
		if err != nil {
			return nil, nil, fmt.Errorf("slot edges: %w", err)
		}
		dmg, res, err := game.damage(set)
		if err != nil {
			return nil, nil, fmt.Errorf("slot edges: %w", err)
		}
		if keptEverywhere(res) {
			bestSet, bestT, bestDmg = set, t, dmg
			if b == 0 {
				break
			}
			lo = t
		} else if b > 0 {
			hi = t
		}
	}
	if bestSet == nil {
		return ests, &AttackReport{Kind: SlotEdges, Detail: "no shift kept as often as the honest fits: honest fits sent"}, nil
	}
	return bestSet, &AttackReport{Kind: SlotEdges, Param: bestT, Detail: fmt.Sprintf("shift t = %.4g kept as often as the honest fits, moving ARED's answer by %.4g", bestT, bestDmg)}, nil
}
