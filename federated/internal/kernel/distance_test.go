package kernel

import (
	"context"
	"math"
	"math/rand/v2"
	"testing"

	"gonum.org/v1/gonum/mat"

	"github.com/nistgmm/nistgmm/federated/internal/gauss"
	"github.com/nistgmm/nistgmm/federated/mixture"
)

func mix1D(w, mu, v []float64) *mixture.Mixture {
	m := &mixture.Mixture{Weights: w}
	for i := range mu {
		m.Means = append(m.Means, []float64{mu[i]})
		m.Covs = append(m.Covs, mat.NewSymDense(1, []float64{v[i]}))
	}
	return m
}

func normPDF(x, mu, v float64) float64 {
	return math.Exp(-0.5*(x-mu)*(x-mu)/v) / math.Sqrt(2*math.Pi*v)
}

func density1D(m *mixture.Mixture, x float64) float64 {
	var s float64
	for k, w := range m.Weights {
		s += w * normPDF(x, m.Means[k][0], m.Covs[k].At(0, 0))
	}
	return s
}

// integrate1D is a composite Simpson rule on [lo, hi].
func integrate1D(f func(float64) float64, lo, hi float64, n int) float64 {
	h := (hi - lo) / float64(n)
	s := f(lo) + f(hi)
	for i := 1; i < n; i++ {
		c := 2.0
		if i%2 == 1 {
			c = 4
		}
		s += c * f(lo+float64(i)*h)
	}
	return s * h / 3
}

func TestISEAndCSMatchNumericalIntegration1D(t *testing.T) {
	a := mix1D([]float64{0.3, 0.7}, []float64{-1, 2}, []float64{0.5, 1.5})
	b := mix1D([]float64{0.6, 0.1, 0.3}, []float64{0, 1, 4}, []float64{1, 0.2, 2})
	fa := func(x float64) float64 { return density1D(a, x) }
	fb := func(x float64) float64 { return density1D(b, x) }
	ise := math.Sqrt(integrate1D(func(x float64) float64 { d := fa(x) - fb(x); return d * d }, -20, 25, 20000))
	got, err := ISE.Between(a, b)
	if err != nil {
		t.Fatal(err)
	}
	if math.Abs(got-ise) > 1e-8 {
		t.Fatalf("ISE = %.10f, numerical %.10f", got, ise)
	}
	ab := integrate1D(func(x float64) float64 { return fa(x) * fb(x) }, -20, 25, 20000)
	aa := integrate1D(func(x float64) float64 { return fa(x) * fa(x) }, -20, 25, 20000)
	bb := integrate1D(func(x float64) float64 { return fb(x) * fb(x) }, -20, 25, 20000)
	cs := -math.Log(ab) + 0.5*math.Log(aa) + 0.5*math.Log(bb)
	if got, err = CS.Between(a, b); err != nil {
		t.Fatal(err)
	}
	if math.Abs(got-cs) > 1e-8 {
		t.Fatalf("CS = %.10f, numerical %.10f", got, cs)
	}
}

func TestISEAndCSMatchNumericalIntegration2D(t *testing.T) {
	a := &mixture.Mixture{Weights: []float64{0.4, 0.6},
		Means: [][]float64{{0, 0}, {2, 1}},
		Covs:  []*mat.SymDense{mat.NewSymDense(2, []float64{1, 0.3, 0.3, 0.5}), mat.NewSymDense(2, []float64{0.7, -0.2, -0.2, 1.2})}}
	b := &mixture.Mixture{Weights: []float64{1},
		Means: [][]float64{{1, 0.5}},
		Covs:  []*mat.SymDense{mat.NewSymDense(2, []float64{2, 0.5, 0.5, 1})}}
	dens := func(m *mixture.Mixture, x, y float64) float64 {
		var s float64
		for k, w := range m.Weights {
			c := m.Covs[k]
			det := c.At(0, 0)*c.At(1, 1) - c.At(0, 1)*c.At(0, 1)
			dx, dy := x-m.Means[k][0], y-m.Means[k][1]
			q := (c.At(1, 1)*dx*dx - 2*c.At(0, 1)*dx*dy + c.At(0, 0)*dy*dy) / det
			s += w * math.Exp(-0.5*q) / (2 * math.Pi * math.Sqrt(det))
		}
		return s
	}
	sq := integrate1D(func(x float64) float64 {
		return integrate1D(func(y float64) float64 { d := dens(a, x, y) - dens(b, x, y); return d * d }, -12, 12, 400)
	}, -12, 14, 400)
	got, err := ISE.Between(a, b)
	if err != nil {
		t.Fatal(err)
	}
	if math.Abs(got-math.Sqrt(sq)) > 1e-6 {
		t.Fatalf("ISE = %.9f, numerical %.9f", got, math.Sqrt(sq))
	}
	inner := func(f, g *mixture.Mixture) float64 {
		return integrate1D(func(x float64) float64 {
			return integrate1D(func(y float64) float64 { return dens(f, x, y) * dens(g, x, y) }, -12, 12, 400)
		}, -12, 14, 400)
	}
	cs := -math.Log(inner(a, b)) + 0.5*math.Log(inner(a, a)) + 0.5*math.Log(inner(b, b))
	if got, err := CS.Between(a, b); err != nil || math.Abs(got-cs) > 1e-6 {
		t.Fatalf("CS = %.9f, numerical %.9f", got, cs)
	}
}

