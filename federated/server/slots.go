package server

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"

	"gonum.org/v1/gonum/floats"
	"gonum.org/v1/gonum/mat"

	"github.com/nistgmm/nistgmm/internal/parallel"

	"github.com/nistgmm/nistgmm/federated/divergence"
	"github.com/nistgmm/nistgmm/federated/internal/gauss"
	"github.com/nistgmm/nistgmm/federated/internal/kernel"
	"github.com/nistgmm/nistgmm/federated/internal/robust"
	"github.com/nistgmm/nistgmm/federated/mixture"
)

// SlotReport describes ARED's componentwise combination (see combineSlots).
type SlotReport struct {
	// Iterations is the number of align-and-combine passes run.
	Iterations int `json:"iterations"`
	// Kept[k] lists the estimates (indices into the round's Estimates) whose
	// component aligned to slot k was combined into component k.
	Kept [][]int `json:"kept"`
	// Counted[k] lists the estimates whose component entered slot k's
	// moment match: Kept without the members of copy groups, each group
	// through its representative with the mass of its heaviest member.
	Counted [][]int `json:"counted"`
	// Radius[k] is the Jeffreys radius of slot k's ball around its centre.
	Radius []float64 `json:"radius"`
}

// maxSlotPasses bounds the align-and-combine passes; they stop earlier as
// soon as a pass keeps and aligns exactly what the previous one did.
const maxSlotPasses = 10

// combineSlots is ARED's componentwise robust combination. Filtering whole
// estimates by one distance leaves whatever passes with full weight, and a
// mixture-level distance averages a merged or split component into the
// others' sampling noise. Here every estimate's components are aligned to a
// reference mixture (the assignment of least total KL(component ||
// reference component)), so that each estimate gives exactly one component
// to each slot; within a slot, the components are compared to each other
// by the Jeffreys divergence, the slot's centre is the component with the
// smallest ball holding half of them (COAT within the slot), and the
// components within the robust radius of that ball (RadiusRobust's rule)
// are moment-matched, each estimate with the mass of its capped sample
// size. The slot's weight is a robust mean of the kept components' weights
// (robust.RobustMean): a weight carries no covariance to tell a reweighted
// component from an honest one by, so the weights are screened on their
// own. The result is the next reference; passes repeat
// until one keeps and aligns what the previous one did.
//
// Every estimate counts once per slot, so an honest majority of machines is
// a majority in every slot. A merged component sits far from the honest
// components of its slot in the component's own metric, where the
// mixture-level distance hid it among the other nine. A Byzantine component
// that is kept lies within the slot's radius rho of its centre; since
// J(p, q) >= (mu_p - mu_q)^T Sigma_q^-1 (mu_p - mu_q) / 2, its mean is within
// Mahalanobis distance sqrt(2 rho) of the centre's, and with beta the
// Byzantine share of the slot's kept mass, the combined mean lies within
// beta * 2 sqrt(2 rho) of the mean the kept honest components alone give,
// in the centre's metric (README, threat model).
func (r *Round) combineSlots(ctx context.Context, ref *mixture.Mixture, machines []int) (*mixture.Mixture, *SlotReport, error) {
	refComps, err := gauss.MixtureComponents(ref.Weights, ref.Means, ref.Covs)
	if err != nil {
		return nil, nil, fmt.Errorf("componentwise combination: reference: %w", err)
	}
	K, d := ref.K(), ref.Dim()
	scale := r.server.RadiusScale
	if scale == 0 {
		scale = 3
	}
	var perms [][]int
	report := &SlotReport{}
	cur := ref
	// Each slot's divergences of the last pass: a pass that aligns a pair
	// of machines as the last one did reads them instead of computing them.
	caches := make([]slotCache, K)
	// At scale, the components are read from the round's packed tables and
	// no pair of machines is compared in full (see CentreSampled).
	var atScale *slotTables
	if r.server.sampledCentre(len(machines)) {
		if atScale, err = r.slotTables(ctx, machines); err != nil {
			return nil, nil, err
		}
	}
	for pass := 0; pass < maxSlotPasses; pass++ {
		if err := ctx.Err(); err != nil {
			return nil, nil, err
		}
		var next [][]int
		if atScale != nil {
			next, err = atScale.align(ctx, refComps, r.server.Workers)
		} else {
			next = make([][]int, len(machines))
			err = parallel.For(ctx, len(machines), r.server.Workers, func(a int) error {
				next[a] = kernel.AlignTo(refComps, r.comps[machines[a]], d)
				return nil
			})
		}
		if err != nil {
			return nil, nil, err
		}
		kept := make([][]int, K)
		counted := make([][]int, K)
		radius := make([]float64, K)
		mix := &mixture.Mixture{Weights: make([]float64, K), Means: make([][]float64, K), Covs: make([]*mat.SymDense, K)}
		err = parallel.For(ctx, K, r.server.Workers, func(k int) error {
			var err error
			kept[k], counted[k], radius[k], mix.Weights[k], mix.Means[k], mix.Covs[k], err = r.combineSlot(ctx, machines, next, k, scale, &caches[k], atScale)
			return err
		})
		if err != nil {
			return nil, nil, err
		}
		if floats.Sum(mix.Weights) > 0 {
			gauss.Normalize(mix.Weights)
		} else { // every kept component had weight 0: nothing to tell the slots apart
			for k := range mix.Weights {
				mix.Weights[k] = 1 / float64(K)
			}
		}
		comps, err := gauss.MixtureComponents(mix.Weights, mix.Means, mix.Covs)
		if err != nil {
			return nil, nil, fmt.Errorf("componentwise combination produced an invalid mixture: %w", err)
		}
		report.Iterations = pass + 1
		same := perms != nil && slices.EqualFunc(perms, next, slices.Equal[[]int]) &&
			slices.EqualFunc(report.Kept, kept, slices.Equal[[]int])
		perms, report.Kept, report.Counted, report.Radius, cur, refComps = next, kept, counted, radius, mix, comps
		if same {
			break
		}
	}
	return cur, report, nil
}

