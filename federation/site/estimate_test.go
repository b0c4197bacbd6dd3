package site

import (
	"context"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/nistgmm/nistgmm/federated/adversary"
	"github.com/nistgmm/nistgmm/federated/mixture"
	"github.com/nistgmm/nistgmm/federated/server"
	pb "github.com/nistgmm/nistgmm/federation/proto/v1"
	"gonum.org/v1/gonum/mat"
)

// twoClusters draws n points of two well separated Gaussian clusters in d.
func twoClusters(n, d int, seed uint64) *mat.Dense {
	rng := rand.New(rand.NewPCG(seed, 1))
	X := mat.NewDense(n, d, nil)
	for i := 0; i < n; i++ {
		off := 0.0
		if i%2 == 1 {
			off = 8
		}
		for j := 0; j < d; j++ {
			X.Set(i, j, off+rng.NormFloat64())
		}
	}
	return X
}

func TestFitterHonestAndFailures(t *testing.T) {
	ctx := context.Background()
	info := &pb.RoundInfo{RoundId: 1, Config: &pb.RoundConfig{K: 2, D: 3}}
	f := &Fitter{X: twoClusters(400, 3, 1), Restarts: 2, Seed: 1}
	n, m, err := f.Estimate(ctx, info, nil)
	if err != nil {
		t.Fatal(err)
	}
	if n != 400 || m.K() != 2 || m.Dim() != 3 {
		t.Fatalf("fit of n = %d, K = %d, d = %d", n, m.K(), m.Dim())
	}
	// The same seed and round fit the same way (a restarted site
	// that lost its state would still be refused: the nonce differs).
	_, again, _ := f.Estimate(ctx, info, nil)
	if again.Means[0][0] != m.Means[0][0] {
		t.Fatal("the same seed and round gave another fit")
	}
	// A Byzantine hook replaces the fit: here the mean failure.
	f.Byzantine = func(_ context.Context, own, _ *mixture.Mixture, _ int, rng *rand.Rand) (*mixture.Mixture, string, error) {
		bad, err := adversary.Corrupt(own, adversary.MeanFailure, rng)
		return bad, "mean failure", err
	}
	_, bad, err := f.Estimate(ctx, info, nil)
	if err != nil {
		t.Fatal(err)
	}
	if math.Abs(bad.Means[0][0]-m.Means[0][0]) < 1 && math.Abs(bad.Means[1][0]-m.Means[1][0]) < 1 {
		t.Fatal("the mean failure left the means in place")
	}
	// The hook sees the previous round's aggregate, and only a usable one.
	var seen *mixture.Mixture
	f.Byzantine = func(_ context.Context, own, prev *mixture.Mixture, _ int, _ *rand.Rand) (*mixture.Mixture, string, error) {
		seen = prev
		return own, "", nil
	}
	if _, _, err := f.Estimate(ctx, info, &server.Report{Mixture: m.ToJSON()}); err != nil || seen == nil || seen.Means[0][0] != m.Means[0][0] {
		t.Fatalf("the hook saw %v (err %v), want the previous aggregate", seen, err)
	}
	other := &mixture.Mixture{Weights: []float64{1}, Means: [][]float64{{0, 0, 0}}, Covs: m.Covs[:1]}
	if _, _, err := f.Estimate(ctx, info, &server.Report{Mixture: other.ToJSON()}); err != nil || seen != nil {
		t.Fatalf("an aggregate of another order reached the hook: %v (err %v)", seen, err)
	}
	f.Byzantine = nil
	// Wrong dimension is refused before any fit.
	if _, _, err := f.Estimate(ctx, &pb.RoundInfo{RoundId: 2, Config: &pb.RoundConfig{K: 2, D: 4}}, nil); err == nil {
		t.Fatal("features of dimension 3 were fitted for a round of dimension 4")
	}
}