func TestDistancesZeroOnIdenticalAndSymmetry(t *testing.T) {
	rng := newRNG(11)
	a := randomMixture(rng, 4, 6, 2)
	b := randomMixture(rng, 4, 6, 2)
	for _, d := range Distances() {
		self, err := d.Between(a, a.Clone())
		if err != nil {
			t.Fatal(err)
		}
		scale, err := d.Between(a, b)
		if err != nil {
			t.Fatal(err)
		}
		if self > 1e-6*scale {
			t.Errorf("%s(a, a) = %g (D(a,b) = %g)", d, self, scale)
		}
		back, err := d.Between(b, a)
		if err != nil {
			t.Fatal(err)
		}
		if d.Symmetric() && math.Abs(back-scale) > 1e-12*scale {
			t.Errorf("%s not symmetric: %g vs %g", d, scale, back)
		}
		if !d.Symmetric() && math.Abs(back-scale) < 1e-6*scale {
			t.Errorf("%s unexpectedly symmetric on random mixtures", d)
		}
	}
}

func TestISENearlyDisjointIn50D(t *testing.T) {
	// Two mixtures far apart in d=50: <f,f> is about 1e-27 and <f,g> about
	// e^-40000, both of which underflow outside the log domain.
	rng := newRNG(12)
	a := randomMixture(rng, 10, 50, 1)
	b := a.Clone()
	for k := range a.Covs {
		for i := range b.Means[k] {
			b.Means[k][i] += 40
		}
	}
	pa, err := NewDistanceInput(a)
	if err != nil {
		t.Fatal(err)
	}
	pb, err := NewDistanceInput(b)
	if err != nil {
		t.Fatal(err)
	}
	if err := pa.PrepareInner(); err != nil {
		t.Fatal(err)
	}
	if err := pb.PrepareInner(); err != nil {
		t.Fatal(err)
	}
	la, lb := pa.logSelf, pb.logSelf
	s := NewOverlapScratch(50)
	lc, err := LogInner(pa, pb, s, nil)
	if err != nil {
		t.Fatal(err)
	}
	if la > math.Log(1e-5) || lc > -1000 {
		t.Fatalf("test setup: log<f,f> = %v, log<f,g> = %v", la, lc)
	}
	got, err := ISE.Between(a, b)
	if err != nil || math.IsNaN(got) || got <= 0 {
		t.Fatalf("ISE = %v, %v", got, err)
	}
	want := math.Sqrt(math.Exp(la) + math.Exp(lb)) // cross term is e^-1000: nothing
	if math.Abs(got-want) > 1e-12*want {
		t.Fatalf("ISE = %g, want %g", got, want)
	}
	cs, err := CS.Between(a, b)
	if err != nil {
		t.Fatal(err)
	}
	if math.Abs(cs-(-lc+0.5*la+0.5*lb)) > 1e-9*cs || math.IsInf(cs, 0) {
		t.Fatalf("CS = %v", cs)
	}
}

func TestGaussianKLMatchesMonteCarlo(t *testing.T) {
	rng := newRNG(13)
	p, q, gp, gq := twoGaussians(t, rng, 3)
	kl := gauss.KlGauss(gp, gq, make([]float64, 3))
	mean, variance := monteCarloKL(t, p, q, 400000, rng)
	if se := math.Sqrt(variance); math.Abs(mean-kl) > 4*se {
		t.Fatalf("KL = %v, Monte Carlo %v +- %v", kl, mean, se)
	}
}