// slotCache holds a slot's divergences of one pass and, per machine, the
// component they were computed for.
type slotCache struct {
	used []int
	dist *mat.Dense
}

// combineSlot combines slot k: the components perms[a][k] of machines[a],
// compared by the Jeffreys divergence, the centre and radius by COAT's and
// RadiusRobust's rules, the kept ones moment-matched with their capped
// sample sizes as masses. It returns the kept estimates, the radius, the
// slot's (unnormalized) weight, mean and covariance.
func (r *Round) combineSlot(ctx context.Context, machines []int, perms [][]int, k int, scale float64, cache *slotCache, atScale *slotTables) (kept, counted []int, radius, weight float64, mean []float64, cov *mat.SymDense, err error) {
	m := len(machines)
	comps := make([]*gauss.Gaussian, m)
	used := make([]int, m)
	for a, i := range machines {
		used[a] = perms[a][k]
		comps[a] = r.comps[i][used[a]]
	}
	d := len(comps[0].Mean)
	var (
		centre int
		rc     float64
		row    []float64
		rep    []int // per machine, its copy group's representative (exact search only)
	)
	if atScale != nil {
		idx := make([]int, m)
		for a := range machines {
			idx[a] = atScale.first[a] + used[a]
		}
		rows := &slotRows{comps: comps, cols: kernel.PackView{Pack: atScale.pack, Idx: idx}, workers: r.server.Workers, rows: map[int][]float64{}}
		all := make([]int, m)
		for a := range all {
			all[a] = a
		}
		order := rand.New(rand.NewPCG(r.server.Seed, r.drawSeed+0x5107000+uint64(k))).Perm(m)
		found, err := searchCentre(ctx, rows, all, order, r.server.candidates(), r.server.refined())
		if err != nil {
			return nil, nil, 0, 0, nil, nil, err
		}
		centre, rc, row = found.Centre, found.Radius, rows.RowOut(found.Centre)
	} else {
		diff := make([]float64, d)
		dist := mat.NewDense(m, m, nil)
		// The divergences not in the cache need the components'
		// inverses, which the round does not keep (see light).
		full := comps
		if cache.dist == nil || !slices.Equal(cache.used, used) {
			if full, err = gauss.InvertAll(comps); err != nil {
				return nil, nil, 0, 0, nil, nil, fmt.Errorf("slot %d: %w", k, err)
			}
		}
		for a := 0; a < m; a++ {
			for b := a + 1; b < m; b++ {
				var v float64
				if cache.dist != nil && cache.used[a] == used[a] && cache.used[b] == used[b] {
					v = cache.dist.At(a, b)
				} else {
					v = gauss.KlGauss(full[a], full[b], diff) + gauss.KlGauss(full[b], full[a], diff)
				}
				dist.Set(a, b, v)
				dist.Set(b, a, v)
			}
		}
		cache.used, cache.dist = used, dist
		// Near-identical components count once, as near-identical
		// mixtures do: a component crafted once and sent by many machines
		// inside otherwise distinct mixtures is one vote in its slot.
		keys := make([]uint64, m)
		for a, i := range machines {
			keys[a] = r.keys[i]
		}
		rep, _ = nearCopies(dist, r.server.copyFraction(), keys)
		var reps []int
		for a := range rep {
			if rep[a] == a {
				reps = append(reps, a)
			}
		}
		pos, rcReps, _ := CenterOfAttention(subMatrix(dist, reps))
		centre, rc = reps[pos], rcReps
		row = slices.Clone(dist.RawRowView(centre))
		for a := range row {
			if rep[a] != a { // seen through its representative only
				row[a] = math.Inf(1)
			}
		}
	}
	radius = max(robust.SlotRadius(row, centre, rc, scale, d), kernel.Distance(divergence.Jeffreys).RoundOff())
	inside := func(a int) bool { return a == centre || row[a] <= radius }
	// A group's mass is its heaviest member's capped sample size.
	groupMass := make([]float64, m)
	for a, i := range machines {
		g := a
		if rep != nil {
			g = rep[a]
		}
		groupMass[g] = math.Max(groupMass[g], r.caps[i])
	}
	var mass float64
	var weights []float64
	mean = make([]float64, d)
	for a, i := range machines {
		if rep != nil && rep[a] != a {
			if inside(rep[a]) {
				kept = append(kept, i) // counted once, through its representative
			}
			continue
		}
		if !inside(a) {
			continue
		}
		kept = append(kept, i)
		counted = append(counted, i)
		lam := groupMass[a]
		mass += lam
		weights = append(weights, r.Estimates[i].Mixture.Weights[perms[a][k]])
		for j, v := range comps[a].Mean {
			mean[j] += lam * v
		}
	}
	for j := range mean {
		mean[j] /= mass
	}
	cov = mat.NewSymDense(d, nil)
	raw := cov.RawSymmetric()
	for a := range machines {
		if rep != nil && rep[a] != a || !inside(a) {
			continue
		}
		lam := groupMass[a] / mass
		g := comps[a]
		for x := 0; x < d; x++ {
			dx := g.Mean[x] - mean[x]
			for y := x; y < d; y++ {
				raw.Data[x*raw.Stride+y] += lam * (g.Cov[x*d+y] + dx*(g.Mean[y]-mean[y]))
			}
		}
	}
	slices.Sort(kept)
	slices.Sort(counted)
	return kept, counted, radius, robust.RobustMean(weights, scale), mean, cov, nil
}

