package mixsim

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"gonum.org/v1/gonum/mat"
	"gonum.org/v1/gonum/stat/distmv"

	"github.com/nistgmm/nistgmm/federated/mixture"
)

// randomPair draws two components with independent random covariances
// (Wishart-like, of varied scale) and means, and unequal weights.
func randomPair(d int, rng *rand.Rand) *mixture.Mixture {
	m := &mixture.Mixture{}
	w := 0.2 + 0.6*rng.Float64()
	m.Weights = []float64{w, 1 - w}
	for k := 0; k < 2; k++ {
		mu := make([]float64, d)
		for i := range mu {
			mu[i] = 1.5 * rng.NormFloat64()
		}
		x := mat.NewDense(d+2, d, nil)
		for i := 0; i < d+2; i++ {
			for j := 0; j < d; j++ {
				x.Set(i, j, rng.NormFloat64())
			}
		}
		s := mat.NewSymDense(d, nil)
		s.SymOuterK((0.3+2*rng.Float64())/float64(d+2), x.T())
		m.Means = append(m.Means, mu)
		m.Covs = append(m.Covs, s)
	}
	return m
}

// monteCarloOverlap estimates o_{j|i} by sampling phi_i with gonum's
// multivariate normal (an implementation independent of the quadratic form)
// and returns the estimate and its standard error.
func monteCarloOverlap(t *testing.T, m *mixture.Mixture, i, j, n int, rng *rand.Rand) (float64, float64) {
	t.Helper()
	pi, ok := distmv.NewNormal(m.Means[i], m.Covs[i], rng)
	if !ok {
		t.Fatal("covariance i not positive definite")
	}
	pj, ok := distmv.NewNormal(m.Means[j], m.Covs[j], nil)
	if !ok {
		t.Fatal("covariance j not positive definite")
	}
	x := make([]float64, len(m.Means[i]))
	hits := 0
	for s := 0; s < n; s++ {
		pi.Rand(x)
		if math.Log(m.Weights[i])+pi.LogProb(x) < math.Log(m.Weights[j])+pj.LogProb(x) {
			hits++
		}
	}
	p := float64(hits) / float64(n)
	return p, math.Sqrt(math.Max(p*(1-p), 1/float64(n)) / float64(n))
}

func TestOverlapMatchesMonteCarlo(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 1))
	for _, d := range []int{1, 2, 3, 10} {
		for rep := 0; rep < 4; rep++ {
			m := randomPair(d, rng)
			ov, err := ComputeOverlap(m)
			if err != nil {
				t.Fatalf("d=%d: %v", d, err)
			}
			for _, ij := range [][2]int{{0, 1}, {1, 0}} {
				mc, se := monteCarloOverlap(t, m, ij[0], ij[1], 100_000, rng)
				got := ov.Map[ij[0]][ij[1]]
				if math.Abs(got-mc) > 3*se {
					t.Errorf("d=%d pair %d: o_{%d|%d} = %.6f, Monte Carlo %.6f +- %.6f", d, rep, ij[1], ij[0], got, mc, se)
				}
			}
		}
	}
}

func TestOverlapEqualCovariancesIsNormal(t *testing.T) {
	rng := rand.New(rand.NewPCG(8, 1))
	for _, d := range []int{1, 2, 5} {
		m := randomPair(d, rng)
		m.Covs[1].CopySym(m.Covs[0])
		ov, err := ComputeOverlap(m)
		if err != nil {
			t.Fatal(err)
		}
		var ch mat.Cholesky
		ch.Factorize(m.Covs[0])
		diff := mat.NewVecDense(d, nil)
		for k := 0; k < d; k++ {
			diff.SetVec(k, m.Means[0][k]-m.Means[1][k])
		}
		var sol mat.VecDense
		if err := ch.SolveVecTo(&sol, diff); err != nil {
			t.Fatal(err)
		}
		delta := math.Sqrt(mat.Dot(diff, &sol))
		for _, ij := range [][2]int{{0, 1}, {1, 0}} {
			i, j := ij[0], ij[1]
			want := normalCDF(-delta/2 - math.Log(m.Weights[i]/m.Weights[j])/delta)
			if got := ov.Map[i][j]; math.Abs(got-want) > 1e-12 {
				t.Errorf("d=%d: o_{%d|%d} = %.15f, closed form %.15f", d, j, i, got, want)
			}
		}
	}
}

// The conditioning used for one and two chi-square terms and Imhof's
// inversion must agree where both are cheap.
func TestQuadFormMethodsAgree(t *testing.T) {
	forms := []quadForm{
		{l: []float64{1.3}, b: []float64{0.4}, s: 0.6},
		{l: []float64{-0.7}, b: []float64{1.1}, s: 0.8},
		{l: []float64{0.9, -0.4}, b: []float64{0.3, 2}, s: 1.5},
		{l: []float64{2, 0.5}, b: []float64{0, 1}, s: 2.5},
	}
	for fi, q := range forms {
		for _, x := range []float64{-2, -0.3, 0.5, 3} {
			upper := q.imhofUpper()
			panels := q.panels(x, upper, 1e6+1)
			if panels > 1e6 {
				t.Fatalf("form %d: %g panels", fi, panels)
			}
			a, b := q.imhof(x, upper), q.conditionalExceed(x)
			if math.Abs(a-b) > 1e-8 {
				t.Errorf("form %d, x=%v: Imhof %.12f, conditioning %.12f", fi, x, a, b)
			}
		}
	}
}

