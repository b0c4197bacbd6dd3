package server

import (
	"context"
	"errors"
	"testing"

	"github.com/nistgmm/nistgmm/federated/estimates"
	"github.com/nistgmm/nistgmm/federated/mixture"
	"gonum.org/v1/gonum/mat"
)

// The server's errors come back wrapped with context, and errors.Is finds
// them.
func TestErrorsAreComparable(t *testing.T) {
	bad := &mixture.Mixture{Weights: []float64{1}, Means: [][]float64{{0, 0}}, Covs: []*mat.SymDense{mat.NewSymDense(2, []float64{1, 2, 2, 1})}}
	if _, err := (&Server{}).Prepare(context.Background(), []estimates.Estimate{{ID: "a", N: 1, Mixture: bad}}); !errors.Is(err, ErrNoValidEstimate) {
		t.Errorf("no valid estimate: %v", err)
	}
	if err := (&Server{Trim: 2}).Validate(); !errors.Is(err, ErrInvalidSetting) {
		t.Errorf("bad trimming level: %v", err)
	}
}
