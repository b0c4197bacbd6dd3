package kernel

import (
	"context"
	"math"
	"testing"

	"gonum.org/v1/gonum/mat"

	"github.com/nistgmm/nistgmm/federated/mixture"
)

// The table gives the per-pair distances (up to the order of summation),
// for every transportation divergence, with far-away corrupted estimates
// among the honest ones.
func TestComponentKLTableMatchesPairs(t *testing.T) {
	rng := newRNG(21)
	var ms []*mixture.Mixture
	for i := 0; i < 12; i++ {
		m := randomMixture(rng, 4, 6, 1)
		if i%4 == 3 {
			var err error
			if m, err = corruptMeans(m, rng); err != nil {
				t.Fatal(err)
			}
		}
		ms = append(ms, m)
	}
	ms = append(ms, ms[0].Clone()) // an identical pair: distance 0 but for rounding
	for _, d := range []Distance{KL, KLSym, Jeffreys} {
		fast, err := pairwise(context.Background(), ms, d, 2, MaxComponentKL)
		if err != nil {
			t.Fatal(err)
		}
		slow, err := pairwise(context.Background(), ms, d, 2, 0)
		if err != nil {
			t.Fatal(err)
		}
		for i := range ms {
			for j := range ms {
				a, b := fast.At(i, j), slow.At(i, j)
				if math.Abs(a-b) > 1e-10*math.Max(1, math.Abs(b)) {
					t.Fatalf("%s D(%d, %d): table %.15g, pairs %.15g", d, i, j, a, b)
				}
			}
		}
		if v := fast.At(0, len(ms)-1); v > 1e-12 {
			t.Errorf("%s: identical estimates at distance %v (the per-pair path gives %v)", d, v, slow.At(0, len(ms)-1))
		}
	}
}

// BenchmarkPairwiseJeffreys50 compares the per-pair costs with the table,
// at the Table 2 size (m = 50, K = 10, d = 50), in one command.
func BenchmarkPairwiseJeffreys50(b *testing.B) {
	rng := newRNG(16)
	var ms []*mixture.Mixture
	for i := 0; i < 50; i++ {
		ms = append(ms, randomMixture(rng, 10, 50, 1))
	}
	for _, v := range []struct {
		name  string
		limit int
	}{{"pairs", 0}, {"table", MaxComponentKL}} {
		b.Run(v.name, func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				if _, err := pairwise(context.Background(), ms, Jeffreys, 1, v.limit); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// Blocks of one mixture each, of a few and one block of all give the same
// divergences (up to the triangular solves' order of summation, which
// depends on how many columns they solve for at once), and a partition
// gives the same bits whatever the number of workers.
func TestBlocksGiveTheSameDivergences(t *testing.T) {
	rng := newRNG(5)
	var preps []*DistanceInput
	for i := 0; i < 9; i++ {
		m := randomMixture(rng, 2+i%3, 20, 1) // unequal orders
		if i == 4 {
			var err error
			if m, err = corruptMeans(m, rng); err != nil {
				t.Fatal(err)
			}
		}
		p, err := NewDistanceInput(m)
		if err != nil {
			t.Fatal(err)
		}
		preps = append(preps, p)
	}
	perComponent := 2 * 8 * 20 * 21 / 2
	for _, d := range []Distance{KL, KLSym, Jeffreys} {
		var ref *mat.Dense
		for _, budget := range []int{1 << 30, 7 * perComponent, 1} {
			if n := len(tableBlocks(preps, budget)); budget == 1 && n != len(preps) || budget == 1<<30 && n != 1 {
				t.Fatalf("budget %d: %d blocks", budget, n)
			}
			var first *mat.Dense
			for _, workers := range []int{1, 3} {
				out := mat.NewDense(len(preps), len(preps), nil)
				if err := pairwiseByBlocks(context.Background(), preps, d.kind(), workers, budget, out); err != nil {
					t.Fatal(err)
				}
				if first == nil {
					first = out
				} else if !mat.Equal(first, out) {
					t.Fatalf("%s, budget %d: the workers change the bits", d, budget)
				}
			}
			if ref == nil {
				ref = first
				continue
			}
			for i := range preps {
				for j := range preps {
					a, b := first.At(i, j), ref.At(i, j)
					if math.Abs(a-b) > 1e-12*math.Max(1, math.Abs(b)) {
						t.Fatalf("%s, budget %d: D(%d, %d) = %.17g, one block %.17g", d, budget, i, j, a, b)
					}
				}
			}
		}
	}
}

// BenchmarkPairwiseBlocks200 compares the divergences of 200 mixtures (K =
// 10, d = 50: 2,000 components) computed by blocks of the default budget
// with one block of all the components (the whole KL table and packed
// tables at once), in one command:
//
//	go test -run '^$' -bench PairwiseBlocks200 -benchtime 3x ./federated/internal/kernel
func BenchmarkPairwiseBlocks200(b *testing.B) {
	rng := newRNG(17)
	preps := make([]*DistanceInput, 200)
	for i := range preps {
		p, err := NewDistanceInput(randomMixture(rng, 10, 50, 1))
		if err != nil {
			b.Fatal(err)
		}
		preps[i] = p
	}
	for _, v := range []struct {
		name   string
		budget int
	}{{"one-block", 1 << 40}, {"blocks", klBlockBytes}} {
		b.Run(v.name, func(b *testing.B) {
			b.ReportMetric(float64(len(tableBlocks(preps, v.budget))), "blocks")
			for i := 0; i < b.N; i++ {
				out := mat.NewDense(len(preps), len(preps), nil)
				if err := pairwiseByBlocks(context.Background(), preps, Jeffreys.kind(), 0, v.budget, out); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// In small dimensions the components, not the packed tables, bound a
// block: the KL values between two blocks grow as the square of their
// components.
func TestBlocksBoundTheirComponents(t *testing.T) {
	rng := newRNG(8)
	preps := make([]*DistanceInput, 120)
	for i := range preps {
		p, err := NewDistanceInput(randomMixture(rng, 10, 2, 1))
		if err != nil {
			t.Fatal(err)
		}
		preps[i] = p
	}
	blocks := tableBlocks(preps, klBlockBytes)
	next := 0
	for _, b := range blocks {
		if b[0] != next || b[1] <= b[0] || (b[1]-b[0])*10 > klBlockComponents {
			t.Fatalf("blocks %v: a block that skips, is empty or holds more than %d components", blocks, klBlockComponents)
		}
		next = b[1]
	}
	if next != len(preps) || len(blocks) != 3 {
		t.Fatalf("blocks %v of 1,200 components, want 3 covering all", blocks)
	}
}
