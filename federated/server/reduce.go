package server

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"sort"

	"gonum.org/v1/gonum/mat"

	"github.com/nistgmm/nistgmm/internal/parallel"

	"github.com/nistgmm/nistgmm/federated/internal/gauss"
	"github.com/nistgmm/nistgmm/federated/internal/kernel"
	"github.com/nistgmm/nistgmm/federated/mixture"
)

func (r *Round) atoms(machines []int) ([]kernel.Atom, error) {
	var total float64
	for _, i := range machines {
		total += r.caps[i]
	}
	var out []kernel.Atom
	for _, i := range machines {
		e := r.Estimates[i]
		comps := r.comps[i]
		if comps == nil {
			return nil, fmt.Errorf("estimate %d is not among the valid ones", i)
		}
		lambda := r.caps[i] / total
		for k, g := range comps {
			if w := lambda * e.Mixture.Weights[k]; w > 0 {
				out = append(out, kernel.Atom{G: g, Mass: w, Machine: i})
			}
		}
	}
	return out, nil
}

// reduce is the GMR estimator over the given estimates: the MM algorithm of
// Appendix A.2 minimizing the composite transportation divergence with KL
// cost from their lambda-weighted average to an order-K mixture. It runs
// from every start of starts and keeps the lowest objective (ties to the
// earlier start), so it is never worse than the paper's single start at
// COAT, which is always the first.
func (r *Round) reduce(ctx context.Context, machines []int) (*mixture.Mixture, float64, error) {
	atoms, err := r.atoms(machines)
	if err != nil {
		return nil, 0, err
	}
	starts, err := r.starts(machines, atoms)
	if err != nil {
		return nil, 0, err
	}
	table := kernel.NewAssignTable(atoms)
	if r.rows != nil && len(starts) > 1 {
		return r.reduceHalving(ctx, table, starts)
	}
	mixes := make([]*mixture.Mixture, len(starts))
	objs := make([]float64, len(starts))
	err = parallel.For(ctx, len(starts), r.server.Workers, func(s int) error {
		var err error
		mixes[s], objs[s], err = r.mm(ctx, table, starts[s], r.server.maxIter())
		return err
	})
	if err != nil {
		return nil, 0, err
	}
	best := 0
	for s := range objs {
		if objs[s] < objs[best] {
			best = s
		}
	}
	return mixes[best], objs[best], nil
}

// starts returns the starting mixtures of a reduction: COAT, the Server's
// own Starts, then (unless SingleStart) the estimates being reduced nearest
// COAT and weighted k-means++ seedings over their components. Every start
// but COAT and the Server's comes from the estimates being reduced, so a
// filtered set is never pulled towards machines it dropped.
func (r *Round) starts(machines []int, atoms []kernel.Atom) ([]*mixture.Mixture, error) {
	coat := r.Estimates[r.Coat].Mixture
	out := append([]*mixture.Mixture{coat}, r.server.Starts...)
	for s, m := range out {
		if m.K() != coat.K() || m.Dim() != coat.Dim() {
			return nil, fmt.Errorf("starting mixture %d is order %d in dimension %d, want %d in %d", s, m.K(), m.Dim(), coat.K(), coat.Dim())
		}
	}
	if r.server.SingleStart {
		return out, nil
	}
	near, seeded := r.server.NearStarts, r.server.SeededStarts
	if near == 0 {
		near = 3
	}
	if seeded == 0 {
		seeded = 4
	}
	for _, i := range r.nearestToCoat(machines, near) {
		out = append(out, r.Estimates[i].Mixture)
	}
	for s := 0; s < seeded; s++ {
		rng := rand.New(rand.NewPCG(r.server.Seed, 0x5eed0000+uint64(s)))
		if m := seedAtoms(atoms, coat.K(), rng); m != nil {
			out = append(out, m)
		}
	}
	return out, nil
}

