package kernel

import (
	"math"

	"github.com/nistgmm/nistgmm/federated/internal/gauss"
)

// assignment solves the square assignment problem: it returns perm with
// perm[r] the column given to row r, minimizing sum_r cost[r][perm[r]], by
// the Hungarian method with potentials (O(n^3)). cost is n x n, row-major;
// NaN and infinite entries count as maxDistance.
func Assignment(cost []float64, n int) []int {
	cost = append([]float64(nil), cost...)
	for i, c := range cost {
		if math.IsNaN(c) || c > gauss.MaxDistance {
			cost[i] = gauss.MaxDistance
		} else if c < -gauss.MaxDistance {
			cost[i] = -gauss.MaxDistance
		}
	}
	// u, v are the row and column potentials; p[j] is the row matched to
	// column j (1-based, 0 for none); way records the augmenting path.
	u := make([]float64, n+1)
	v := make([]float64, n+1)
	p := make([]int, n+1)
	way := make([]int, n+1)
	minv := make([]float64, n+1)
	used := make([]bool, n+1)
	for i := 1; i <= n; i++ {
		p[0] = i
		j0 := 0
		for j := range minv {
			minv[j] = math.Inf(1)
			used[j] = false
		}
		for {
			used[j0] = true
			i0 := p[j0]
			delta, j1 := math.Inf(1), 0
			for j := 1; j <= n; j++ {
				if used[j] {
					continue
				}
				cur := cost[(i0-1)*n+j-1] - u[i0] - v[j]
				if cur < minv[j] {
					minv[j], way[j] = cur, j0
				}
				if minv[j] < delta {
					delta, j1 = minv[j], j
				}
			}
			for j := 0; j <= n; j++ {
				if used[j] {
					u[p[j]] += delta
					v[j] -= delta
				} else {
					minv[j] -= delta
				}
			}
			j0 = j1
			if p[j0] == 0 {
				break
			}
		}
		for j0 != 0 {
			j1 := way[j0]
			p[j0] = p[j1]
			j0 = j1
		}
	}
	perm := make([]int, n)
	for j := 1; j <= n; j++ {
		perm[p[j]-1] = j - 1
	}
	return perm
}

// alignTo returns perm with perm[k] the component of comps given to the
// reference's component k, minimizing the total KL(comps[perm[k]] || ref[k]).
func AlignTo(ref, comps []*gauss.Gaussian, d int) []int {
	K := len(ref)
	cost := make([]float64, K*K)
	diff := make([]float64, d)
	for k, g := range ref {
		for l, c := range comps {
			cost[k*K+l] = gauss.KlGauss(c, g, diff)
		}
	}
	return Assignment(cost, K)
}
