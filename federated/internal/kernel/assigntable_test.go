package kernel

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/nistgmm/nistgmm/federated/internal/gauss"
)

// exactAssign is the plain scan the table replaces.
func exactAssign(atoms []Atom, centers []*gauss.Gaussian, assign []int, cost, diff []float64) {
	for a, at := range atoms {
		best, bestC := 0, math.Inf(1)
		for k, c := range centers {
			if v := gauss.KlGauss(at.G, c, diff); v < bestC {
				best, bestC = k, v
			}
		}
		assign[a], cost[a] = best, bestC
	}
}

// tableCase returns the atoms of m estimates (a fifth of them with the
// mean failure's far-away means) and K centres.
func tableCase(t testing.TB, seed uint64, m, K, d int) ([]Atom, []*gauss.Gaussian) {
	rng := rand.New(rand.NewPCG(seed, 1))
	var atoms []Atom
	for i := 0; i < m; i++ {
		mix := randomMixture(rng, K, d, 2)
		if i%5 == 4 {
			var err error
			if mix, err = corruptMeans(mix, rng); err != nil {
				t.Fatal(err)
			}
		}
		comps, err := gauss.MixtureComponents(mix.Weights, mix.Means, mix.Covs)
		if err != nil {
			t.Fatal(err)
		}
		for k, g := range comps {
			atoms = append(atoms, Atom{G: g, Mass: mix.Weights[k] / float64(m), Machine: i})
		}
	}
	cm := randomMixture(rng, K, d, 2)
	centers, err := gauss.MixtureComponents(cm.Weights, cm.Means, cm.Covs)
	if err != nil {
		t.Fatal(err)
	}
	return atoms, centers
}

func TestKLTableAssignsExactly(t *testing.T) {
	for _, c := range []struct{ m, K, d int }{{20, 5, 10}, {30, 10, 50}, {6, 3, 1}} {
		atoms, centers := tableCase(t, uint64(c.d), c.m, c.K, c.d)
		// Duplicate a centre: ties must go to the lower index.
		centers = append(centers, centers[1])
		n := len(atoms)
		wantA, gotA := make([]int, n), make([]int, n)
		wantC, gotC := make([]float64, n), make([]float64, n)
		diff := make([]float64, c.d)
		exactAssign(atoms, centers, wantA, wantC, diff)
		NewAssignTable(atoms).AssignNearest(centers, gotA, gotC, diff)
		for a := range atoms {
			if gotA[a] != wantA[a] || gotC[a] != wantC[a] {
				t.Fatalf("%+v atom %d: table gives centre %d at %v, exact scan %d at %v", c, a, gotA[a], gotC[a], wantA[a], wantC[a])
			}
		}
	}
}

// BenchmarkAssignNearest compares the exact scan with the table at the
// Table 2 size (50 machines x 10 components in d = 50, 10 centres).
func BenchmarkAssignNearest(b *testing.B) {
	atoms, centers := tableCase(b, 3, 50, 10, 50)
	n := len(atoms)
	assign, cost, diff := make([]int, n), make([]float64, n), make([]float64, 50)
	b.Run("exact-scan", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			exactAssign(atoms, centers, assign, cost, diff)
		}
	})
	b.Run("table", func(b *testing.B) {
		table := NewAssignTable(atoms)
		for i := 0; i < b.N; i++ {
			table.AssignNearest(centers, assign, cost, diff)
		}
	})
}
