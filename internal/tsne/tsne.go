// Package tsne embeds points in two dimensions by exact t-SNE (van der
// Maaten and Hinton, 2008), for pictures of a few thousand points.
//
// It is written here rather than taken from a library because the Go
// implementations draw their start from math/rand's global source, so the
// same seed would not give the same picture; this one takes a *rand.Rand
// and computes every sum in a fixed order, whatever the number of
// goroutines.
package tsne

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/nistgmm/nistgmm/internal/parallel"
)

// Settings are t-SNE's parameters; the zero value means the usual ones.
type Settings struct {
	Perplexity float64 // effective number of neighbours; 0 means 30
	Iterations int     // gradient steps; 0 means 1000
	// Workers bounds the goroutines; 0 means GOMAXPROCS.
	Workers int
}

func (s Settings) perplexity() float64 {
	if s.Perplexity > 0 {
		return s.Perplexity
	}
	return 30
}

func (s Settings) iterations() int {
	if s.Iterations > 0 {
		return s.Iterations
	}
	return 1000
}

// Embed returns the n x 2 embedding (row-major) of the n points of X
// (row-major, n x d). step, if not nil, is called after every iteration.
func Embed(ctx context.Context, X []float64, n, d int, s Settings, rng *rand.Rand, step func()) ([]float64, error) {
	if n < 4 || len(X) != n*d || d < 1 {
		return nil, fmt.Errorf("t-SNE needs at least 4 points with a common dimension, got %d values for %d points", len(X), n)
	}
	perp := s.perplexity()
	if perp >= float64(n-1) {
		return nil, fmt.Errorf("perplexity %g needs more than %g points, got %d", perp, perp+1, n)
	}
	for _, v := range X {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return nil, errors.New("t-SNE: the points hold NaN or infinite values")
		}
	}
	P, err := affinities(ctx, X, n, d, perp, s.Workers)
	if err != nil {
		return nil, err
	}
	Y := make([]float64, 2*n)
	for i := range Y {
		Y[i] = 1e-4 * rng.NormFloat64()
	}
	update := make([]float64, 2*n)
	gains := make([]float64, 2*n)
	for i := range gains {
		gains[i] = 1
	}
	grad := make([]float64, 2*n)
	rowZ := make([]float64, n)
	num := make([]float64, n*n)
	eta := math.Max(200, float64(n)/12)
	const exaggerationEnd = 250
	for it := 0; it < s.iterations(); it++ {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		exaggeration, momentum := 1.0, 0.8
		if it < exaggerationEnd {
			exaggeration, momentum = 12, 0.5
		}
		// Student-t kernel and its normalizer, summed row by row in order.
		parallel.For(ctx, n, s.Workers, func(i int) error {
			var z float64
			for j := 0; j < n; j++ {
				if j == i {
					num[i*n+j] = 0
					continue
				}
				dx, dy := Y[2*i]-Y[2*j], Y[2*i+1]-Y[2*j+1]
				q := 1 / (1 + dx*dx + dy*dy)
				num[i*n+j] = q
				z += q
			}
			rowZ[i] = z
			return nil
		})
		var Z float64
		for _, z := range rowZ {
			Z += z
		}
		parallel.For(ctx, n, s.Workers, func(i int) error {
			var gx, gy float64
			for j := 0; j < n; j++ {
				if j == i {
					continue
				}
				q := num[i*n+j]
				f := (exaggeration*P[i*n+j] - q/Z) * q
				gx += f * (Y[2*i] - Y[2*j])
				gy += f * (Y[2*i+1] - Y[2*j+1])
			}
			grad[2*i], grad[2*i+1] = 4*gx, 4*gy
			return nil
		})
		for k := range Y {
			if (grad[k] > 0) != (update[k] > 0) {
				gains[k] += 0.2
			} else {
				gains[k] = math.Max(gains[k]*0.8, 0.01)
			}
			update[k] = momentum*update[k] - eta*gains[k]*grad[k]
			Y[k] += update[k]
		}
		var mx, my float64
		for i := 0; i < n; i++ {
			mx += Y[2*i] / float64(n)
			my += Y[2*i+1] / float64(n)
		}
		for i := 0; i < n; i++ {
			Y[2*i] -= mx
			Y[2*i+1] -= my
		}
		if step != nil {
			step()
		}
	}
	return Y, nil
}

// affinities returns the symmetric joint probabilities P (n x n): each
// point's Gaussian conditional distribution over the others, with the
// bandwidth found by bisection so that its perplexity is perp, then
// P = (P_j|i + P_i|j) / 2n.
func affinities(ctx context.Context, X []float64, n, d int, perp float64, workers int) ([]float64, error) {
	cond := make([]float64, n*n)
	target := math.Log(perp)
	err := parallel.For(ctx, n, workers, func(i int) error {
		dist := make([]float64, n)
		for j := 0; j < n; j++ {
			var s float64
			for k := 0; k < d; k++ {
				t := X[i*d+k] - X[j*d+k]
				s += t * t
			}
			dist[j] = s
		}
		row := cond[i*n : (i+1)*n]
		beta, lo, hi := 1.0, 0.0, math.Inf(1)
		for step := 0; step < 100; step++ {
			// Entropy of the row at precision beta, shifted by the
			// nearest distance so that exp never underflows entirely.
			minD := math.Inf(1)
			for j, v := range dist {
				if j != i {
					minD = math.Min(minD, v)
				}
			}
			var sum, wsum float64
			for j, v := range dist {
				if j == i {
					row[j] = 0
					continue
				}
				p := math.Exp(-(v - minD) * beta)
				row[j] = p
				sum += p
				wsum += (v - minD) * p
			}
			H := math.Log(sum) + beta*wsum/sum
			for j := range row {
				row[j] /= sum
			}
			if math.Abs(H-target) < 1e-5 {
				break
			}
			if H > target {
				lo = beta
				if math.IsInf(hi, 1) {
					beta *= 2
				} else {
					beta = (beta + hi) / 2
				}
			} else {
				hi = beta
				beta = (beta + lo) / 2
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	P := make([]float64, n*n)
	for i := 0; i < n; i++ {
		for j := 0; j < n; j++ {
			P[i*n+j] = math.Max((cond[i*n+j]+cond[j*n+i])/(2*float64(n)), 1e-12)
		}
	}
	return P, nil
}
