package server

import (
	"context"
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"gonum.org/v1/gonum/mat"

	"github.com/nistgmm/nistgmm/federated/divergence"
	"github.com/nistgmm/nistgmm/federated/estimates"
	"github.com/nistgmm/nistgmm/federated/internal/kernel"
	"github.com/nistgmm/nistgmm/federated/mixture"
)

// conditionedCov returns Q diag(lambda) Q^T for a random rotation Q and
// eigenvalues spread log-uniformly over the given number of decades, the
// two extremes included, so that its 2-norm condition number is about
// 10^decades.
func conditionedCov(rng *rand.Rand, d int, decades float64) *mat.SymDense {
	g := mat.NewDense(d, d, nil)
	for i := 0; i < d; i++ {
		for j := 0; j < d; j++ {
			g.Set(i, j, rng.NormFloat64())
		}
	}
	var qr mat.QR
	qr.Factorize(g)
	var q mat.Dense
	qr.QTo(&q)
	lambda := make([]float64, d)
	for i := range lambda {
		lambda[i] = math.Pow(10, decades*(rng.Float64()-0.5))
	}
	if d > 1 {
		lambda[0], lambda[1] = math.Pow(10, -decades/2), math.Pow(10, decades/2)
	}
	var a mat.Dense
	a.Mul(&q, mat.NewDiagDense(d, lambda))
	a.Mul(&a, q.T())
	s := mat.NewSymDense(d, nil)
	for i := 0; i < d; i++ {
		for j := i; j < d; j++ {
			s.SetSym(i, j, a.At(i, j))
		}
	}
	return s
}

func oneComponent(cov *mat.SymDense, rng *rand.Rand) *mixture.Mixture {
	d := cov.SymmetricDim()
	mean := make([]float64, d)
	for i := range mean {
		mean[i] = rng.NormFloat64()
	}
	return &mixture.Mixture{Weights: []float64{1}, Means: [][]float64{mean}, Covs: []*mat.SymDense{cov}}
}

// TestMaxConditionGuaranteesOverlaps checks MaxCondition's promise: every
// pair of covariances the server accepts, however close to the bound, has
// a sum whose factorization completes.
func TestMaxConditionGuaranteesOverlaps(t *testing.T) {
	rng := newRNG(41)
	for _, d := range []int{2, 6, 20} {
		var accepted []*kernel.DistanceInput
		for len(accepted) < 120 {
			// Condition numbers from a hundredth of the bound to ten times it.
			decades := math.Log10(divergence.MaxCondition(d)) + 3*rng.Float64() - 2
			m := oneComponent(conditionedCov(rng, d, decades), rng)
			p, err := kernel.NewDistanceInput(m)
			if err != nil || conditionProblem(p.Comps) != "" {
				continue
			}
			accepted = append(accepted, p)
		}
		for i := 0; i < 10; i++ {
			p, err := kernel.NewDistanceInput(randomMixture(rng, 1, d, 1))
			if err != nil {
				t.Fatal(err)
			}
			accepted = append(accepted, p)
		}
		for _, p := range accepted {
			if err := p.PrepareInner(); err != nil {
				t.Fatalf("d=%d: an accepted covariance with itself: %v", d, err)
			}
		}
		s := kernel.NewOverlapScratch(d)
		for i, a := range accepted {
			for _, b := range accepted[i+1:] {
				if _, err := kernel.LogInner(a, b, s, nil); err != nil {
					t.Fatalf("d=%d: condition numbers %.3g and %.3g (bound %.3g): %v", d, a.Comps[0].Condition(), b.Comps[0].Condition(), divergence.MaxCondition(d), err)
				}
			}
		}
	}
}

// TestNumericallySingularEstimateIsInvalid plays the attacker who searches
// for a covariance that passes the checks of its own (finite, symmetric,
// factorizable, inverse within bounds) but whose sum with an honest
// covariance cannot be factored: before, it stopped every round with ISE
// or CS. It is now invalid, and the round goes on.
func TestNumericallySingularEstimateIsInvalid(t *testing.T) {
	rng := newRNG(42)
	const d = 6
	// The search: a covariance of the attacker's, eigenvalues spread over 20 to 44
	// decades, against an honest one.
	var attack, victim *mixture.Mixture
	for try := 0; try < 100000 && attack == nil; try++ {
		m := oneComponent(conditionedCov(rng, d, 20+24*rng.Float64()), rng)
		h := randomMixture(rng, 1, d, 1)
		p, err := kernel.NewDistanceInput(m)
		if err != nil {
			continue
		}
		q, err := kernel.NewDistanceInput(h)
		if err != nil {
			t.Fatal(err)
		}
		if p.PrepareInner() != nil || q.PrepareInner() != nil {
			continue
		}
		if _, err := kernel.LogInner(p, q, kernel.NewOverlapScratch(d), nil); err != nil {
			attack, victim = m, h
		}
	}
	if attack == nil {
		t.Fatal("test setup: no covariance breaking an overlap found")
	}
	honest := []*mixture.Mixture{victim}
	for len(honest) < 9 {
		honest = append(honest, randomMixture(rng, 1, d, 1))
	}
	if err := attack.Validate(); err != nil {
		t.Fatalf("test setup: the attack is not a valid mixture: %v", err)
	}
	ests := []estimates.Estimate{{ID: "attacker", N: 500, Mixture: attack}}
	for i, h := range honest {
		ests = append(ests, estimates.Estimate{ID: string(rune('a' + i)), N: 500, Mixture: h})
	}
	for _, dist := range []divergence.Distance{divergence.ISE, divergence.CS, divergence.Jeffreys} {
		srv := &Server{Distance: dist}
		round, err := srv.Prepare(context.Background(), ests)
		if err != nil {
			t.Fatalf("%s: %v", dist, err)
		}
		if len(round.Invalid) != 1 || round.Invalid[0].ID != "attacker" || !strings.Contains(round.Invalid[0].Reason, "numerically singular") {
			t.Fatalf("%s: invalid %+v, want the attacker, numerically singular", dist, round.Invalid)
		}
		if _, err := round.Aggregate(context.Background(), ARED, nil); err != nil {
			t.Fatalf("%s: %v", dist, err)
		}
	}
}
