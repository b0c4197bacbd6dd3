package siteattack

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"

	"github.com/nistgmm/nistgmm/eval"
	"github.com/nistgmm/nistgmm/features"
	"github.com/nistgmm/nistgmm/federated/adversary"
	"github.com/nistgmm/nistgmm/federated/estimates"
	"github.com/nistgmm/nistgmm/federated/mixture"
	"github.com/nistgmm/nistgmm/federated/server"
	"gonum.org/v1/gonum/mat"
)

// BenchmarkAttackView measures what commit and reveal takes from the
// adaptive attacks: on 20 sites of the MNIST features (1,250 digits each,
// K = 10, 4 Byzantine), each attack is played once with the full view of
// the experiments (every honest estimate of the round, as 'nistgmm
// attacks' does) and once with a site's view in a federation (its own
// fit and the previous round's published aggregate, here ARED on a round
// of honest fits with different seeds), and ARED's and the Oracle's ARI
// on the test digits are reported:
//
//	go test -run '^$' -bench AttackView -benchtime 1x ./experiments/siteattack
//
// It needs the features folder data/features ('nistgmm extract').
func BenchmarkAttackView(b *testing.B) {
	dir := filepath.Join("..", "..", "data", "features")
	if _, err := os.Stat(filepath.Join(dir, "manifest.json")); err != nil {
		b.Skipf("no features in %s: run 'nistgmm extract --out data/features' first", dir)
	}
	train, _, err := features.ReadSet(dir, features.DigitsTrain)
	if err != nil {
		b.Fatal(err)
	}
	test, labels, err := features.ReadSet(dir, features.DigitsTest)
	if err != nil {
		b.Fatal(err)
	}
	const m, byzN, k, per = 20, 4, 10, 1250
	ctx := context.Background()
	fit := func(i int, seed uint64) *mixture.Mixture {
		X := shareRows(train, i, m, per)
		em := &mixture.EM{K: k, Restarts: 3, PenaltySearch: &mixture.PenaltySearch{}}
		mix, _, err := em.Fit(ctx, X, rand.New(rand.NewPCG(seed, uint64(i))))
		if err != nil {
			b.Fatal(err)
		}
		return mix
	}
	honest := make([]estimates.Estimate, m)
	previous := make([]estimates.Estimate, m)
	for i := range honest {
		honest[i] = estimates.Estimate{ID: fmt.Sprintf("site-%02d", i), N: per, Mixture: fit(i, 1)}
		previous[i] = estimates.Estimate{ID: honest[i].ID, N: per, Mixture: fit(i, 2)}
	}
	srv := &server.Server{K: k, Dim: features.Dim, Seed: 1}
	aggregate := func(ests []estimates.Estimate, method server.Method, byz []int) *mixture.Mixture {
		r, err := srv.Prepare(ctx, ests)
		if err != nil {
			b.Fatal(err)
		}
		res, err := r.Aggregate(ctx, method, byz)
		if err != nil {
			b.Fatal(err)
		}
		return res.Mixture
	}
	ari := func(mix *mixture.Mixture) float64 {
		pred, err := mix.Predict(test)
		if err != nil {
			b.Fatal(err)
		}
		v, err := eval.ARI(pred, labels)
		if err != nil {
			b.Fatal(err)
		}
		return v
	}
	prevAgg := aggregate(previous, server.ARED, nil)
	byz := []int{16, 17, 18, 19}
	oracle := ari(aggregate(honest, server.Oracle, byz))
	b.ReportMetric(oracle, "oracle-ARI")
	for _, f := range []adversary.Failure{adversary.Stealth, adversary.ALIE, adversary.Capture, adversary.CaptureJitter, adversary.Inside, adversary.SlotCapture, adversary.SlotEdges} {
		b.Run(string(f), func(b *testing.B) {
			for range b.N {
				full, _, err := adversary.Craft(ctx, srv, f, honest, byz, rand.New(rand.NewPCG(3, 0)))
				if err != nil {
					b.Fatal(err)
				}
				blind := append([]estimates.Estimate(nil), honest...)
				for _, j := range byz {
					bad, _, err := CraftFromView(ctx, srv, f, honest[j].Mixture, prevAgg, per, rand.New(rand.NewPCG(3, uint64(j))))
					if err != nil {
						b.Fatal(err)
					}
					blind[j] = estimates.Estimate{ID: honest[j].ID, N: per, Mixture: bad}
				}
				b.ReportMetric(ari(aggregate(full, server.ARED, nil)), "ARED-full-view")
				b.ReportMetric(ari(aggregate(blind, server.ARED, nil)), "ARED-federation-view")
				b.ReportMetric(ari(aggregate(full, server.Oracle, byz)), "oracle-ARI")
			}
		})
	}
}

func shareRows(X *mat.Dense, i, m, limit int) *mat.Dense {
	n, d := X.Dims()
	perm := rand.New(rand.NewPCG(1, 0x5ea)).Perm(n)
	var rows []int
	for j := i; j < n && len(rows) < limit; j += m {
		rows = append(rows, perm[j])
	}
	out := mat.NewDense(len(rows), d, nil)
	for r, src := range rows {
		out.SetRow(r, X.RawRowView(src))
	}
	return out
}
