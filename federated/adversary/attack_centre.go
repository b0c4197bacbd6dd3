package adversary

import (
	"context"
	"fmt"
	"math"

	"gonum.org/v1/gonum/mat"

	"github.com/nistgmm/nistgmm/federated/estimates"
	"github.com/nistgmm/nistgmm/federated/internal/gauss"
	"github.com/nistgmm/nistgmm/federated/internal/kernel"
	"github.com/nistgmm/nistgmm/federated/mixture"
	"github.com/nistgmm/nistgmm/federated/server"
)

// honestView is what an attacker who sees every honest estimate learns
// from them: their centre (COAT under the server's distance), every
// estimate's components aligned to it, and per slot the mean and standard
// deviation of every parameter across estimates.
type honestView struct {
	centre *mixture.Mixture // per slot: the moment-matched aligned components, mean weight
	perms  [][]int          // per estimate, perm[k] its component aligned to slot k
	// Per slot, the standard deviation across estimates of the weight, of
	// every mean entry and of every covariance entry (row-major d x d).
	sdWeight []float64
	sdMean   [][]float64
	sdCov    [][]float64
	meanCov  [][]float64 // per slot, the mean of the aligned covariances
}

// viewHonest builds the attacker's view from ests (every machine's honest
// fit, before any is replaced).
func viewHonest(ctx context.Context, s *server.Server, ests []estimates.Estimate) (*honestView, error) {
	srv := *s
	srv.Known = nil
	round, err := srv.Prepare(ctx, ests)
	if err != nil {
		return nil, fmt.Errorf("the attacker's view: %w", err)
	}
	// The attacker factors the estimates the server found valid itself,
	// as the server does.
	comps := make([][]*gauss.Gaussian, len(ests))
	for _, i := range round.Valid {
		m := ests[i].Mixture
		if comps[i], err = gauss.MixtureComponents(m.Weights, m.Means, m.Covs); err != nil {
			return nil, fmt.Errorf("the attacker's view: estimate %d: %w", i, err)
		}
	}
	ref := comps[round.Coat]
	K, d := len(ref), len(ref[0].Mean)
	v := &honestView{perms: make([][]int, len(ests))}
	var used []int
	for _, i := range round.Valid {
		v.perms[i] = kernel.AlignTo(ref, comps[i], d)
		used = append(used, i)
	}
	v.centre = &mixture.Mixture{Weights: make([]float64, K)}
	v.sdWeight = make([]float64, K)
	n := float64(len(used))
	for k := 0; k < K; k++ {
		mean := make([]float64, d)
		cov := make([]float64, d*d)
		second := make([]float64, d*d)
		sdMean := make([]float64, d)
		var w, w2 float64
		for _, i := range used {
			g := comps[i][v.perms[i][k]]
			wk := ests[i].Mixture.Weights[v.perms[i][k]]
			w += wk / n
			w2 += wk * wk / n
			for x, mu := range g.Mean {
				mean[x] += mu / n
				sdMean[x] += mu * mu / n
			}
			for x, c := range g.Cov {
				cov[x] += c / n
				second[x] += c * c / n
			}
		}
		v.centre.Weights[k] = w
		v.sdWeight[k] = math.Sqrt(math.Max(w2-w*w, 0))
		for x := range sdMean {
			sdMean[x] = math.Sqrt(math.Max(sdMean[x]-mean[x]*mean[x], 0))
		}
		sdCov := make([]float64, d*d)
		for x := range sdCov {
			sdCov[x] = math.Sqrt(math.Max(second[x]-cov[x]*cov[x], 0))
		}
		// The centre's covariance is the moment match: the mean covariance
		// plus the spread of the means.
		centreCov := mat.NewSymDense(d, nil)
		for x := 0; x < d; x++ {
			for y := x; y < d; y++ {
				var spread float64
				for _, i := range used {
					g := comps[i][v.perms[i][k]]
					spread += (g.Mean[x] - mean[x]) * (g.Mean[y] - mean[y]) / n
				}
				centreCov.SetSym(x, y, cov[x*d+y]+spread)
			}
		}
		v.centre.Means = append(v.centre.Means, mean)
		v.centre.Covs = append(v.centre.Covs, centreCov)
		v.sdMean = append(v.sdMean, sdMean)
		v.sdCov = append(v.sdCov, sdCov)
		v.meanCov = append(v.meanCov, cov)
	}
	gauss.Normalize(v.centre.Weights)
	if _, err := gauss.MixtureComponents(v.centre.Weights, v.centre.Means, v.centre.Covs); err != nil {
		return nil, fmt.Errorf("the attacker's centre: %w", err)
	}
	return v, nil
}

// replaced returns ests with every Byzantine machine's mixture replaced by
// the one make gives it (j counts the Byzantine machines in order).
func replaced(ests []estimates.Estimate, byzantine []int, make func(j, i int) (*mixture.Mixture, error)) ([]estimates.Estimate, error) {
	out := append([]estimates.Estimate(nil), ests...)
	for j, i := range byzantine {
		m, err := make(j, i)
		if err != nil {
			return nil, err
		}
		out[i].Mixture = m
	}
	return out, nil
}

// symFrom returns the d x d symmetric matrix of row-major entries.
func symFrom(d int, entries []float64) *mat.SymDense {
	s := mat.NewSymDense(d, nil)
	for x := 0; x < d; x++ {
		for y := x; y < d; y++ {
			s.SetSym(x, y, 0.5*(entries[x*d+y]+entries[y*d+x]))
		}
	}
	return s
}

// blendPD returns base + t (target - base) for the largest t in {1, 1/2,
// 1/4, ...} (down to 2^-20) that is positive definite, and base otherwise.
func blendPD(base, target *mat.SymDense) *mat.SymDense {
	d := base.SymmetricDim()
	for t := 1.0; t > 1e-6; t /= 2 {
		out := mat.NewSymDense(d, nil)
		for x := 0; x < d; x++ {
			for y := x; y < d; y++ {
				out.SetSym(x, y, base.At(x, y)+t*(target.At(x, y)-base.At(x, y)))
			}
		}
		var ch mat.Cholesky
		if ch.Factorize(out) {
			return out
		}
	}
	out := mat.NewSymDense(d, nil)
	out.CopySym(base)
	return out
}
