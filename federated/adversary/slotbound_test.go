package adversary

import (
	"context"
	"fmt"
	"slices"
	"testing"

	"gonum.org/v1/gonum/floats"
	"gonum.org/v1/gonum/mat"

	"github.com/nistgmm/nistgmm/federated/estimates"
	"github.com/nistgmm/nistgmm/federated/mixture"
	"github.com/nistgmm/nistgmm/federated/server"
)

// The threat model's bound, as stated: under the slot capture (identical
// crafted components inside otherwise distinct mixtures), in every slot
// the Byzantine share of the kept mass, a copy group of components counted
// once, is at most the Byzantine share b/m of the counted machines plus a
// twentieth, and ARED's answer stays within the attack suite's margin of
// the Oracle's.
func TestSlotCaptureKeepsTheShareBound(t *testing.T) {
	ctx := context.Background()
	for _, nByz := range []int{6, 12} {
		ests, byz, truth := honestRound(t, 30, nByz, 97)
		view, err := viewHonest(ctx, &server.Server{}, ests)
		if err != nil {
			t.Fatal(err)
		}
		bound := float64(nByz)/30 + 0.05
		// Every common strength, so that some packs the crafted
		// components at the edge of the slots' balls.
		for step := 1; step <= 20; step++ {
			st := make([]float64, view.centre.K())
			for k := range st {
				st[k] = float64(step) / 20
			}
			attacked, err := slotCaptureSet(view, ests, byz, st)
			if err != nil {
				t.Fatal(err)
			}
			round, err := (&server.Server{}).Prepare(ctx, attacked)
			if err != nil {
				t.Fatal(err)
			}
			res, err := round.Aggregate(ctx, server.ARED, nil)
			if err != nil {
				t.Fatal(err)
			}
			for k, counted := range res.Slots.Counted {
				// Equal sample sizes: every counted component has one mass.
				n := 0
				for _, i := range counted {
					if slices.Contains(byz, i) {
						n++
					}
				}
				if share := float64(n) / float64(len(counted)); share > bound {
					t.Errorf("%d of 30 Byzantine, strength %.2f: slot %d keeps a Byzantine share %.2f > %.2f", nByz, st[0], k, share, bound)
				}
			}
			dA, dO, _ := aredAndOracle(t, &server.Server{}, attacked, byz, truth)
			if dA > 1.5*dO+0.01 {
				t.Errorf("%d of 30 Byzantine, strength %.2f: ARED %.4g from the truth, the Oracle %.4g", nByz, st[0], dA, dO)
			}
		}
	}
}

// sampleFit is the mean and covariance of n draws from N(mean, I).
func sampleFit(rng interface{ NormFloat64() float64 }, mean []float64, n int) ([]float64, *mat.SymDense) {
	d := len(mean)
	X := mat.NewDense(n, d, nil)
	for i := 0; i < n; i++ {
		for j := 0; j < d; j++ {
			X.Set(i, j, mean[j]+rng.NormFloat64())
		}
	}
	mu := make([]float64, d)
	for j := 0; j < d; j++ {
		mu[j] = floats.Sum(mat.Col(nil, j, X)) / float64(n)
	}
	cov := mat.NewSymDense(d, nil)
	for x := 0; x < d; x++ {
		for y := x; y < d; y++ {
			var s float64
			for i := 0; i < n; i++ {
				s += (X.At(i, x) - mu[x]) * (X.At(i, y) - mu[y])
			}
			cov.SetSym(x, y, s/float64(n-1))
		}
	}
	return mu, cov
}

// The same bound with the crafted component placed at every distance from
// the honest ones, the edge of the slot's ball among them: honest fits of
// two separated components in d = 5, and 12 of 30 machines sending their
// own fit of the second component with one identical crafted first
// component (so no two mixtures are alike as a whole).
func TestPackedSlotKeepsTheShareBound(t *testing.T) {
	ctx := context.Background()
	const m, nByz, d, n = 30, 12, 5, 200
	for step := 1; step <= 12; step++ {
		delta := 0.05 * float64(step)
		rng := newRNG(uint64(400 + step))
		far := make([]float64, d)
		far[0] = 20
		crafted := make([]float64, d)
		crafted[1] = delta
		var ests []estimates.Estimate
		var byz []int
		for i := 0; i < m; i++ {
			mu0, c0 := sampleFit(rng, make([]float64, d), n)
			mu1, c1 := sampleFit(rng, far, n)
			if i < nByz {
				byz = append(byz, i)
				mu0, c0 = slices.Clone(crafted), identity(d)
			}
			ests = append(ests, estimates.Estimate{ID: fmt.Sprint(i), N: 2 * n, Mixture: &mixture.Mixture{Weights: []float64{0.5, 0.5},
				Means: [][]float64{mu0, mu1}, Covs: []*mat.SymDense{c0, c1}}})
		}
		round, err := (&server.Server{}).Prepare(ctx, ests)
		if err != nil {
			t.Fatal(err)
		}
		res, err := round.Aggregate(ctx, server.ARED, nil)
		if err != nil {
			t.Fatal(err)
		}
		for k, counted := range res.Slots.Counted {
			b := 0
			for _, i := range counted {
				if slices.Contains(byz, i) {
					b++
				}
			}
			if share := float64(b) / float64(len(counted)); share > float64(nByz)/m+0.05 {
				t.Errorf("crafted at %.2f: slot %d counts %d Byzantine of %d (share %.2f)", delta, k, b, len(counted), share)
			}
		}
	}
}

func identity(d int) *mat.SymDense {
	c := mat.NewSymDense(d, nil)
	for j := 0; j < d; j++ {
		c.SetSym(j, j, 1)
	}
	return c
}
