package kernel

import (
	"math"
	"slices"
	"testing"
)

// The assignment is the cheapest permutation: checked against every
// permutation on random costs.
func TestAssignmentIsOptimal(t *testing.T) {
	rng := newRNG(74)
	for trial := 0; trial < 200; trial++ {
		n := 1 + rng.IntN(6)
		cost := make([]float64, n*n)
		for i := range cost {
			cost[i] = math.Floor(rng.Float64() * 10) // ties on purpose
		}
		got := Assignment(cost, n)
		total := func(p []int) float64 {
			var s float64
			for r, c := range p {
				s += cost[r*n+c]
			}
			return s
		}
		seen := make([]bool, n)
		for _, c := range got {
			if seen[c] {
				t.Fatalf("%v is not a permutation", got)
			}
			seen[c] = true
		}
		best := math.Inf(1)
		var perm func(p []int, used []bool)
		perm = func(p []int, used []bool) {
			if len(p) == n {
				best = math.Min(best, total(p))
				return
			}
			for c := 0; c < n; c++ {
				if !used[c] {
					used[c] = true
					perm(append(p, c), used)
					used[c] = false
				}
			}
		}
		perm(nil, make([]bool, n))
		if total(got) != best {
			t.Fatalf("assignment costs %g, the best %g", total(got), best)
		}
	}
	if got := Assignment([]float64{math.NaN(), 1, 2, math.Inf(1)}, 2); !slices.Equal(got, []int{1, 0}) {
		t.Errorf("with NaN and Inf costs: %v, want [1 0]", got)
	}
}
