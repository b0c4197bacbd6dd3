package adversary

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"sort"

	"gonum.org/v1/gonum/mat"

	"github.com/nistgmm/nistgmm/federated/estimates"
	"github.com/nistgmm/nistgmm/federated/internal/gauss"
	"github.com/nistgmm/nistgmm/federated/mixture"
	"github.com/nistgmm/nistgmm/federated/server"
)

const (
	// Capture aims at COAT: every Byzantine machine sends one identical
	// mixture built from the honest centre with K/3 pairs of components
	// merged and K/3 others split (three of each for K = 10). Copies are at
	// distance 0 from each other, so with a trusting server they make the
	// smallest ball; the merges cost little under a mixture-level distance.
	Capture Failure = "capture"
	// CaptureJitter sends the capture mixture with, on each Byzantine
	// machine, the deviation of a distinct honest estimate from the honest
	// centre transplanted onto it (means shifted, covariances transformed,
	// weights rescaled slot by slot), so that the copies scatter exactly as
	// honest fits do and no copy rule can see them.
	CaptureJitter Failure = "capture-jitter"
)

// captureMixture returns the honest centre with min(K/3) pairs of the
// closest components merged (moment-matched into the first slot of the
// pair) and as many of the heaviest other components split along their
// principal axis into their own slot and a freed one, first and second
// moments kept. Slot k of the result derives from slot k of the centre, or
// holds a split half.
func captureMixture(c *mixture.Mixture) (*mixture.Mixture, string, error) {
	comps, err := gauss.MixtureComponents(c.Weights, c.Means, c.Covs)
	if err != nil {
		return nil, "", err
	}
	K, d := c.K(), c.Dim()
	n := K / 3
	out := c.Clone()
	if n == 0 {
		return out, "no merge (K < 3)", nil
	}
	type pair struct {
		a, b int
		j    float64
	}
	var pairs []pair
	diff := make([]float64, d)
	for a := 0; a < K; a++ {
		for b := a + 1; b < K; b++ {
			pairs = append(pairs, pair{a, b, gauss.KlGauss(comps[a], comps[b], diff) + gauss.KlGauss(comps[b], comps[a], diff)})
		}
	}
	sort.SliceStable(pairs, func(x, y int) bool { return pairs[x].j < pairs[y].j })
	used := make([]bool, K)
	var freed []int
	var merged [][2]int
	for _, p := range pairs {
		if len(merged) == n {
			break
		}
		if used[p.a] || used[p.b] {
			continue
		}
		used[p.a], used[p.b] = true, true
		merged = append(merged, [2]int{p.a, p.b})
		freed = append(freed, p.b)
		wa, wb := c.Weights[p.a], c.Weights[p.b]
		w := wa + wb
		mean := make([]float64, d)
		for x := range mean {
			mean[x] = (wa*c.Means[p.a][x] + wb*c.Means[p.b][x]) / w
		}
		cov := mat.NewSymDense(d, nil)
		for x := 0; x < d; x++ {
			for y := x; y < d; y++ {
				v := 0.0
				for _, s := range []struct {
					w float64
					k int
				}{{wa, p.a}, {wb, p.b}} {
					v += s.w / w * (c.Covs[s.k].At(x, y) + (c.Means[s.k][x]-mean[x])*(c.Means[s.k][y]-mean[y]))
				}
				cov.SetSym(x, y, v)
			}
		}
		out.Weights[p.a], out.Means[p.a], out.Covs[p.a] = w, mean, cov
	}
	var heavy []int
	for k := 0; k < K; k++ {
		if !used[k] {
			heavy = append(heavy, k)
		}
	}
	sort.SliceStable(heavy, func(x, y int) bool { return c.Weights[heavy[x]] > c.Weights[heavy[y]] })
	var split []int
	for s, k := range heavy {
		if s == len(freed) {
			break
		}
		var eig mat.EigenSym
		if !eig.Factorize(c.Covs[k], true) {
			return nil, "", fmt.Errorf("capture: eigen-decomposition of component %d failed", k)
		}
		vals := eig.Values(nil)
		var vecs mat.Dense
		eig.VectorsTo(&vecs)
		top := len(vals) - 1 // ascending
		lam := vals[top]
		const u = 0.5 // offsets +-u sqrt(lam) keep the first two moments
		half := mat.NewSymDense(d, nil)
		for x := 0; x < d; x++ {
			for y := x; y < d; y++ {
				half.SetSym(x, y, c.Covs[k].At(x, y)-lam*u*u*vecs.At(x, top)*vecs.At(y, top))
			}
		}
		plus := make([]float64, d)
		minus := make([]float64, d)
		for x := range plus {
			off := u * math.Sqrt(lam) * vecs.At(x, top)
			plus[x], minus[x] = c.Means[k][x]+off, c.Means[k][x]-off
		}
		f := freed[s]
		w := c.Weights[k] / 2
		halfCopy := mat.NewSymDense(d, nil)
		halfCopy.CopySym(half)
		out.Weights[k], out.Means[k], out.Covs[k] = w, minus, half
		out.Weights[f], out.Means[f], out.Covs[f] = w, plus, halfCopy
		split = append(split, k)
	}
	gauss.Normalize(out.Weights)
	if err := out.Validate(); err != nil {
		return nil, "", fmt.Errorf("capture: %w", err)
	}
	return out, fmt.Sprintf("%d pairs merged %v, components %v split", len(merged), merged, split), nil
}

