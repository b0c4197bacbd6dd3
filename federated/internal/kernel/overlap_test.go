package kernel

import (
	"math"
	"testing"

	"gonum.org/v1/gonum/floats"
	"gonum.org/v1/gonum/mat"
	"gonum.org/v1/gonum/stat/distmv"

	"github.com/nistgmm/nistgmm/federated/mixture"
)

// directLogInner is log <f, g> one pair of components at a time, each
// overlap phi(mu_k; mu'_l, S_k + S'_l) by gonum's multivariate normal.
func directLogInner(t testing.TB, f, g *mixture.Mixture) float64 {
	t.Helper()
	var terms []float64
	for k, wk := range f.Weights {
		for l, wl := range g.Weights {
			if wk == 0 || wl == 0 {
				continue
			}
			d := f.Dim()
			sum := mat.NewSymDense(d, nil)
			sum.AddSym(f.Covs[k], g.Covs[l])
			n, ok := distmv.NewNormal(g.Means[l], sum, nil)
			if !ok {
				t.Fatal("sum of covariances not positive definite")
			}
			terms = append(terms, math.Log(wk)+math.Log(wl)+n.LogProb(f.Means[k]))
		}
	}
	return floats.LogSumExp(terms)
}

// TestLogInnerMatchesDirect checks the four-at-a-time overlaps against one
// at a time: orders that are not multiples of four (the last group is
// padded), zero weights (skipped), a mixture with itself (each pair of
// distinct components computed once), and both directions.
func TestLogInnerMatchesDirect(t *testing.T) {
	rng := newRNG(31)
	for _, c := range []struct{ kf, kg, d int }{{1, 1, 1}, {3, 5, 2}, {10, 10, 7}, {6, 9, 50}} {
		f := randomMixture(rng, c.kf, c.d, 2)
		g := randomMixture(rng, c.kg, c.d, 2)
		if c.kg > 2 {
			g.Weights[1], g.Weights[2] = 0, g.Weights[1]+g.Weights[2]
		}
		pf, err := NewDistanceInput(f)
		if err != nil {
			t.Fatal(err)
		}
		pg, err := NewDistanceInput(g)
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range []*DistanceInput{pf, pg} {
			if err := p.PrepareInner(); err != nil {
				t.Fatal(err)
			}
		}
		s := NewOverlapScratch(c.d)
		for _, pair := range []struct {
			name string
			a, b *DistanceInput
			x, y *mixture.Mixture
		}{{"f,g", pf, pg, f, g}, {"g,f", pg, pf, g, f}, {"f,f", pf, pf, f, f}, {"g,g", pg, pg, g, g}} {
			var got float64
			if pair.a == pair.b {
				got = pair.a.logSelf
			} else if got, err = LogInner(pair.a, pair.b, s, nil); err != nil {
				t.Fatal(err)
			}
			want := directLogInner(t, pair.x, pair.y)
			if math.Abs(got-want) > 1e-10*(1+math.Abs(want)) {
				t.Errorf("K %d and %d, d %d, <%s>: log inner %v, want %v", c.kf, c.kg, c.d, pair.name, got, want)
			}
		}
	}
}

// TestLogInnerReportsNonPositiveDefiniteSum checks that a pair whose
// covariances sum to a matrix that is not positive definite is an error,
// not a number, wherever it sits in its group of four.
func TestLogInnerReportsNonPositiveDefiniteSum(t *testing.T) {
	rng := newRNG(32)
	f := randomMixture(rng, 2, 3, 1)
	g := randomMixture(rng, 6, 3, 1)
	pf, _ := NewDistanceInput(f)
	pg, _ := NewDistanceInput(g)
	for _, p := range []*DistanceInput{pf, pg} {
		if err := p.PrepareInner(); err != nil {
			t.Fatal(err)
		}
	}
	s := NewOverlapScratch(3)
	if _, err := LogInner(pf, pg, s, nil); err != nil {
		t.Fatal(err)
	}
	for l := range g.Weights {
		// A component factorized as valid whose stored covariance is then
		// made indefinite: the sum with f's components is not positive
		// definite (as rounding could make it for nearly singular ones).
		saved := append([]float64(nil), pg.systems.groups[l/4]...)
		for e := 0; e < 6; e++ { // the lower triangle's entries of lane l%4
			pg.systems.groups[l/4][4*e+l%4] = -1e6
		}
		_, err := LogInner(pf, pg, s, nil)
		copy(pg.systems.groups[l/4], saved)
		if err == nil {
			t.Fatalf("component %d: an indefinite sum of covariances gave no error", l)
		}
	}
}

// BenchmarkLogInner compares <f, g> for two mixtures of order 10 in d = 50
// (100 factorizations of 50 x 50 sums) four at a time, as the distances do,
// with one at a time by gonum's multivariate normal, in the same command
// (go test -bench LogInner ./federated).
func BenchmarkLogInner(b *testing.B) {
	rng := newRNG(33)
	f, g := randomMixture(rng, 10, 50, 1), randomMixture(rng, 10, 50, 1)
	pf, err := NewDistanceInput(f)
	if err != nil {
		b.Fatal(err)
	}
	pg, err := NewDistanceInput(g)
	if err != nil {
		b.Fatal(err)
	}
	for _, p := range []*DistanceInput{pf, pg} {
		if err := p.PrepareInner(); err != nil {
			b.Fatal(err)
		}
	}
	b.Run("four-at-a-time", func(b *testing.B) {
		s := NewOverlapScratch(50)
		var terms []float64
		for b.Loop() {
			if _, err := LogInner(pf, pg, s, terms); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("one-at-a-time", func(b *testing.B) {
		for b.Loop() {
			directLogInner(b, f, g)
		}
	})
}
