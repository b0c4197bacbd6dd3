package mixture

import (
	"context"
	"math"
	"slices"
	"testing"

	"gonum.org/v1/gonum/floats"

	"github.com/nistgmm/nistgmm/internal/fastblas"
)

func TestEMRecoversSeparatedMixture(t *testing.T) {
	rng := newRNG(1)
	truth := randomMixture(rng, 5, 10, 4)
	truth.Weights = []float64{0.1, 0.15, 0.2, 0.25, 0.3}
	const n = 20000
	X, _, err := truth.Sample(n, rng)
	if err != nil {
		t.Fatal(err)
	}
	fit, info, err := NewEM(5).Fit(context.Background(), X, rng)
	if err != nil {
		t.Fatal(err)
	}
	if !info.Converged {
		t.Fatalf("EM did not converge in %d iterations", info.Iterations)
	}
	for i := 1; i < len(info.Trace); i++ {
		if info.Trace[i] < info.Trace[i-1]-1e-8*math.Abs(info.Trace[i-1]) {
			t.Fatalf("penalized log-likelihood decreased at iteration %d: %v -> %v", i, info.Trace[i-1], info.Trace[i])
		}
	}
	// Match each true component to the nearest fitted mean, then compare.
	used := map[int]bool{}
	for k := range truth.Means {
		best, bestD := -1, math.Inf(1)
		for l := range fit.Means {
			if d := floats.Distance(truth.Means[k], fit.Means[l], 2); d < bestD {
				best, bestD = l, d
			}
		}
		if used[best] {
			t.Fatalf("two true components matched fitted component %d", best)
		}
		used[best] = true
		nk := truth.Weights[k] * n
		// Standard errors: weight sqrt(w(1-w)/n); mean entries about sqrt(Sigma_ii/n_k).
		if se := math.Sqrt(truth.Weights[k] * (1 - truth.Weights[k]) / n); math.Abs(fit.Weights[best]-truth.Weights[k]) > 5*se {
			t.Errorf("component %d: weight %.4f, want %.4f +- %.4f", k, fit.Weights[best], truth.Weights[k], 5*se)
		}
		for i := range truth.Means[k] {
			se := math.Sqrt(truth.Covs[k].At(i, i) / nk)
			if math.Abs(fit.Means[best][i]-truth.Means[k][i]) > 5*se {
				t.Errorf("component %d mean[%d]: %.4f, want %.4f +- %.4f", k, i, fit.Means[best][i], truth.Means[k][i], 5*se)
			}
			for j := range truth.Means[k] {
				// Var of a sample covariance entry is (S_ii S_jj + S_ij^2)/n_k.
				s := truth.Covs[k]
				se := math.Sqrt((s.At(i, i)*s.At(j, j) + s.At(i, j)*s.At(i, j)) / nk)
				if math.Abs(fit.Covs[best].At(i, j)-s.At(i, j)) > 5*se {
					t.Errorf("component %d cov[%d,%d]: %.4f, want %.4f +- %.4f", k, i, j, fit.Covs[best].At(i, j), s.At(i, j), 5*se)
				}
			}
		}
	}
}

func TestEMIsDeterministicAndHonoursInit(t *testing.T) {
	truth := randomMixture(newRNG(2), 3, 4, 3)
	X, _, err := truth.Sample(600, newRNG(3))
	if err != nil {
		t.Fatal(err)
	}
	a, _, err := NewEM(3).Fit(context.Background(), X, newRNG(4))
	if err != nil {
		t.Fatal(err)
	}
	b, _, err := NewEM(3).Fit(context.Background(), X, newRNG(4))
	if err != nil {
		t.Fatal(err)
	}
	if !floats.Equal(a.Weights, b.Weights) || !floats.Equal(a.Means[0], b.Means[0]) {
		t.Fatal("same seed gave different fits")
	}
	em := &EM{K: 3, Init: truth, MaxIter: 1}
	c, info, err := em.Fit(context.Background(), X, nil)
	if err != nil {
		t.Fatal(err)
	}
	if info.Iterations != 1 || c == truth {
		t.Fatalf("one iteration from Init: got %d iterations", info.Iterations)
	}
	if _, _, err := (&EM{K: 2, Init: truth}).Fit(context.Background(), X, nil); err == nil {
		t.Fatal("a starting mixture of the wrong order was accepted")
	}
}

