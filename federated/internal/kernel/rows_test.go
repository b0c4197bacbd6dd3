package kernel

import (
	"context"
	"math"
	"testing"

	"github.com/nistgmm/nistgmm/federated/internal/gauss"
	"github.com/nistgmm/nistgmm/federated/mixture"
)

// The block of KL divergences equals klGauss pair by pair, for every
// column and for a subset of columns.
func TestKLBlockMatchesKLGauss(t *testing.T) {
	rng := newRNG(13)
	var comps []*gauss.Gaussian
	for i := 0; i < 300; i++ {
		rm := randomMixture(rng, 1, 7, 2)
		g, err := gauss.MixtureComponents(rm.Weights, rm.Means, rm.Covs)
		if err != nil {
			t.Fatal(err)
		}
		comps = append(comps, g[0])
	}
	pack, err := newGaussianPack(context.Background(), comps, 2)
	if err != nil {
		t.Fatal(err)
	}
	rows := comps[3:9]
	idx := []int{299, 0, 5, 17, 256, 255, 257}
	for _, view := range []PackView{{Pack: pack}, {Pack: pack, Idx: idx}} {
		b, err := NewKLBlock(context.Background(), rows, view, 2)
		if err != nil {
			t.Fatal(err)
		}
		diff := make([]float64, 7)
		for i, g := range rows {
			for j := 0; j < view.len(); j++ {
				h := comps[view.at(j)]
				for _, c := range []struct{ got, want float64 }{
					{b.fwd[i*b.Nc+j], gauss.KlGauss(g, h, diff)},
					{b.Bwd[i*b.Nc+j], gauss.KlGauss(h, g, diff)},
				} {
					if math.Abs(c.got-c.want) > 1e-10*(1+c.want) {
						t.Fatalf("row %d column %d: %v, klGauss %v", i, j, c.got, c.want)
					}
				}
			}
		}
	}
}

// Rows computed at scale are the rows and columns of the exact matrix, for
// every distance.
func TestRowSourceMatchesPairwise(t *testing.T) {
	rng := newRNG(14)
	var mixtures []*mixture.Mixture
	var preps []*DistanceInput
	for i := 0; i < 23; i++ {
		g := randomMixture(rng, 3, 4, 2)
		mixtures = append(mixtures, g)
		p, err := NewDistanceInput(g)
		if err != nil {
			t.Fatal(err)
		}
		preps = append(preps, p)
	}
	for _, d := range Distances() {
		want, err := Pairwise(context.Background(), mixtures, d, 2)
		if err != nil {
			t.Fatal(err)
		}
		src, err := NewRowSource(context.Background(), d, preps, 2)
		if err != nil {
			t.Fatal(err)
		}
		if err := src.Compute(context.Background(), []int{4, 0, 22, 4}); err != nil {
			t.Fatal(err)
		}
		for _, a := range []int{0, 4, 22} {
			for b := range mixtures {
				for _, c := range []struct{ got, want float64 }{{src.RowOut(a)[b], want.At(a, b)}, {src.RowIn(a)[b], want.At(b, a)}} {
					if math.Abs(c.got-c.want) > 1e-9*(1+c.want) {
						t.Fatalf("%s: D(%d, %d) %v, Pairwise %v", d, a, b, c.got, c.want)
					}
				}
				ab, ba, err := src.Pair(a, b)
				if err != nil || ab != src.RowOut(a)[b] || ba != src.RowIn(a)[b] {
					t.Fatalf("%s: pair (%d, %d) %v %v %v", d, a, b, ab, ba, err)
				}
			}
		}
		if src.Computed != 3 {
			t.Errorf("%s: %d rows computed for 3 estimates", d, src.Computed)
		}
	}
}

