package kernel

import (
	"context"
	"math"
	"testing"

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
