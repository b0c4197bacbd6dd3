package mixture

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"gonum.org/v1/gonum/floats"
	"gonum.org/v1/gonum/mat"
)

// kmeansPlain is k-means with the plain scan of every centre for every
// point, which kmeans's screened assignment must reproduce exactly.
func kmeansPlain(X *mat.Dense, K int, rng *rand.Rand, iters int) []int {
	return lloydPlain(X, seedKMeansPP(X, K, rng), iters)
}

// lloydPlain is lloyd with every distance computed, as first written.
func lloydPlain(X *mat.Dense, centers [][]float64, iters int) []int {
	n, _ := X.Dims()
	K := len(centers)
	dist := make([]float64, n)
	labels := make([]int, n)
	counts := make([]int, K)
	for it := 0; it < iters; it++ {
		changed := false
		for j := 0; j < n; j++ {
			x := X.RawRowView(j)
			best, bestD := 0, math.Inf(1)
			for k, c := range centers {
				var dd float64
				for i, v := range x {
					t := v - c[i]
					dd += t * t
				}
				if dd < bestD {
					best, bestD = k, dd
				}
			}
			if labels[j] != best {
				changed = true
				labels[j] = best
			}
			dist[j] = bestD
		}
		if it > 0 && !changed {
			break
		}
		for k := range centers {
			for i := range centers[k] {
				centers[k][i] = 0
			}
			counts[k] = 0
		}
		for j, l := range labels {
			floats.Add(centers[l], X.RawRowView(j))
			counts[l]++
		}
		for k := range centers {
			if counts[k] == 0 {
				// Re-seed an empty cluster at the point farthest from its centre.
				far := floats.MaxIdx(dist)
				copy(centers[k], X.RawRowView(far))
				dist[far] = 0
				continue
			}
			floats.Scale(1/float64(counts[k]), centers[k])
		}
	}
	// Every cluster must hold a point for the hard M step.
	for k := range counts {
		counts[k] = 0
	}
	for _, l := range labels {
		counts[l]++
	}
	for k := range counts {
		if counts[k] == 0 {
			far := floats.MaxIdx(dist)
			if counts[labels[far]] > 1 {
				counts[labels[far]]--
				labels[far] = k
				counts[k] = 1
			}
			dist[far] = 0
		}
	}
	return labels
}

func TestKMeansMatchesThePlainScan(t *testing.T) {
	for _, c := range []struct {
		k, d int
		sep  float64
	}{{10, 50, 1}, {5, 10, 3}, {3, 2, 0.2}} {
		X, _, err := randomMixture(rand.New(rand.NewPCG(4, uint64(c.d))), c.k, c.d, c.sep).Sample(3000, rand.New(rand.NewPCG(5, 1)))
		if err != nil {
			t.Fatal(err)
		}
		// Shift far from the origin: the screening's rounding grows with |x|.
		shifted := mat.DenseCopyOf(X)
		for j := 0; j < 3000; j++ {
			floats.AddConst(1000, shifted.RawRowView(j))
		}
		for _, data := range []*mat.Dense{X, shifted} {
			for seed := uint64(0); seed < 3; seed++ {
				got := kmeans(data, c.k, rand.New(rand.NewPCG(seed, 9)), 20)
				want := kmeansPlain(data, c.k, rand.New(rand.NewPCG(seed, 9)), 20)
				if !slices.Equal(got, want) {
					t.Fatalf("%+v seed %d: screened k-means labels differ from the plain scan", c, seed)
				}
			}
		}
	}
}

// Empty clusters are re-seeded at the point farthest from its centre, which
// needs every point's distance of the last pass, including the points the
// bounds did not look at: with repeated points (fewer distinct ones than
// clusters, or barely more) the labels are still the plain scan's.
func TestKMeansReseedsLikeThePlainScan(t *testing.T) {
	for _, distinct := range []int{5, 12, 40} {
		rng := rand.New(rand.NewPCG(11, uint64(distinct)))
		base := make([][]float64, distinct)
		for i := range base {
			base[i] = []float64{rng.NormFloat64(), rng.NormFloat64(), 3 * rng.NormFloat64()}
		}
		X := mat.NewDense(600, 3, nil)
		for j := 0; j < 600; j++ {
			p := base[rng.IntN(distinct)]
			if j%3 == 0 {
				p = base[0] // one heavy point
			}
			copy(X.RawRowView(j), p)
			if j%7 == 0 { // a little spread around some copies
				for i := range p {
					X.Set(j, i, p[i]+1e-3*rng.NormFloat64())
				}
			}
		}
		for seed := uint64(0); seed < 20; seed++ {
			got := kmeans(X, 10, rand.New(rand.NewPCG(seed, 3)), 20)
			want := kmeansPlain(X, 10, rand.New(rand.NewPCG(seed, 3)), 20)
			if !slices.Equal(got, want) {
				t.Fatalf("%d distinct points, seed %d: labels differ from the plain scan", distinct, seed)
			}
		}
	}
}

// From arbitrary starts (centres far from the data, coinciding centres),
// clusters empty out in later iterations too, when the bounds have left
// some points unvisited; the re-seedings must still be the plain ones.
func TestLloydFromArbitraryStartsMatchesThePlainScan(t *testing.T) {
	for trial := uint64(0); trial < 400; trial++ {
		rng := rand.New(rand.NewPCG(trial, 13))
		n, k, d := 30+rng.IntN(150), 2+rng.IntN(9), 1+rng.IntN(3)
		X := mat.NewDense(n, d, nil)
		for j := 0; j < n; j++ {
			for i := 0; i < d; i++ {
				X.Set(j, i, float64(rng.IntN(5))+0.3*rng.NormFloat64())
			}
		}
		start := func() [][]float64 {
			r := rand.New(rand.NewPCG(trial, 14))
			c := make([][]float64, k)
			for a := range c {
				c[a] = make([]float64, d)
				for i := range c[a] {
					c[a][i] = 8 * r.NormFloat64()
				}
				if a > 0 && r.IntN(4) == 0 {
					copy(c[a], c[a-1])
				}
			}
			return c
		}
		got, want := lloyd(X, start(), 20), lloydPlain(X, start(), 20)
		if !slices.Equal(got, want) {
			t.Fatalf("trial %d (n %d, k %d, d %d): labels differ from the plain scan", trial, n, k, d)
		}
	}
}

// Leaving negligible responsibilities out of the scatter matrices changes
// the M step by far less than the convergence tolerance.
func TestSparseMStepMatchesTheDenseOne(t *testing.T) {
	for _, sep := range []float64{1, 4} {
		rng := rand.New(rand.NewPCG(8, uint64(sep)))
		truth := randomMixture(rng, 10, 20, sep)
		X, _, err := truth.Sample(4000, rng)
		if err != nil {
			t.Fatal(err)
		}
		s, err := newEMState(X, 10, 1/math.Sqrt(4000))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.eStep(truth); err != nil {
			t.Fatal(err)
		}
		s.negligible = -1
		dense := s.mStep(truth)
		s.negligible = negligibleResp
		sparse := s.mStep(truth)
		for k := range dense.Covs {
			var diff, size float64
			for i := 0; i < 20; i++ {
				for j := 0; j < 20; j++ {
					diff = math.Max(diff, math.Abs(dense.Covs[k].At(i, j)-sparse.Covs[k].At(i, j)))
					size = math.Max(size, math.Abs(dense.Covs[k].At(i, j)))
				}
			}
			if diff > 1e-10*size {
				t.Errorf("sep %v component %d: sparse covariance differs by %.3g (entries up to %.3g)", sep, k, diff, size)
			}
		}
	}
}
