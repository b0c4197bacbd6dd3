package kernel

import (
	"math"
	"testing"

	"gonum.org/v1/gonum/mat"
	"gonum.org/v1/gonum/optimize/convex/lp"

	"github.com/nistgmm/nistgmm/federated/internal/gauss"
)

// simplexTransport solves the same problem with gonum's general simplex.
func simplexTransport(c, a, b []float64) float64 {
	ka, kb := len(a), len(b)
	A := mat.NewDense(ka+kb-1, ka*kb, nil)
	rhs := make([]float64, ka+kb-1)
	for k := 0; k < ka; k++ {
		for l := 0; l < kb; l++ {
			A.Set(k, k*kb+l, 1)
			if l < kb-1 {
				A.Set(ka+l, k*kb+l, 1)
			}
		}
		rhs[k] = a[k]
	}
	for l := 0; l < kb-1; l++ {
		rhs[ka+l] = b[l]
	}
	v, _, err := lp.Simplex(c, A, rhs, 1e-12, nil)
	if err != nil {
		panic(err)
	}
	return v
}

func TestTransportMatchesSimplex(t *testing.T) {
	rng := newRNG(21)
	tr := newTransport()
	for trial := 0; trial < 300; trial++ {
		ka, kb := 1+rng.IntN(10), 1+rng.IntN(10)
		a, b := make([]float64, ka), make([]float64, kb)
		for i := range a {
			a[i] = rng.Float64()
			if rng.IntN(5) == 0 {
				a[i] = 0 // empty components happen
			}
		}
		for i := range b {
			b[i] = rng.Float64() + 0.01
		}
		gauss.Normalize(a)
		if a[0] != a[0] { // all zero
			continue
		}
		gauss.Normalize(b)
		c := tr.cost(ka, kb)
		for i := range c {
			c[i] = rng.ExpFloat64() * 10
		}
		got, err := tr.solve(a, b)
		if err != nil {
			t.Fatal(err)
		}
		if ka == 1 || kb == 1 {
			continue // the simplex needs a square-ish problem; checked below by hand
		}
		if want := simplexTransport(append([]float64(nil), c...), a, b); math.Abs(got-want) > 1e-9*math.Max(1, want) {
			t.Fatalf("trial %d (%dx%d): min-cost flow %.12g, simplex %.12g", trial, ka, kb, got, want)
		}
	}
	// 1 x n: everything goes from the single supply.
	c := tr.cost(1, 3)
	copy(c, []float64{1, 2, 3})
	if got, err := tr.solve([]float64{1}, []float64{0.2, 0.3, 0.5}); err != nil || math.Abs(got-2.3) > 1e-12 {
		t.Fatalf("1x3 transport = %v, want 2.3", got)
	}
}

// BenchmarkTransport10x10 compares the min-cost-flow solver with gonum's
// general simplex on the 10 x 10 problems of the CTD-KL distance.
func BenchmarkTransport10x10(b *testing.B) {
	rng := newRNG(22)
	type problem struct{ c, a, bw []float64 }
	probs := make([]problem, 64)
	for i := range probs {
		p := problem{c: make([]float64, 100), a: make([]float64, 10), bw: make([]float64, 10)}
		for j := range p.c {
			p.c[j] = rng.ExpFloat64() * 50
		}
		for j := 0; j < 10; j++ {
			p.a[j], p.bw[j] = rng.Float64()+0.01, rng.Float64()+0.01
		}
		gauss.Normalize(p.a)
		gauss.Normalize(p.bw)
		probs[i] = p
	}
	b.Run("min-cost-flow", func(b *testing.B) {
		tr := newTransport()
		for i := 0; i < b.N; i++ {
			p := probs[i%len(probs)]
			copy(tr.cost(10, 10), p.c)
			if _, err := tr.solve(p.a, p.bw); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("gonum-simplex", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			p := probs[i%len(probs)]
			simplexTransport(append([]float64(nil), p.c...), p.a, p.bw)
		}
	})
}
