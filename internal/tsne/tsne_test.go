package tsne

import (
	"context"
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

// Three well-separated clusters in 10 dimensions stay separated in the
// embedding: every point is nearer its own cluster's centre than any
// other's. The same seed gives the same embedding with 1 or 4 workers.
func TestEmbedSeparatesClustersAndIsDeterministic(t *testing.T) {
	const n, d = 90, 10
	rng := rand.New(rand.NewPCG(1, 2))
	X := make([]float64, n*d)
	label := make([]int, n)
	for i := 0; i < n; i++ {
		label[i] = i % 3
		for k := 0; k < d; k++ {
			X[i*d+k] = rng.NormFloat64()
			if k == label[i] {
				X[i*d+k] += 20
			}
		}
	}
	embed := func(workers int) []float64 {
		Y, err := Embed(context.Background(), X, n, d, Settings{Perplexity: 10, Workers: workers},
			rand.New(rand.NewPCG(3, 4)), nil)
		if err != nil {
			t.Fatal(err)
		}
		return Y
	}
	Y := embed(1)
	if !slices.Equal(Y, embed(4)) {
		t.Error("the embedding depends on the number of workers")
	}
	var cx, cy [3]float64
	for i := 0; i < n; i++ {
		cx[label[i]] += Y[2*i] / (n / 3)
		cy[label[i]] += Y[2*i+1] / (n / 3)
	}
	for i := 0; i < n; i++ {
		own := math.Hypot(Y[2*i]-cx[label[i]], Y[2*i+1]-cy[label[i]])
		for c := 0; c < 3; c++ {
			if c != label[i] && math.Hypot(Y[2*i]-cx[c], Y[2*i+1]-cy[c]) <= own {
				t.Fatalf("point %d of cluster %d is nearer cluster %d's centre", i, label[i], c)
			}
		}
	}
}

func TestEmbedRefusesBadInput(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 1))
	if _, err := Embed(context.Background(), []float64{1, 2, 3}, 3, 1, Settings{}, rng, nil); err == nil {
		t.Error("3 points accepted")
	}
	X := make([]float64, 40)
	X[7] = math.NaN()
	if _, err := Embed(context.Background(), X, 20, 2, Settings{Perplexity: 5}, rng, nil); err == nil {
		t.Error("NaN accepted")
	}
	if _, err := Embed(context.Background(), make([]float64, 40), 20, 2, Settings{Perplexity: 30}, rng, nil); err == nil {
		t.Error("perplexity 30 on 20 points accepted")
	}
}