// In one dimension the region where the other weighted density is larger
// is bounded by the roots of a quadratic, so the overlap is a sum of normal
// probabilities: an independent closed form.
func TestOverlapOneDimensionClosedForm(t *testing.T) {
	m := &mixture.Mixture{Weights: []float64{0.3, 0.7}, Means: [][]float64{{0}, {1.2}},
		Covs: []*mat.SymDense{mat.NewSymDense(1, []float64{0.5}), mat.NewSymDense(1, []float64{2})}}
	ov, err := ComputeOverlap(m)
	if err != nil {
		t.Fatal(err)
	}
	for _, ij := range [][2]int{{0, 1}, {1, 0}} {
		i, j := ij[0], ij[1]
		mi, vi := m.Means[i][0], m.Covs[i].At(0, 0)
		mj, vj := m.Means[j][0], m.Covs[j].At(0, 0)
		// log(w_j phi_j) - log(w_i phi_i) = a x^2 + b x + c > 0.
		a := 1/(2*vi) - 1/(2*vj)
		b := mj/vj - mi/vi
		c := mi*mi/(2*vi) - mj*mj/(2*vj) + math.Log(m.Weights[j]/m.Weights[i]) - 0.5*math.Log(vj/vi)
		disc := math.Sqrt(b*b - 4*a*c)
		r1, r2 := (-b-disc)/(2*a), (-b+disc)/(2*a)
		lo, hi := math.Min(r1, r2), math.Max(r1, r2)
		cdf := func(x float64) float64 { return normalCDF((x - mi) / math.Sqrt(vi)) }
		inside := cdf(hi) - cdf(lo)
		want := inside // a < 0: positive between the roots
		if a > 0 {
			want = 1 - inside
		}
		if got := ov.Map[i][j]; math.Abs(got-want) > 1e-9 {
			t.Errorf("o_{%d|%d} = %.12f, closed form %.12f", j, i, got, want)
		}
	}
}

func TestGenerateHitsTargetOverlap(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 1))
	for _, tc := range []struct {
		k, d   int
		target float64
	}{{5, 10, 0.3}, {5, 10, 0.1}, {3, 2, 0.05}, {4, 5, 0.2}} {
		g := Generator{K: tc.k, Dim: tc.d, MaxOmega: tc.target}
		m, ov, err := g.Generate(rng)
		if err != nil {
			t.Fatalf("%+v: %v", tc, err)
		}
		again, err := ComputeOverlap(m)
		if err != nil {
			t.Fatal(err)
		}
		if math.Abs(again.Max-tc.target) > 1e-6 || math.Abs(ov.Max-again.Max) > 1e-12 {
			t.Errorf("%+v: MaxOmega %.9f (reported %.9f), want %v", tc, again.Max, ov.Max, tc.target)
		}
		for k, s := range m.Covs {
			var eig mat.EigenSym
			eig.Factorize(s, false)
			v := eig.Values(nil)
			if e := Eccentricity(v[0], v[len(v)-1]); e > 0.9+1e-9 {
				t.Errorf("%+v: component %d has eccentricity %v > 0.9", tc, k, e)
			}
		}
		for k, w := range m.Weights {
			if math.Abs(w-1/float64(tc.k)) > 1e-15 {
				t.Errorf("weight %d = %v, want equal weights", k, w)
			}
		}
	}
}

func TestGenerateUnreachableTargetFails(t *testing.T) {
	// Two components in one dimension cannot overlap by 0.99: the limit
	// for growing variances is set by their shapes.
	g := Generator{K: 2, Dim: 1, MaxOmega: 0.999, MaxDraws: 3}
	if _, _, err := g.Generate(rand.New(rand.NewPCG(1, 1))); err == nil {
		t.Fatal("an unreachable overlap was reported as reached")
	}
}

func TestGeneratorValidate(t *testing.T) {
	for _, g := range []Generator{{K: 0, Dim: 2, MaxOmega: 0.1}, {K: 3, Dim: 0, MaxOmega: 0.1},
		{K: 3, Dim: 2, MaxOmega: 1}, {K: 3, Dim: 2, MaxOmega: 0.1, MinWeight: 0.4}, {K: 3, Dim: 2, MaxOmega: math.NaN()}} {
		if err := g.Validate(); err == nil {
			t.Errorf("%+v accepted", g)
		}
	}
}

func BenchmarkComputeOverlap(b *testing.B) {
	for _, d := range []int{2, 3, 4, 5, 6, 10} {
		m := randomPair(d, rand.New(rand.NewPCG(3, uint64(d))))
		b.Run(fmt.Sprintf("d%d", d), func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				if _, err := ComputeOverlap(m); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
	b.Run("generate-k5-d10", func(b *testing.B) {
		rng := rand.New(rand.NewPCG(3, 3))
		for i := 0; i < b.N; i++ {
			if _, _, err := (Generator{K: 5, Dim: 10, MaxOmega: 0.3}).Generate(rng); err != nil {
				b.Fatal(err)
			}
		}
	})
}
