package mixsim

import (
	"errors"
	"fmt"
	"math"

	"gonum.org/v1/gonum/mat"

	"github.com/nistgmm/nistgmm/federated/mixture"
)

// Overlap describes how much the components of a mixture overlap.
type Overlap struct {
	// Map holds the pairwise misclassification probabilities:
	// Map[i][j] = o_{j|i} = P(w_i phi_i(X) < w_j phi_j(X) | X ~ phi_i), 0 on
	// the diagonal.
	Map [][]float64
	// Max is MaxOmega, the largest o_{j|i} + o_{i|j} over pairs, and Pair
	// the pair (i < j) attaining it; Bar is BarOmega, the mean of
	// o_{j|i} + o_{i|j} over the K (K - 1) / 2 pairs.
	Max  float64
	Pair [2]int
	Bar  float64
}

// ComputeOverlap returns the exact pairwise overlaps of m (to an absolute
// error far below 1e-6; no Monte Carlo). A mixture of one component has no
// pairs and overlap 0.
func ComputeOverlap(m *mixture.Mixture) (*Overlap, error) {
	if err := m.Validate(); err != nil {
		return nil, fmt.Errorf("overlap: %w", err)
	}
	k := m.K()
	comps := make([]component, k)
	for i := range comps {
		c, err := newComponent(m.Means[i], m.Covs[i])
		if err != nil {
			return nil, fmt.Errorf("overlap: component %d: %w", i, err)
		}
		comps[i] = c
	}
	ov := &Overlap{Map: make([][]float64, k)}
	for i := range ov.Map {
		ov.Map[i] = make([]float64, k)
	}
	for i := 0; i < k; i++ {
		for j := 0; j < k; j++ {
			if i == j {
				continue
			}
			o, err := pairOverlap(comps[i], comps[j], m.Weights[i], m.Weights[j])
			if err != nil {
				return nil, fmt.Errorf("overlap of component %d into %d: %w", i, j, err)
			}
			ov.Map[i][j] = o
		}
	}
	pairs := 0
	ov.Max = math.Inf(-1)
	for i := 0; i < k; i++ {
		for j := i + 1; j < k; j++ {
			s := ov.Map[i][j] + ov.Map[j][i]
			ov.Bar += s
			pairs++
			if s > ov.Max {
				ov.Max, ov.Pair = s, [2]int{i, j}
			}
		}
	}
	if pairs == 0 {
		ov.Max = 0
		return ov, nil
	}
	ov.Bar /= float64(pairs)
	return ov, nil
}

// component is a Gaussian with its Cholesky factor.
type component struct {
	mean []float64
	chol *mat.Cholesky
	l    *mat.TriDense
}

func newComponent(mean []float64, cov *mat.SymDense) (component, error) {
	var ch mat.Cholesky
	if !ch.Factorize(cov) {
		return component{}, mixture.ErrNotPositiveDefinite
	}
	var l mat.TriDense
	ch.LTo(&l)
	return component{mean: mean, chol: &ch, l: &l}, nil
}

// unitEigen is how close to 1 an eigenvalue of L_i^T Sigma_j^-1 L_i must be
// for its term to be treated as normal: the chi-square part it drops has
// standard deviation below sqrt(2) 1e-8 on the scale of the form.
const unitEigen = 1e-8

// pairOverlap returns o_{j|i} = P(w_i phi_i(X) < w_j phi_j(X)) for
// X ~ phi_i. Writing X = mu_i + L_i Z (Sigma_i = L_i L_i^T) and
// A = L_i^T Sigma_j^-1 L_i = G diag(lambda) G^T, U = G^T Z and
// c = G^T L_i^-1 (mu_i - mu_j), the event is
//
//	sum_k (1 - lambda_k) U_k^2 - 2 lambda_k c_k U_k - lambda_k c_k^2 > 2 log(w_i / w_j) + log(|Sigma_j| / |Sigma_i|),
//
// a quadratic form: each k with lambda_k != 1 completes to
// (1 - lambda_k) (U_k - lambda_k c_k / (1 - lambda_k))^2 - lambda_k c_k^2 / (1 - lambda_k),
// and the k with lambda_k = 1 form a normal term. With equal covariances
// every lambda is 1 and the overlap is the normal probability
// Phi(-Delta / 2 - log(w_i / w_j) / Delta), Delta the Mahalanobis distance.
func pairOverlap(ci, cj component, wi, wj float64) (float64, error) {
	if wi == 0 {
		return 0, nil // X ~ phi_i never happens: nothing to misclassify
	}
	if wj == 0 {
		return 0, nil
	}
	d := len(ci.mean)
	// A = L_i^T Sigma_j^-1 L_i.
	var sjInvLi mat.Dense
	if err := cj.chol.SolveTo(&sjInvLi, ci.l); err != nil {
		return 0, fmt.Errorf("solving with the second covariance: %w", err)
	}
	var prod mat.Dense
	prod.Mul(ci.l.T(), &sjInvLi)
	a := mat.NewSymDense(d, nil)
	for r := 0; r < d; r++ {
		for c := r; c < d; c++ {
			a.SetSym(r, c, 0.5*(prod.At(r, c)+prod.At(c, r)))
		}
	}
	var eig mat.EigenSym
	if !eig.Factorize(a, true) {
		return 0, errors.New("eigendecomposition failed")
	}
	lambda := eig.Values(nil)
	var vecs mat.Dense
	eig.VectorsTo(&vecs)
	delta := mat.NewVecDense(d, nil)
	for k := range ci.mean {
		delta.SetVec(k, ci.mean[k]-cj.mean[k])
	}
	var whitened, c mat.VecDense
	if err := whitened.SolveVec(ci.l, delta); err != nil {
		return 0, fmt.Errorf("whitening the mean difference: %w", err)
	}
	c.MulVec(vecs.T(), &whitened)

	threshold := 2*math.Log(wi/wj) + cj.chol.LogDet() - ci.chol.LogDet()
	var q quadForm
	var normalVar, shift float64
	for k, lam := range lambda {
		ck := c.AtVec(k)
		l := 1 - lam
		if math.Abs(l) < unitEigen {
			normalVar += 4 * lam * lam * ck * ck
			shift -= lam * ck * ck
			continue
		}
		q.l = append(q.l, l)
		q.b = append(q.b, -lam*ck/l)
		shift -= lam * ck * ck / l
	}
	q.s = math.Sqrt(normalVar)
	p, err := q.exceed(threshold - shift)
	if err != nil {
		return 0, err
	}
	return p, nil
}