// slotRows gives the Jeffreys divergences from a few of a slot's
// components to all of them, for the sampled search of the slot's centre.
type slotRows struct {
	comps   []*gauss.Gaussian
	cols    kernel.PackView // the same components in the round's packed tables
	workers int
	rows    map[int][]float64
}

func (s *slotRows) Compute(ctx context.Context, from []int) error {
	var todo []int
	var rows []*gauss.Gaussian
	for _, a := range from {
		if _, ok := s.rows[a]; !ok && !slices.Contains(todo, a) {
			todo = append(todo, a)
			rows = append(rows, s.comps[a])
		}
	}
	if len(todo) == 0 {
		return nil
	}
	block, err := kernel.NewKLBlock(ctx, rows, s.cols, s.workers)
	if err != nil {
		return err
	}
	for f, a := range todo {
		row := make([]float64, len(s.comps))
		for b := range row {
			if b != a {
				row[b] = block.Jeffreys(f, b)
			}
		}
		s.rows[a] = row
	}
	return nil
}

func (s *slotRows) RowOut(a int) []float64 { return s.rows[a] }
func (s *slotRows) RowIn(a int) []float64  { return s.rows[a] }

// slotTables are the round's packed components as the componentwise
// combination reads them at scale: first[a] is the pack index of machine
// a's first component.
type slotTables struct {
	pack  *kernel.GaussianPack
	first []int
	K     int
}

func (r *Round) slotTables(ctx context.Context, machines []int) (*slotTables, error) {
	if r.rows == nil { // a round searched exactly whose slots are not
		preps := make([]*kernel.DistanceInput, len(r.Valid))
		for a := range r.Valid {
			preps[a] = &kernel.DistanceInput{}
		}
		// The blocks read every component's factorizations.
		if err := r.refactorAll(ctx, preps); err != nil {
			return nil, err
		}
		rs := &kernel.RowSource{Preps: preps}
		total := 0
		for _, p := range preps {
			rs.Offset = append(rs.Offset, total)
			total += len(p.Comps)
		}
		r.rows = rs
	}
	pack, offset, err := r.rows.Pack(ctx)
	if err != nil {
		return nil, err
	}
	pos := make(map[int]int, len(r.Valid))
	for a, i := range r.Valid {
		pos[i] = a
	}
	t := &slotTables{pack: pack, first: make([]int, len(machines)), K: len(r.comps[machines[0]])}
	for a, i := range machines {
		t.first[a] = offset[pos[i]]
	}
	return t, nil
}

// align is alignTo for every machine at once: the costs KL(component ||
// reference component) of all machines as one block against the reference.
func (t *slotTables) align(ctx context.Context, ref []*gauss.Gaussian, workers int) ([][]int, error) {
	m, K := len(t.first), t.K
	idx := make([]int, 0, m*K)
	for _, f := range t.first {
		for l := 0; l < K; l++ {
			idx = append(idx, f+l)
		}
	}
	block, err := kernel.NewKLBlock(ctx, ref, kernel.PackView{Pack: t.pack, Idx: idx}, workers)
	if err != nil {
		return nil, err
	}
	perms := make([][]int, m)
	err = parallel.For(ctx, m, workers, func(a int) error {
		cost := make([]float64, K*K)
		for k := 0; k < K; k++ {
			for l := 0; l < K; l++ {
				cost[k*K+l] = block.Bwd[k*block.Nc+a*K+l]
			}
		}
		perms[a] = kernel.Assignment(cost, K)
		return nil
	})
	return perms, err
}
