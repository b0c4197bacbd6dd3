package mixture

import (
	"math"
	"math/rand/v2"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/blas64"
	"gonum.org/v1/gonum/floats"
	"gonum.org/v1/gonum/mat"
)

// kmeans clusters the rows of X by k-means++ seeding followed by at most
// iters Lloyd iterations, and returns the labels: those of the plain
// algorithm (every distance computed exactly, ties to the lower index).
func kmeans(X *mat.Dense, K int, rng *rand.Rand, iters int) []int {
	return lloyd(X, seedKMeansPP(X, K, rng), iters)
}

// seedKMeansPP returns K rows of X drawn by k-means++ seeding.
func seedKMeansPP(X *mat.Dense, K int, rng *rand.Rand) [][]float64 {
	n, _ := X.Dims()
	centers := make([][]float64, 0, K)
	dist := make([]float64, n)
	for j := range dist {
		dist[j] = math.Inf(1)
	}
	next := rng.IntN(n)
	for len(centers) < K {
		c := append([]float64(nil), X.RawRowView(next)...)
		centers = append(centers, c)
		var total float64
		for j := 0; j < n; j++ {
			if dd := floats.Distance(X.RawRowView(j), c, 2); dd*dd < dist[j] {
				dist[j] = dd * dd
			}
			total += dist[j]
		}
		if len(centers) == K {
			break
		}
		if total == 0 { // fewer distinct points than K: pick uniformly
			next = rng.IntN(n)
			continue
		}
		u := rng.Float64() * total
		next = n - 1
		for j := 0; j < n; j++ {
			u -= dist[j]
			if u < 0 {
				next = j
				break
			}
		}
	}
	return centers
}

// lloyd runs at most iters Lloyd iterations from the given centres (which
// it overwrites) and returns the labels.
func lloyd(X *mat.Dense, centers [][]float64, iters int) []int {
	n, _ := X.Dims()
	K := len(centers)
	dist := make([]float64, n)
	labels := make([]int, n)
	counts := make([]int, K)
	// Assignments are screened by one matrix product per iteration,
	// ||x - c||^2 = ||x||^2 - 2 x.c + ||c||^2, and the centres within a
	// window of rounding of the least are compared exactly, so the labels
	// and distances are those of the plain scan (ties to the lower index).
	d := len(centers[0])
	xnorm := make([]float64, n)
	for j := range xnorm {
		x := X.RawRowView(j)
		xnorm[j] = floats.Dot(x, x)
	}
	cm := make([]float64, K*d)
	cnorm := make([]float64, K)
	cross := make([]float64, n*K)
	xr := X.RawMatrix()
	for it := 0; it < iters; it++ {
		changed := false
		var most float64
		for k, c := range centers {
			copy(cm[k*d:(k+1)*d], c)
			cnorm[k] = floats.Dot(c, c)
			most = math.Max(most, cnorm[k])
		}
		blas64.Gemm(blas.NoTrans, blas.Trans, 1, blas64.General{Rows: n, Cols: d, Stride: xr.Stride, Data: xr.Data},
			blas64.General{Rows: K, Cols: d, Stride: d, Data: cm}, 0, blas64.General{Rows: n, Cols: K, Stride: K, Data: cross})
		for j := 0; j < n; j++ {
			x := X.RawRowView(j)
			row := cross[j*K : (j+1)*K]
			least := math.Inf(1)
			for k := range row {
				row[k] = cnorm[k] - 2*row[k]
				if row[k] < least {
					least = row[k]
				}
			}
			window := 1e-9 * (xnorm[j] + most + 1)
			best, bestD := 0, math.Inf(1)
			for k, c := range centers {
				if row[k] > least+window {
					continue
				}
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
