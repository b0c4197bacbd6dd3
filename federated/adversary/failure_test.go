package adversary

import (
	"testing"

	"github.com/nistgmm/nistgmm/federated/divergence"
)

func TestCorruptKeepsShapesAndValidity(t *testing.T) {
	g := randomMixture(newRNG(36), 5, 6, 2)
	for _, f := range []Failure{MeanFailure, CovFailure, WeightFailure} {
		c, err := Corrupt(g, f, newRNG(1))
		if err != nil {
			t.Fatal(err)
		}
		if err := c.Validate(); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		if d, err := divergence.ISE.Between(g, c); err != nil || d == 0 {
			t.Fatalf("%s changed nothing", f)
		}
	}
	if _, err := Corrupt(g, Letters, newRNG(1)); err == nil {
		t.Fatal("letters failure without a replacement accepted")
	}
}
