package kernel

import (
	"fmt"
	"math"
)

// transport solves the small optimal-transport problems between the
// components of two mixtures,
//
//	min sum_kl pi_kl c_kl  s.t.  sum_l pi_kl = a_k, sum_k pi_kl = b_l, pi >= 0,
//
// exactly, by successive shortest paths on the bipartite residual graph
// (Bellman-Ford, since reverse arcs carry negative costs). Each augmentation
// exhausts a supply, a demand or a reverse arc, so a K x K problem takes at
// most a few dozen augmentations of O(K^3) work each: thousands of these per
// distance matrix cost milliseconds, where a general simplex costs seconds.
// Tests check it against gonum's simplex.
type transport struct {
	c      []float64 // ka x kb costs, row-major
	flow   []float64
	supply []float64
	demand []float64
	dist   []float64 // over ka supply nodes then kb demand nodes
	prev   []int     // predecessor node on the shortest path, -1 for a source
	ka, kb int
}

func newTransport() *transport { return &transport{} }

// cost returns the ka*kb row-major cost buffer to fill before solve.
func (t *transport) cost(ka, kb int) []float64 {
	t.ka, t.kb = ka, kb
	grow := func(s []float64, n int) []float64 {
		if cap(s) < n {
			return make([]float64, n)
		}
		return s[:n]
	}
	t.c = grow(t.c, ka*kb)
	t.flow = grow(t.flow, ka*kb)
	t.supply = grow(t.supply, ka)
	t.demand = grow(t.demand, kb)
	t.dist = grow(t.dist, ka+kb)
	if cap(t.prev) < ka+kb {
		t.prev = make([]int, ka+kb)
	}
	t.prev = t.prev[:ka+kb]
	return t.c
}

// solve returns the optimal cost for marginals a and b, which must have the
// same total (b is rescaled to a's total to absorb rounding).
func (t *transport) solve(a, b []float64) (float64, error) {
	ka, kb := t.ka, t.kb
	if len(a) != ka || len(b) != kb {
		return 0, fmt.Errorf("transport: marginals of length %d and %d for a %d x %d cost", len(a), len(b), ka, kb)
	}
	var sa, sb float64
	for _, v := range a {
		sa += v
	}
	for _, v := range b {
		sb += v
	}
	if !(sa > 0) || !(sb > 0) || math.Abs(sa-sb) > 1e-6*sa {
		return 0, fmt.Errorf("transport: marginals sum to %v and %v", sa, sb)
	}
	copy(t.supply, a)
	for l, v := range b {
		t.demand[l] = v * sa / sb
	}
	for i := range t.flow {
		t.flow[i] = 0
	}
	eps := 1e-14 * sa
	// Relaxations must beat the current distance by more than rounding, or a
	// zero-cost cycle (an arc and its reverse) can close in the tree.
	var maxC float64
	for _, c := range t.c {
		if math.IsNaN(c) || math.IsInf(c, 0) || c < 0 {
			return 0, fmt.Errorf("transport: cost %v is not finite and non-negative", c)
		}
		maxC = math.Max(maxC, c)
	}
	tol := 1e-12 * (maxC + 1)
	for iter := 0; iter < 4*(ka+kb)*(ka+kb)+16; iter++ {
		// Bellman-Ford from every supply node with supply left.
		active := false
		for k := 0; k < ka; k++ {
			if t.supply[k] > eps {
				t.dist[k], t.prev[k] = 0, -1
				active = true
			} else {
				t.dist[k], t.prev[k] = math.Inf(1), -1
			}
		}
		if !active {
			break
		}
		for l := 0; l < kb; l++ {
			t.dist[ka+l], t.prev[ka+l] = math.Inf(1), -1
		}
		for pass := 0; pass < ka+kb; pass++ {
			changed := false
			for k := 0; k < ka; k++ {
				dk := t.dist[k]
				if math.IsInf(dk, 1) {
					continue
				}
				row := t.c[k*kb : k*kb+kb]
				for l, c := range row {
					if nd := dk + c; nd < t.dist[ka+l]-tol {
						t.dist[ka+l], t.prev[ka+l] = nd, k
						changed = true
					}
				}
			}
			for l := 0; l < kb; l++ {
				dl := t.dist[ka+l]
				if math.IsInf(dl, 1) {
					continue
				}
				for k := 0; k < ka; k++ {
					// No path into a source is shorter than 0 (no negative
					// cycles through the super-source), so sources stay roots.
					if t.flow[k*kb+l] > eps && t.supply[k] <= eps {
						if nd := dl - t.c[k*kb+l]; nd < t.dist[k]-tol {
							t.dist[k], t.prev[k] = nd, ka+l
							changed = true
						}
					}
				}
			}
			if !changed {
				break
			}
		}
		// Nearest demand node with demand left.
		end := -1
		for l := 0; l < kb; l++ {
			if t.demand[l] > eps && (end < 0 || t.dist[ka+l] < t.dist[ka+end]) {
				end = l
			}
		}
		if end < 0 || math.IsInf(t.dist[ka+end], 1) {
			break
		}
		// Bottleneck along the path.
		amount := t.demand[end]
		node := ka + end
		for steps := 0; ; steps++ {
			if steps > ka+kb {
				return 0, fmt.Errorf("transport: cycle in shortest-path tree (costs not finite?)")
			}
			p := t.prev[node]
			if node >= ka { // demand node reached from supply node p
				if t.prev[p] == -1 {
					amount = math.Min(amount, t.supply[p])
					break
				}
			} else { // supply node reached along the reverse arc from demand node p
				amount = math.Min(amount, t.flow[node*kb+(p-ka)])
			}
			node = p
		}
		node = ka + end
		for {
			p := t.prev[node]
			if node >= ka {
				t.flow[p*kb+(node-ka)] += amount
				if t.prev[p] == -1 {
					t.supply[p] -= amount
					break
				}
			} else {
				t.flow[node*kb+(p-ka)] -= amount
			}
			node = p
		}
		t.demand[end] -= amount
	}
	var shipped, total float64
	for i, f := range t.flow {
		if f > 0 {
			shipped += f
			total += f * t.c[i]
		}
	}
	if math.Abs(shipped-sa) > 1e-9*sa {
		return 0, fmt.Errorf("transport: shipped %v of %v", shipped, sa)
	}
	return total, nil
}
