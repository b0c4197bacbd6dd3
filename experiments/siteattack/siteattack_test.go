package siteattack

import (
	"context"
	"math/rand/v2"
	"testing"

	"gonum.org/v1/gonum/mat"

	"github.com/nistgmm/nistgmm/federated/adversary"
	"github.com/nistgmm/nistgmm/federated/mixture"
)

// A demonstration site's failure turns its own fit into a valid, different
// estimate, from what a site sees: nothing, or the previous aggregate.
func TestByzantineSiteFromItsView(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	X := mat.NewDense(600, 3, nil)
	for i := 0; i < 600; i++ {
		for j := 0; j < 3; j++ {
			X.Set(i, j, float64(6*(i%3)*(j%2))+rng.NormFloat64())
		}
	}
	own, _, err := (&mixture.EM{K: 3}).Fit(context.Background(), X, rng)
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range []adversary.Failure{adversary.MeanFailure, adversary.CaptureJitter, adversary.SlotCapture} {
		for _, prev := range []*mixture.Mixture{nil, own.Clone()} {
			bad, detail, err := Estimator(f)(context.Background(), own, prev, 600, rand.New(rand.NewPCG(3, 4)))
			if err != nil {
				t.Fatalf("%s: %v", f, err)
			}
			if err := bad.Validate(); err != nil || detail == "" {
				t.Fatalf("%s: %v, detail %q", f, err, detail)
			}
		}
	}
}