// craftCapture sends the capture mixture, identical (jitter false) or with
// honest deviations transplanted (jitter true, donors drawn with rng).
func craftCapture(ctx context.Context, s *server.Server, ests []estimates.Estimate, byzantine []int, jitter bool, rng *rand.Rand) ([]estimates.Estimate, *AttackReport, error) {
	view, err := viewHonest(ctx, s, ests)
	if err != nil {
		return nil, nil, err
	}
	target, detail, err := captureMixture(view.centre)
	if err != nil {
		return nil, nil, err
	}
	if !jitter {
		out, err := replaced(ests, byzantine, func(int, int) (*mixture.Mixture, error) { return target.Clone(), nil })
		return out, &AttackReport{Kind: Capture, Detail: detail + ", identical copies"}, err
	}
	isByz := map[int]bool{}
	for _, b := range byzantine {
		isByz[b] = true
	}
	var donors []int
	for i := range ests {
		if !isByz[i] && view.perms[i] != nil {
			donors = append(donors, i)
		}
	}
	if len(donors) == 0 {
		return nil, nil, fmt.Errorf("capture-jitter: no honest estimate to copy the scatter of")
	}
	rng.Shuffle(len(donors), func(a, b int) { donors[a], donors[b] = donors[b], donors[a] })
	out, err := replaced(ests, byzantine, func(j, _ int) (*mixture.Mixture, error) {
		h := donors[j%len(donors)]
		return transplant(target, view.centre, ests[h].Mixture, view.perms[h])
	})
	if err != nil {
		return nil, nil, fmt.Errorf("capture-jitter: %w", err)
	}
	return out, &AttackReport{Kind: CaptureJitter, Detail: detail + ", each copy with an honest estimate's scatter"}, nil
}

// transplant returns target moved as donor deviates from centre, slot by
// slot (perm aligns donor to centre): mean + (donor mean - centre mean),
// covariance A S_donor A^T with A = L_target L_centre^-1 (Cholesky factors),
// weight times donor weight / centre weight.
func transplant(target, centre, donor *mixture.Mixture, perm []int) (*mixture.Mixture, error) {
	K, d := target.K(), target.Dim()
	out := target.Clone()
	for k := 0; k < K; k++ {
		l := perm[k]
		for x := range out.Means[k] {
			out.Means[k][x] += donor.Means[l][x] - centre.Means[k][x]
		}
		var lt, lc mat.Cholesky
		if !lt.Factorize(target.Covs[k]) || !lc.Factorize(centre.Covs[k]) {
			return nil, fmt.Errorf("slot %d: covariance not positive definite", k)
		}
		var LT, LC mat.TriDense
		lt.LTo(&LT)
		lc.LTo(&LC)
		var A, tmp mat.Dense
		// A = L_target L_centre^-1: solve A L_centre = L_target.
		if err := tmp.Solve(LC.T(), LT.T()); err != nil {
			return nil, fmt.Errorf("slot %d: %w", k, err)
		}
		A.CloneFrom(tmp.T())
		var s mat.Dense
		s.Mul(&A, donor.Covs[l])
		s.Mul(&s, A.T())
		cov := mat.NewSymDense(d, nil)
		for x := 0; x < d; x++ {
			for y := x; y < d; y++ {
				cov.SetSym(x, y, 0.5*(s.At(x, y)+s.At(y, x)))
			}
		}
		out.Covs[k] = cov
		if centre.Weights[k] > 0 {
			out.Weights[k] *= donor.Weights[l] / centre.Weights[k]
		}
	}
	gauss.Normalize(out.Weights)
	if err := out.Validate(); err != nil {
		return nil, err
	}
	return out, nil
}