// monteCarloKL estimates KL(a || b) from n draws of a, with the variance of
// the estimate.
func monteCarloKL(t testing.TB, a, b *mixture.Mixture, n int, rng *rand.Rand) (mean, variance float64) {
	t.Helper()
	X, _, err := a.Sample(n, rng)
	if err != nil {
		t.Fatal(err)
	}
	la, err := a.LogDensity(X)
	if err != nil {
		t.Fatal(err)
	}
	lb, err := b.LogDensity(X)
	if err != nil {
		t.Fatal(err)
	}
	var sq float64
	for i := range la {
		v := la[i] - lb[i]
		mean += v
		sq += v * v
	}
	fn := float64(len(la))
	mean /= fn
	return mean, (sq/fn - mean*mean) / fn
}

func TestCTDKLOfSingleComponentsIsKL(t *testing.T) {
	rng := newRNG(14)
	p, q, gp, gq := twoGaussians(t, rng, 4)
	got, err := KL.Between(p, q)
	if err != nil {
		t.Fatal(err)
	}
	if want := gauss.KlGauss(gp, gq, make([]float64, 4)); math.Abs(got-want) > 1e-12 {
		t.Fatalf("CTD-KL = %v, KL = %v", got, want)
	}
}

func TestPairwiseSameForAnyWorkers(t *testing.T) {
	rng := newRNG(15)
	var ms []*mixture.Mixture
	for i := 0; i < 6; i++ {
		ms = append(ms, randomMixture(rng, 3, 5, 2))
	}
	for _, d := range []Distance{ISE, KL, CS} {
		a, err := Pairwise(context.Background(), ms, d, 1)
		if err != nil {
			t.Fatal(err)
		}
		b, err := Pairwise(context.Background(), ms, d, 4)
		if err != nil {
			t.Fatal(err)
		}
		if !mat.Equal(a, b) {
			t.Fatalf("%s: 1 and 4 workers differ", d)
		}
	}
}

func BenchmarkPairwiseISE50(b *testing.B) { benchPairwise(b, ISE) }
func BenchmarkPairwiseKL50(b *testing.B)  { benchPairwise(b, KL) }

// benchPairwise times the m=50, K=10, d=50 distance matrix.
func benchPairwise(b *testing.B, d Distance) {
	rng := newRNG(16)
	var ms []*mixture.Mixture
	for i := 0; i < 50; i++ {
		ms = append(ms, randomMixture(rng, 10, 50, 1))
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := Pairwise(context.Background(), ms, d, 0); err != nil {
			b.Fatal(err)
		}
	}
}

// twoGaussians returns two random single-component mixtures in dimension d
// and their factorized components.
func twoGaussians(t *testing.T, rng *rand.Rand, d int) (p, q *mixture.Mixture, gp, gq *gauss.Gaussian) {
	t.Helper()
	p, q = randomMixture(rng, 1, d, 1), randomMixture(rng, 1, d, 1)
	var err error
	if gp, err = gauss.NewGaussian(p.Means[0], p.Covs[0]); err != nil {
		t.Fatal(err)
	}
	if gq, err = gauss.NewGaussian(q.Means[0], q.Covs[0]); err != nil {
		t.Fatal(err)
	}
	return p, q, gp, gq
}

// The Jeffreys cost between two single Gaussians is KL(p||q) + KL(q||p),
// each checked by Monte Carlo.
func TestJeffreysMatchesMonteCarlo(t *testing.T) {
	rng := newRNG(21)
	p := randomMixture(rng, 1, 3, 1)
	q := randomMixture(rng, 1, 3, 1)
	got, err := Jeffreys.Between(p, q)
	if err != nil {
		t.Fatal(err)
	}
	m1, v1 := monteCarloKL(t, p, q, 200000, rng)
	m2, v2 := monteCarloKL(t, q, p, 200000, rng)
	if se := math.Sqrt(v1 + v2); math.Abs(got-(m1+m2)) > 4*se {
		t.Fatalf("Jeffreys = %v, Monte Carlo %v +- %v", got, m1+m2, se)
	}
}
