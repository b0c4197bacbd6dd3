package site

import (
	"context"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/nistgmm/nistgmm/federated"
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
	// The mean failure moves the means far away.
	f.Failure = federated.MeanFailure
	_, bad, err := f.Estimate(ctx, info, nil)
	if err != nil {
		t.Fatal(err)
	}
	if math.Abs(bad.Means[0][0]-m.Means[0][0]) < 1 && math.Abs(bad.Means[1][0]-m.Means[1][0]) < 1 {
		t.Fatal("the mean failure left the means in place")
	}
	// An adaptive attack plays against the previous aggregate.
	f.Failure = federated.CaptureJitter
	prev := &federated.Report{Mixture: m.ToJSON()}
	_, crafted, err := f.Estimate(ctx, info, prev)
	if err != nil {
		t.Fatal(err)
	}
	if err := crafted.Validate(); err != nil || crafted.K() != 2 {
		t.Fatalf("crafted estimate: %v", err)
	}
	// Wrong dimension is refused before any fit.
	if _, _, err := f.Estimate(ctx, &pb.RoundInfo{RoundId: 2, Config: &pb.RoundConfig{K: 2, D: 4}}, nil); err == nil {
		t.Fatal("features of dimension 3 were fitted for a round of dimension 4")
	}
}
