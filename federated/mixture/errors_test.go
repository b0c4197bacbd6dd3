package mixture

import (
	"context"
	"errors"
	"math"
	"testing"

	"gonum.org/v1/gonum/mat"
)

// The exported errors come back wrapped with context, and errors.Is finds
// them (the server's in package server).
func TestErrorsAreComparable(t *testing.T) {
	bad := &Mixture{Weights: []float64{1}, Means: [][]float64{{0, 0}}, Covs: []*mat.SymDense{mat.NewSymDense(2, []float64{1, 2, 2, 1})}}
	if err := bad.Validate(); !errors.Is(err, ErrNotPositiveDefinite) {
		t.Errorf("indefinite covariance: %v", err)
	}
	X := mat.NewDense(20, 2, nil)
	X.Set(3, 1, math.NaN())
	if _, _, err := (&EM{K: 1}).Fit(context.Background(), X, newRNG(1)); !errors.Is(err, ErrNonFinite) {
		t.Errorf("NaN data: %v", err)
	}
}

// Bad arguments are errors or documented, never panics.
func TestBadArgumentsDoNotPanic(t *testing.T) {
	m := randomMixture(newRNG(1), 2, 2, 3)
	if _, _, err := m.Sample(0, newRNG(1)); err == nil {
		t.Error("Sample(0) accepted")
	}
	if _, _, err := m.Sample(5, nil); err == nil {
		t.Error("Sample without a random source accepted")
	}
	m.Covs[1] = nil
	c := m.Clone()
	if c.Covs[1] != nil || c.Validate() == nil {
		t.Error("a missing covariance was not kept missing by Clone")
	}
}