// seedAtoms picks K atoms by weighted k-means++ on their means (the first
// with probability proportional to its mass, each next one proportional to
// mass times the squared distance to the nearest atom already picked) and
// returns them as an equally weighted mixture; nil when fewer than K atoms
// have positive mass and distance.
func seedAtoms(atoms []kernel.Atom, K int, rng *rand.Rand) *mixture.Mixture {
	if len(atoms) < K {
		return nil
	}
	near := make([]float64, len(atoms))
	for a := range near {
		near[a] = 1 // first pick: by mass alone
	}
	mix := &mixture.Mixture{Weights: make([]float64, K)}
	for k := 0; k < K; k++ {
		var total float64
		for a, at := range atoms {
			total += at.Mass * near[a]
		}
		if !(total > 0) {
			return nil
		}
		u := rng.Float64() * total
		pick := len(atoms) - 1
		for a, at := range atoms {
			u -= at.Mass * near[a]
			if u < 0 {
				pick = a
				break
			}
		}
		g := atoms[pick].G
		d := len(g.Mean)
		mix.Weights[k] = 1 / float64(K)
		mix.Means = append(mix.Means, append([]float64(nil), g.Mean...))
		cov := mat.NewSymDense(d, nil)
		for i := 0; i < d; i++ {
			for j := i; j < d; j++ {
				cov.SetSym(i, j, g.Cov[i*d+j])
			}
		}
		mix.Covs = append(mix.Covs, cov)
		for a, at := range atoms {
			var dd float64
			for i, v := range at.G.Mean {
				t := v - g.Mean[i]
				dd += t * t
			}
			if k == 0 || dd < near[a] {
				near[a] = dd
			}
		}
	}
	return mix
}

// mm runs the MM iterations from start. A component that receives no atom
// is moved onto the atom that currently pays the largest transport cost
// (the worst-served part of the average mixture): this lowers the
// objective, so the iterations stay monotone, and the reduction keeps K
// components.
func (r *Round) mm(ctx context.Context, table *kernel.AssignTable, start *mixture.Mixture, maxIter int) (*mixture.Mixture, float64, error) {
	atoms := table.Atoms
	K := start.K()
	centers, err := gauss.MixtureComponents(start.Weights, start.Means, start.Covs)
	if err != nil {
		return nil, 0, err
	}
	d := len(centers[0].Mean)
	diff := make([]float64, d)
	assign := make([]int, len(atoms))
	cost := make([]float64, len(atoms))
	prev := math.Inf(1)
	var mix *mixture.Mixture
	for it := 0; it < maxIter; it++ {
		if err := ctx.Err(); err != nil {
			return nil, 0, err
		}
		table.AssignNearest(centers, assign, cost, diff)
		var obj float64
		for a, at := range atoms {
			obj += at.Mass * cost[a]
		}
		if mix != nil && math.Abs(prev-obj) <= r.server.tol()*math.Max(1, math.Abs(obj)) {
			return mix, obj, nil
		}
		prev = obj
		reseedEmpty(atoms, assign, cost, K)
		mix = momentMatch(atoms, assign, func(a int) float64 { return atoms[a].Mass }, K, d)
		gauss.Normalize(mix.Weights)
		centers, err = gauss.MixtureComponents(mix.Weights, mix.Means, mix.Covs)
		if err != nil {
			return nil, 0, fmt.Errorf("reduction produced an invalid component: %w", err)
		}
	}
	return mix, prev, nil
}

// halvingSteps is the number of MM iterations every start of a reduction
// at scale gets before the worse half is dropped; the survivors get twice
// as many in each following round.
const halvingSteps = 8

// reduceHalving is reduce's search over starts for a round at scale (see
// CentreSampled), where some starts (k-means++ seedings over tens of
// thousands of atoms) need hundreds of iterations: every start runs
// halvingSteps iterations, the better half by objective (ties to the
// earlier start) continues for twice as many, and so on until one is left,
// which runs to convergence. Each start's objective only decreases, so
// the one kept is the start that led after every round.
func (r *Round) reduceHalving(ctx context.Context, table *kernel.AssignTable, starts []*mixture.Mixture) (*mixture.Mixture, float64, error) {
	type run struct {
		mix   *mixture.Mixture
		obj   float64
		start int
	}
	runs := make([]run, len(starts))
	for s, m := range starts {
		runs[s] = run{mix: m, start: s}
	}
	for steps := halvingSteps; len(runs) > 1; steps *= 2 {
		err := parallel.For(ctx, len(runs), r.server.Workers, func(i int) error {
			var err error
			runs[i].mix, runs[i].obj, err = r.mm(ctx, table, runs[i].mix, steps)
			return err
		})
		if err != nil {
			return nil, 0, err
		}
		sort.SliceStable(runs, func(i, j int) bool {
			if runs[i].obj != runs[j].obj {
				return runs[i].obj < runs[j].obj
			}
			return runs[i].start < runs[j].start
		})
		runs = runs[:(len(runs)+1)/2]
	}
	return r.mm(ctx, table, runs[0].mix, r.server.maxIter())
}

