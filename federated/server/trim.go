package server

import (
	"context"
	"fmt"
	"math"
	"sort"

	"gonum.org/v1/gonum/mat"

	"github.com/nistgmm/nistgmm/federated/internal/gauss"
	"github.com/nistgmm/nistgmm/federated/internal/kernel"
)

// trim is Algorithm 2: the trimmed k-barycenter with KL cost and trimming
// level eta, started at COAT. Each iteration assigns every atom to its
// nearest centre, keeps the cheapest atoms up to mass 1 - eta (the last one
// partially), and moves each centre to the barycentre of its kept mass. A
// centre that keeps no mass keeps its previous parameters with weight 0.
// Machines none of whose mass survives the final trimming are flagged.
func (r *Round) trim(ctx context.Context) (*Result, error) {
	eta := r.server.trimLevel()
	atoms, err := r.atoms(r.Valid)
	if err != nil {
		return nil, err
	}
	start := r.Estimates[r.Coat].Mixture
	K, d := start.K(), start.Dim()
	centers, err := gauss.MixtureComponents(start.Weights, start.Means, start.Covs)
	if err != nil {
		return nil, err
	}
	current := start.Clone()
	diff := make([]float64, d)
	assign := make([]int, len(atoms))
	cost := make([]float64, len(atoms))
	kappa := make([]float64, len(atoms))
	order := make([]int, len(atoms))
	prev := math.Inf(1)
	table := kernel.NewAssignTable(atoms)
	var obj float64
	for it := 0; it < r.server.maxIter(); it++ {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		table.AssignNearest(centers, assign, cost, diff)
		for a := range order {
			order[a] = a
		}
		sort.SliceStable(order, func(x, y int) bool { return cost[order[x]] < cost[order[y]] })
		obj = trimMass(atoms, order, cost, kappa, 1-eta)
		if it > 0 && math.Abs(prev-obj) <= r.server.tol()*math.Max(1, math.Abs(obj)) {
			break
		}
		prev = obj
		next := momentMatch(atoms, assign, func(a int) float64 { return kappa[a] }, K, d)
		for k := 0; k < K; k++ {
			if next.Weights[k] == 0 {
				next.Means[k] = append([]float64(nil), current.Means[k]...)
				next.Covs[k] = mat.NewSymDense(d, nil)
				next.Covs[k].CopySym(current.Covs[k])
			}
		}
		gauss.Normalize(next.Weights) // sum kappa = 1 - eta: this is the (1-eta)^-1 factor
		if centers, err = gauss.MixtureComponents(next.Weights, next.Means, next.Covs); err != nil {
			return nil, fmt.Errorf("trim produced an invalid component: %w", err)
		}
		current = next
	}
	res := &Result{Method: TRIM, Mixture: current, Objective: obj}
	keptMass := map[int]float64{}
	for a, at := range atoms {
		keptMass[at.Machine] += kappa[a]
	}
	var flagged []int
	for _, i := range r.Valid {
		if keptMass[i] > 0 {
			res.Kept = append(res.Kept, i)
		} else {
			flagged = append(flagged, i)
		}
	}
	res.Flagged = r.withInvalid(flagged)
	return res, nil
}

// trimMass keeps the cheapest atoms (in the given cost order) up to total
// mass keep, writing the kept mass of each atom into kappa, and returns the
// trimmed cost. Atoms tied in cost at the boundary share the mass left in
// proportion to their own mass, instead of the first of them in index order
// taking it all: a common input then comes back unchanged.
func trimMass(atoms []kernel.Atom, order []int, cost, kappa []float64, keep float64) float64 {
	left := keep
	var obj float64
	for start := 0; start < len(order); {
		end := start + 1
		for end < len(order) && cost[order[end]] == cost[order[start]] {
			end++
		}
		var group float64
		for _, a := range order[start:end] {
			group += atoms[a].Mass
		}
		frac := 0.0
		if group > 0 && left > 0 {
			frac = math.Min(1, left/group)
		}
		for _, a := range order[start:end] {
			kappa[a] = frac * atoms[a].Mass
			obj += kappa[a] * cost[a]
		}
		left -= frac * group
		start = end
	}
	return obj
}
