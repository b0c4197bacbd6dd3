package eval

import (
	"fmt"
	"math"

	"gonum.org/v1/gonum/mat"
	"gonum.org/v1/gonum/optimize/convex/lp"

	"github.com/nistgmm/nistgmm/federated/mixture"
)

// ComponentDistance is D1 of Appendix C.1 between two Gaussian components:
// ||mu - mu'||_2 + ||Sigma^(1/2) - Sigma'^(1/2)||_F, with the symmetric
// positive semi-definite square roots.
func ComponentDistance(mu1 []float64, s1 *mat.SymDense, mu2 []float64, s2 *mat.SymDense) (float64, error) {
	if len(mu1) != len(mu2) {
		return 0, fmt.Errorf("means of length %d and %d", len(mu1), len(mu2))
	}
	var m float64
	for i := range mu1 {
		d := mu1[i] - mu2[i]
		m += d * d
	}
	r1, err := sqrtm(s1)
	if err != nil {
		return 0, err
	}
	r2, err := sqrtm(s2)
	if err != nil {
		return 0, err
	}
	var diff mat.Dense
	diff.Sub(r1, r2)
	return math.Sqrt(m) + mat.Norm(&diff, 2), nil
}

// sqrtm returns the symmetric square root V diag(sqrt(lambda)) V^T.
func sqrtm(s *mat.SymDense) (*mat.Dense, error) {
	var eig mat.EigenSym
	if !eig.Factorize(s, true) {
		return nil, fmt.Errorf("eigendecomposition failed")
	}
	vals := eig.Values(nil)
	var v mat.Dense
	eig.VectorsTo(&v)
	n := len(vals)
	root := mat.NewDense(n, n, nil)
	for k, l := range vals {
		if l < 0 {
			l = 0 // rounding of a semi-definite matrix
		}
		r := math.Sqrt(l)
		for i := 0; i < n; i++ {
			for j := 0; j < n; j++ {
				root.Set(i, j, root.At(i, j)+r*v.At(i, k)*v.At(j, k))
			}
		}
	}
	return root, nil
}

// W1 is the transportation distance between the mixing distributions of a
// and b with cost D1, solved as a linear program with gonum's simplex.
func W1(a, b *mixture.Mixture) (float64, error) {
	if err := a.Validate(); err != nil {
		return 0, fmt.Errorf("W1: first mixture: %w", err)
	}
	if err := b.Validate(); err != nil {
		return 0, fmt.Errorf("W1: second mixture: %w", err)
	}
	ka, kb := a.K(), b.K()
	cost := make([]float64, ka*kb)
	for k := 0; k < ka; k++ {
		for l := 0; l < kb; l++ {
			c, err := ComponentDistance(a.Means[k], a.Covs[k], b.Means[l], b.Covs[l])
			if err != nil {
				return 0, fmt.Errorf("W1: %w", err)
			}
			cost[k*kb+l] = c
		}
	}
	if ka == 1 || kb == 1 {
		// Only one plan exists.
		var v float64
		for k := 0; k < ka; k++ {
			for l := 0; l < kb; l++ {
				v += a.Weights[k] * b.Weights[l] * cost[k*kb+l]
			}
		}
		return v, nil
	}
	// Equality constraints: row sums for every k, column sums for all but
	// the last l (implied by the others; dropping it gives full row rank).
	rows := ka + kb - 1
	A := mat.NewDense(rows, ka*kb, nil)
	rhs := make([]float64, rows)
	for k := 0; k < ka; k++ {
		for l := 0; l < kb; l++ {
			A.Set(k, k*kb+l, 1)
			if l < kb-1 {
				A.Set(ka+l, k*kb+l, 1)
			}
		}
		rhs[k] = a.Weights[k]
	}
	for l := 0; l < kb-1; l++ {
		rhs[ka+l] = b.Weights[l]
	}
	v, _, err := lp.Simplex(cost, A, rhs, 1e-12, nil)
	if err != nil {
		return 0, fmt.Errorf("W1: %w", err)
	}
	return v, nil
}