// reseedEmpty gives every component without atoms the atom of largest
// transport cost among those whose component keeps another atom.
func reseedEmpty(atoms []kernel.Atom, assign []int, cost []float64, K int) {
	count := make([]int, K)
	for _, k := range assign {
		count[k]++
	}
	for k := 0; k < K; k++ {
		if count[k] > 0 {
			continue
		}
		worst := -1
		for a := range atoms {
			if count[assign[a]] > 1 && (worst < 0 || atoms[a].Mass*cost[a] > atoms[worst].Mass*cost[worst]) {
				worst = a
			}
		}
		if worst < 0 {
			return // fewer atoms than components
		}
		count[assign[worst]]--
		assign[worst], cost[worst] = k, 0
		count[k] = 1
	}
}

// momentMatch returns, for each component k, the Gaussian that minimizes
// sum_a mass_a KL(atom_a || phi_k) over the atoms assigned to k (the KL
// barycentre: matched first and second moments), with weight the total
// mass. A component without mass comes back with weight 0 and a zero
// covariance, which is not a valid component: callers reseed it first (GMR)
// or put the previous component back (TRIM).
func momentMatch(atoms []kernel.Atom, assign []int, mass func(int) float64, K, d int) *mixture.Mixture {
	mix := &mixture.Mixture{Weights: make([]float64, K), Means: make([][]float64, K), Covs: make([]*mat.SymDense, K)}
	for k := 0; k < K; k++ {
		mix.Means[k] = make([]float64, d)
		mix.Covs[k] = mat.NewSymDense(d, nil)
	}
	for a, k := range assign {
		w := mass(a)
		if w == 0 {
			continue
		}
		mix.Weights[k] += w
		for i, v := range atoms[a].G.Mean {
			mix.Means[k][i] += w * v
		}
	}
	for k := 0; k < K; k++ {
		if mix.Weights[k] > 0 {
			for i := range mix.Means[k] {
				mix.Means[k][i] /= mix.Weights[k]
			}
		}
	}
	for a, k := range assign {
		w := mass(a)
		if w == 0 {
			continue
		}
		g := atoms[a].G
		raw := mix.Covs[k].RawSymmetric()
		for i := 0; i < d; i++ {
			di := g.Mean[i] - mix.Means[k][i]
			for j := i; j < d; j++ {
				dj := g.Mean[j] - mix.Means[k][j]
				raw.Data[i*raw.Stride+j] += w * (g.Cov[i*d+j] + di*dj)
			}
		}
	}
	for k := 0; k < K; k++ {
		if mix.Weights[k] > 0 {
			mix.Covs[k].ScaleSym(1/mix.Weights[k], mix.Covs[k])
		}
	}
	return mix
}

// nearestToCoat returns up to n of machines other than COAT, nearest to COAT
// first (ties by index).
func (r *Round) nearestToCoat(machines []int, n int) []int {
	if n <= 0 {
		return nil
	}
	pos := map[int]int{}
	for a, i := range r.Valid {
		pos[i] = a
	}
	dist := r.CoatDistances()
	var cand []int
	for _, i := range machines {
		if i != r.Coat {
			cand = append(cand, i)
		}
	}
	sort.SliceStable(cand, func(x, y int) bool { return dist[pos[cand[x]]] < dist[pos[cand[y]]] })
	if len(cand) > n {
		cand = cand[:n]
	}
	return cand
}
