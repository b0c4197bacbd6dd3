package mixture

import (
	"context"
	"math"
	"testing"

	"gonum.org/v1/gonum/floats"
	"gonum.org/v1/gonum/mat"

	"github.com/nistgmm/nistgmm/federated/internal/gauss"
)

// The drift bound holds: after moving a component, no point's Mahalanobis
// norm falls below shrink times the old norm minus shift.
func TestDriftBoundHolds(t *testing.T) {
	rng := newRNG(31)
	const d = 6
	b := newDriftBounds(1, d, 1)
	for trial := 0; trial < 200; trial++ {
		old := randomMixture(rng, 1, d, 1)
		cur := old.Clone()
		step := math.Pow(10, -4+3.7*rng.Float64()) // from tiny moves to large ones
		for i := range cur.Means[0] {
			cur.Means[0][i] += step * rng.NormFloat64()
		}
		// A convex combination of covariances stays positive definite.
		cov := mat.NewSymDense(d, nil)
		cov.ScaleSym(1-step, old.Covs[0])
		jitter := randomCov(rng, d)
		jitter.ScaleSym(step, jitter)
		cov.AddSym(cov, jitter)
		cur.Covs[0] = cov
		gOld, err := gauss.FactorGaussian(old.Means[0], old.Covs[0])
		if err != nil {
			t.Fatal(err)
		}
		gCur, err := gauss.FactorGaussian(cur.Means[0], cur.Covs[0])
		if err != nil {
			t.Fatal(err)
		}
		shrink, shift := b.drift(gOld, gCur)
		if !(shrink > 0) || !(shift >= 0) {
			t.Fatalf("drift gave shrink %g, shift %g", shrink, shift)
		}
		X, _, err := old.Sample(50, rng)
		if err != nil {
			t.Fatal(err)
		}
		xt := transposed(X)
		work, before, after := make([]float64, d*50), make([]float64, 50), make([]float64, 50)
		mahalanobis(xt, gOld, nil, work, before)
		mahalanobis(xt, gCur, nil, work, after)
		for j := range before {
			if lower := shrink*math.Sqrt(before[j]) - shift; math.Sqrt(after[j]) < lower {
				t.Fatalf("trial %d point %d: norm %g below the bound %g", trial, j, math.Sqrt(after[j]), lower)
			}
		}
	}
}

// EM with the drift bounds computes the same iterates as EM without them:
// the responsibilities they skip are below e^-50, and on separated data
// they skip most pairs.
func TestBoundedEStepMatchesFull(t *testing.T) {
	rng := newRNG(32)
	truth := randomMixture(rng, 5, 8, 3)
	X, _, err := truth.Sample(3000, rng)
	if err != nil {
		t.Fatal(err)
	}
	start := truth.Clone()
	for k := range start.Means {
		for i := range start.Means[k] {
			start.Means[k][i] += 0.5 * rng.NormFloat64()
		}
	}
	an := 1 / math.Sqrt(3000)
	bounded, err := newEMState(X, 5, an)
	if err != nil {
		t.Fatal(err)
	}
	bounded.bounds = newDriftBounds(3000, 8, 5)
	full, err := newEMState(X, 5, an)
	if err != nil {
		t.Fatal(err)
	}
	mb, mf := start, start
	for it := 0; it < 40; it++ {
		pb, err := bounded.eStep(mb)
		if err != nil {
			t.Fatal(err)
		}
		pf, err := full.eStep(mf)
		if err != nil {
			t.Fatal(err)
		}
		if math.Abs(pb-pf) > 1e-9*math.Abs(pf) {
			t.Fatalf("iteration %d: penalized log-likelihood %.15g with bounds, %.15g without", it, pb, pf)
		}
		var diff float64
		for i, v := range bounded.lj.RawMatrix().Data {
			diff = math.Max(diff, math.Abs(v-full.lj.RawMatrix().Data[i]))
		}
		if diff > 1e-12 {
			t.Fatalf("iteration %d: responsibilities differ by %g", it, diff)
		}
		mb, mf = bounded.mStep(mb), full.mStep(mf)
	}
	for k := range mb.Means {
		if d := floats.Distance(mb.Means[k], mf.Means[k], math.Inf(1)); d > 1e-9 {
			t.Errorf("mean %d differs by %g after 40 iterations", k, d)
		}
	}
	b := bounded.bounds
	if b.skipped < b.computed {
		t.Errorf("skipped %d of %d distances on well-separated data, want most", b.skipped, b.skipped+b.computed)
	}
}

// A whole fit with the bounds gives what a fit of the full E step gives.
func TestFitUsesBoundsWithoutChangingIt(t *testing.T) {
	rng := newRNG(33)
	truth := randomMixture(rng, 4, 5, 2)
	X, _, err := truth.Sample(2000, rng)
	if err != nil {
		t.Fatal(err)
	}
	got, info, err := (&EM{K: 4, Init: truth}).Fit(context.Background(), X, nil)
	if err != nil {
		t.Fatal(err)
	}
	s, err := newEMState(X, 4, 1/math.Sqrt(2000))
	if err != nil {
		t.Fatal(err)
	}
	mix, prev := truth.Clone(), math.Inf(-1)
	for it := 0; it < 1000; it++ {
		pll, err := s.penalizedLogLik(mix) // every density computed
		if err != nil {
			t.Fatal(err)
		}
		if math.Abs(pll-prev)/2000 < 1e-6 {
			if it != info.Iterations {
				t.Errorf("full E steps stop after %d iterations, the fit after %d", it, info.Iterations)
			}
			break
		}
		prev = pll
		mix = s.mStep(mix)
	}
	for k := range mix.Means {
		if d := floats.Distance(mix.Means[k], got.Means[k], math.Inf(1)); d > 1e-9 {
			t.Errorf("mean %d differs by %g", k, d)
		}
	}
}