// Rows computed by windows of columns, with estimates straddling the
// windows' edges and one wider than a window, are the bits of rows
// computed from one block of every column, in small dimensions and in
// large ones, for every transported distance.
func TestRowWindowsSameBits(t *testing.T) {
	for _, d := range []int{4, SmallBlockDim + 2} {
		rng := newRNG(uint64(16 + d))
		var preps []*DistanceInput
		for i := 0; i < 110; i++ {
			k := 3
			if i == 57 {
				k = 260 // wider than a window of one chunk
			}
			p, err := NewDistanceInput(randomMixture(rng, k, d, 2))
			if err != nil {
				t.Fatal(err)
			}
			preps = append(preps, p)
		}
		from := []int{4, 109, 85}
		for _, dist := range Distances() {
			if !dist.Transported() {
				continue
			}
			rows := func(windowChunks int) *RowSource {
				src, err := NewRowSource(context.Background(), dist, preps, 2)
				if err != nil {
					t.Fatal(err)
				}
				src.windowChunks = windowChunks
				if err := src.Compute(context.Background(), from); err != nil {
					t.Fatal(err)
				}
				return src
			}
			windows, whole := rows(1), rows(1000)
			for _, a := range from {
				for b := range preps {
					for _, c := range [][2]float64{{windows.RowOut(a)[b], whole.RowOut(a)[b]}, {windows.RowIn(a)[b], whole.RowIn(a)[b]}} {
						if math.Float64bits(c[0]) != math.Float64bits(c[1]) {
							t.Fatalf("d = %d, %s: D(%d, %d) is %v by windows, %v from one block", d, dist, a, b, c[0], c[1])
						}
					}
				}
			}
		}
	}
}

// A block of components without their factorizations (gauss.Light) gives
// the bits of one with them, in small dimensions (the columns' quadratic
// forms from the packed precisions) and large ones (the Cholesky factors
// computed per column).
func TestKLBlockOfLightComponentsSameBits(t *testing.T) {
	for _, d := range []int{7, 20} {
		rng := newRNG(uint64(30 + d))
		var full, light []*gauss.Gaussian
		for i := 0; i < 40; i++ {
			rm := randomMixture(rng, 1, d, 2)
			g, err := gauss.MixtureComponents(rm.Weights, rm.Means, rm.Covs)
			if err != nil {
				t.Fatal(err)
			}
			full = append(full, g[0])
			light = append(light, g[0].Light())
		}
		if light[0].Inv != nil || light[0].Upper.Data != nil {
			t.Fatal("Light kept a factorization")
		}
		fullPack, err := newGaussianPack(context.Background(), full, 2)
		if err != nil {
			t.Fatal(err)
		}
		lightPack, err := newGaussianPack(context.Background(), light, 2)
		if err != nil {
			t.Fatal(err)
		}
		want, err := NewKLBlock(context.Background(), full[:5], PackView{Pack: fullPack}, 2)
		if err != nil {
			t.Fatal(err)
		}
		got, err := NewKLBlock(context.Background(), light[:5], PackView{Pack: lightPack}, 2)
		if err != nil {
			t.Fatal(err)
		}
		for i := range want.fwd {
			if got.fwd[i] != want.fwd[i] || got.Bwd[i] != want.Bwd[i] {
				t.Fatalf("d = %d, entry %d: light components give %v, %v; factorized %v, %v", d, i, got.fwd[i], got.Bwd[i], want.fwd[i], want.Bwd[i])
			}
		}
		// The inverses unpacked from the packed precisions are
		// NewGaussian's, bit for bit.
		pp := d * (d + 1) / 2
		inv := make([]float64, d*d)
		for u, h := range full {
			g := withInverse(light[u], lightPack.precs[u*pp:(u+1)*pp], inv)
			for x := range h.Inv {
				if g.Inv[x] != h.Inv[x] {
					t.Fatalf("d = %d, component %d: unpacked inverse entry %d is %v, NewGaussian's %v", d, u, x, g.Inv[x], h.Inv[x])
				}
			}
		}
	}
}

// BenchmarkRowWindows computes 16 rows of 5,000 estimates (K = 5, d = 10)
// from blocks consumed by windows of 2,048 columns (the default) and from
// one block of all 25,000 columns, in one command:
//
//	go test -run '^$' -bench RowWindows -benchtime 3x ./federated/internal/kernel
func BenchmarkRowWindows(b *testing.B) {
	rng := newRNG(17)
	var preps []*DistanceInput
	for i := 0; i < 5000; i++ {
		p, err := NewDistanceInput(randomMixture(rng, 5, 10, 2))
		if err != nil {
			b.Fatal(err)
		}
		preps = append(preps, p)
	}
	from := make([]int, 16)
	for i := range from {
		from[i] = i * 311
	}
	for _, v := range []struct {
		name   string
		chunks int
	}{{"windows", 0}, {"one-block", 1000}} {
		b.Run(v.name, func(b *testing.B) {
			for range b.N {
				src, err := NewRowSource(context.Background(), Jeffreys, preps, 0)
				if err != nil {
					b.Fatal(err)
				}
				src.windowChunks = v.chunks
				if err := src.Compute(context.Background(), from); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