func TestEMRejectsBadData(t *testing.T) {
	truth := randomMixture(newRNG(5), 2, 3, 3)
	X, _, err := truth.Sample(100, newRNG(6))
	if err != nil {
		t.Fatal(err)
	}
	X.Set(3, 1, math.NaN())
	if _, _, err := NewEM(2).Fit(context.Background(), X, newRNG(1)); err == nil {
		t.Fatal("NaN data accepted")
	}
	Y, _, err := truth.Sample(100, newRNG(6))
	if err != nil {
		t.Fatal(err)
	}
	for j := 0; j < 100; j++ {
		Y.Set(j, 2, 7) // constant feature: S_x is singular
	}
	if _, _, err := NewEM(2).Fit(context.Background(), Y, newRNG(1)); err == nil {
		t.Fatal("singular sample covariance accepted")
	}
}

// BenchmarkEMIterationBackends runs the same iteration on gonum's pure-Go
// BLAS and on the build's default (OpenBLAS with cgo), for a ratio from one
// command.
func BenchmarkEMIterationBackends(b *testing.B) {
	defer fastblas.Enable()
	fastblas.UseGonum()
	b.Run("gonum", BenchmarkEMIteration)
	name := fastblas.Enable()
	b.Logf("OpenBLAS kernels: %s", fastblas.CoreName())
	b.Run(name, BenchmarkEMIteration)
}

// BenchmarkEMIteration times one E step plus one M step at n=5000, d=50,
// K=10 on a single goroutine.
func BenchmarkEMIteration(b *testing.B) {
	rng := newRNG(7)
	truth := randomMixture(rng, 10, 50, 1)
	X, _, err := truth.Sample(5000, rng)
	if err != nil {
		b.Fatal(err)
	}
	em := &EM{K: 10}
	s, err := newEMState(X, 10, em.penaltyScale()/math.Sqrt(5000))
	if err != nil {
		b.Fatal(err)
	}
	mix := truth
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := s.eStep(mix); err != nil {
			b.Fatal(err)
		}
		mix = s.mStep(mix)
	}
}

// The penalty search picks, on data too few for ten free covariances, a
// constant above the paper's 1, the same one for the same seed.
func TestPenaltySearchChoosesOnOwnData(t *testing.T) {
	rng := newRNG(23)
	truth := randomMixture(rng, 4, 15, 2)
	X, _, err := truth.Sample(200, rng)
	if err != nil {
		t.Fatal(err)
	}
	fit := func() FitInfo {
		_, info, err := (&EM{K: 4, PenaltySearch: &PenaltySearch{}}).Fit(context.Background(), X, newRNG(5))
		if err != nil {
			t.Fatal(err)
		}
		return info
	}
	a, b := fit(), fit()
	if a.PenaltyScale != b.PenaltyScale || !slices.ContainsFunc(DefaultPenaltyGrid(), func(c float64) bool { return c == a.PenaltyScale }) {
		t.Fatalf("chose %v then %v, want one grid value twice", a.PenaltyScale, b.PenaltyScale)
	}
	if a.PenaltyScale <= 1 {
		t.Errorf("chose c = %v with 50 points per component in d = 15; scores %v", a.PenaltyScale, a.PenaltyScores)
	}
	for g, s := range a.PenaltyScores {
		if !math.IsNaN(s) && s > a.PenaltyScores[slices.Index(DefaultPenaltyGrid(), a.PenaltyScale)] {
			t.Errorf("candidate %v scores %v, above the chosen one", DefaultPenaltyGrid()[g], s)
		}
	}
}
