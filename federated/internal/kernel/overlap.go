package kernel

import (
	"fmt"
	"math"

	"github.com/nistgmm/nistgmm/internal/chol4"
	"gonum.org/v1/gonum/floats"

	"github.com/nistgmm/nistgmm/federated/internal/gauss"
)

// The inner product of two mixtures, <f, g> = sum_kl w_k w'_l
// phi(mu_k; mu'_l, S_k + S'_l), which ISE and CS are made of, needs for every
// pair of components the Cholesky factorization of S_k + S'_l and the
// solve with mu'_l - mu_k. Table 2's fifty estimates (order 10, dimension
// 50) make 127,500 such 50 x 50 systems: one at a time, with LAPACK or a
// blocked factorization over OpenBLAS, they cost 6 to 9 microseconds each;
// four at a time with internal/chol4's four-wide kernels, 2.5.

// overlapSystems are one mixture's components as chol4 systems (the lower
// triangle of the covariance, row by row, then the mean). A pair's system
// S_k + S'_l with right-hand side mu'_l - mu_k is one component of the
// first mixture, from single, added to four of the second's, from groups.
type overlapSystems struct {
	// single[k] is component k with its mean negated.
	single [][]float64
	// groups[g] is components 4g..4g+3 interleaved (chol4.Interleave);
	// the last group repeats the last component where the order is not a
	// multiple of four.
	groups [][]float64
}

func newOverlapSystems(comps []*gauss.Gaussian) *overlapSystems {
	d := len(comps[0].Mean)
	n := chol4.Len(d)
	s := &overlapSystems{}
	plain := make([][]float64, len(comps))
	for k, g := range comps {
		sys := make([]float64, 0, n)
		for i := 0; i < d; i++ {
			sys = append(sys, g.Cov[i*d:i*d+i+1]...)
		}
		plain[k] = append(sys, g.Mean...)
		neg := append([]float64(nil), plain[k]...)
		for i := n - d; i < n; i++ {
			neg[i] = -neg[i]
		}
		s.single = append(s.single, neg)
	}
	for first := 0; first < len(comps); first += chol4.Lanes {
		var src [chol4.Lanes][]float64
		for x := range src {
			src[x] = plain[min(first+x, len(comps)-1)]
		}
		group := make([]float64, chol4.Lanes*n)
		chol4.Interleave(group, src)
		s.groups = append(s.groups, group)
	}
	return s
}

// prepareInner fills p.systems and p.logSelf = log <f, f>, which every
// distance from the inner products needs.
func (p *DistanceInput) PrepareInner() error {
	p.systems = newOverlapSystems(p.Comps)
	v, err := LogInner(p, p, NewOverlapScratch(len(p.Comps[0].Mean)), nil)
	if err != nil {
		return err
	}
	p.logSelf = v
	return nil
}

// overlapScratch is the batch logInner factors in, so a worker reuses it
// across the many pairs it evaluates.
type overlapScratch struct {
	d     int
	batch []float64
}

func NewOverlapScratch(d int) *overlapScratch {
	return &overlapScratch{d: d, batch: make([]float64, chol4.Lanes*chol4.Len(d))}
}

// logInner returns log <f_a, f_b> = log sum_kl w_k w'_l phi(mu_k; mu'_l, S_k + S'_l),
// by log-sum-exp over the component pairs, in the order k, then l. Both
// mixtures must have been through prepareInner.
//
// Each overlap is log phi(mu_k; mu'_l, S_k + S'_l) = -(d log 2pi + log det
// (S_k + S'_l) + q) / 2 with q the squared norm of L^-1 (mu'_l - mu_k): a
// log density, which never underflows however far apart the components
// are.
//
// A mixture with itself has each pair of distinct components twice, with
// the same overlap (the sum of the covariances is the same, the difference
// of the means only changes sign); a group of four components all before k
// is read from the pairs already computed.
func LogInner(a, b *DistanceInput, s *overlapScratch, terms []float64) (float64, error) {
	d, K := s.d, len(b.Comps)
	terms = terms[:0]
	var self []float64 // with a == b: the overlap of components k and l at k*K+l
	if a == b {
		self = make([]float64, K*K)
	}
	for k := range a.Comps {
		if math.IsInf(a.logw[k], -1) {
			continue
		}
		for g, group := range b.systems.groups {
			first := g * chol4.Lanes
			lanes := min(chol4.Lanes, K-first)
			var lo [chol4.Lanes]float64
			if self != nil && first+lanes <= k {
				for x := range lanes {
					lo[x] = self[(first+x)*K+k]
				}
			} else {
				chol4.AddBroadcast(s.batch, a.systems.single[k], group)
				ok, err := chol4.Factor(s.batch, d)
				if err != nil {
					return 0, fmt.Errorf("component overlaps: %w", err)
				}
				logDet, quad := chol4.LogDetQuad(s.batch, d)
				for x := range lanes {
					if !ok[x] && !math.IsInf(b.logw[first+x], -1) {
						return 0, fmt.Errorf("components %d and %d: the sum of their covariances: %w", k, first+x, gauss.ErrNotPositiveDefinite)
					}
					lo[x] = -0.5 * (float64(d)*gauss.Log2Pi + logDet[x] + quad[x])
					if self != nil {
						self[k*K+first+x] = lo[x]
					}
				}
			}
			for x := range lanes {
				if l := first + x; !math.IsInf(b.logw[l], -1) {
					terms = append(terms, a.logw[k]+b.logw[l]+lo[x])
				}
			}
		}
	}
	return floats.LogSumExp(terms), nil
}
