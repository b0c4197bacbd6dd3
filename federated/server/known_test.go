package server

import (
	"context"
	"math"
	"testing"

	"github.com/nistgmm/nistgmm/federated/divergence"
	"github.com/nistgmm/nistgmm/federated/estimates"
	"github.com/nistgmm/nistgmm/federated/mixture"
)

// A round reading known distances gets exactly the matrix and aggregates it
// would have computed; a round with a mixture the known set lacks, or in
// another order, computes its own.
func TestKnownDistancesAreTheComputedOnes(t *testing.T) {
	rng := newRNG(41)
	var pool []*mixture.Mixture
	for i := 0; i < 14; i++ {
		pool = append(pool, randomMixture(rng, 3, 4, 2))
	}
	bad := randomMixture(rng, 3, 4, 2)
	bad.Means[1][2] = math.NaN()
	outsider := randomMixture(rng, 3, 4, 2)
	for _, d := range []divergence.Distance{divergence.Jeffreys, divergence.ISE} {
		srv := &Server{Distance: d, Workers: 1}
		known, err := srv.KnownDistances(context.Background(), append(append([]*mixture.Mixture{}, pool...), bad))
		if err != nil {
			t.Fatal(err)
		}
		if known.Len() != len(pool) {
			t.Fatalf("%s: %d mixtures known, want the %d valid ones", d, known.Len(), len(pool))
		}
		for _, round := range [][]*mixture.Mixture{
			{pool[0], pool[3], pool[5], bad, pool[7], pool[9], pool[12]},
			{pool[3], pool[0], pool[7], pool[12], pool[5], bad, pool[9]},
			{pool[1], pool[2], outsider, pool[4], pool[6]},
		} {
			var ests []estimates.Estimate
			for i, m := range round {
				ests = append(ests, estimates.Estimate{ID: string(rune('a' + i)), N: 100 + i, Mixture: m})
			}
			plain, err := srv.Prepare(context.Background(), ests)
			if err != nil {
				t.Fatal(err)
			}
			reading := *srv
			reading.Known = known
			read, err := reading.Prepare(context.Background(), ests)
			if err != nil {
				t.Fatal(err)
			}
			r, c := plain.Distances.Dims()
			for a := 0; a < r; a++ {
				for b := 0; b < c; b++ {
					if plain.Distances.At(a, b) != read.Distances.At(a, b) {
						t.Fatalf("%s: distance (%d,%d) is %v computed, %v read", d, a, b, plain.Distances.At(a, b), read.Distances.At(a, b))
					}
				}
			}
			for _, m := range []Method{ARED, GMR} {
				x, err := plain.Aggregate(context.Background(), m, nil)
				if err != nil {
					t.Fatal(err)
				}
				y, err := read.Aggregate(context.Background(), m, nil)
				if err != nil {
					t.Fatal(err)
				}
				if x.Objective != y.Objective || x.Radius != y.Radius {
					t.Fatalf("%s %s: objective %v/%v, radius %v/%v", d, m, x.Objective, y.Objective, x.Radius, y.Radius)
				}
			}
		}
		if known.lookup(divergence.KL, pool[:3]) != nil {
			t.Errorf("%s: known distances served for another distance", d)
		}
		if known.lookup(d, []*mixture.Mixture{pool[0], outsider}) != nil {
			t.Errorf("%s: known distances served for an unknown mixture", d)
		}
		if known.lookup(d, []*mixture.Mixture{pool[0], pool[3], pool[5], pool[7]}) == nil {
			t.Errorf("%s: known distances not served for known mixtures in order", d)
		}
		if known.lookup(d, []*mixture.Mixture{pool[3], pool[0]}) != nil {
			t.Errorf("%s: known distances served in another order", d)
		}
	}
}
