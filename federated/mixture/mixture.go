package mixture

import (
	"errors"
	"fmt"
	"math/rand/v2"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/blas64"
	"gonum.org/v1/gonum/floats"
	"gonum.org/v1/gonum/mat"

	"github.com/nistgmm/nistgmm/federated/internal/gauss"
)

// Mixture is a finite Gaussian mixture sum_k w_k phi(x; mu_k, Sigma_k).
// Its zero value is an empty mixture; Validate tells whether a value is usable.
type Mixture struct {
	Weights []float64       // K mixing weights, >= 0, summing to 1
	Means   [][]float64     // K means of length d
	Covs    []*mat.SymDense // K symmetric positive-definite d x d covariances
}

// K returns the order of the mixture.
func (m *Mixture) K() int { return len(m.Weights) }

// Dim returns the dimension of the observations, 0 for an empty mixture.
func (m *Mixture) Dim() int {
	if len(m.Means) == 0 {
		return 0
	}
	return len(m.Means[0])
}

// Clone returns a deep copy, of an invalid mixture too (a missing
// covariance stays missing, so Validate still reports it).
func (m *Mixture) Clone() *Mixture {
	c := &Mixture{Weights: append([]float64(nil), m.Weights...)}
	for _, mu := range m.Means {
		c.Means = append(c.Means, append([]float64(nil), mu...))
	}
	for _, s := range m.Covs {
		if s == nil {
			c.Covs = append(c.Covs, nil)
			continue
		}
		cov := mat.NewSymDense(s.SymmetricDim(), nil)
		cov.CopySym(s)
		c.Covs = append(c.Covs, cov)
	}
	return c
}

// Validate checks shapes, that every entry is finite, that the weights are
// non-negative and sum to 1 within WeightTolerance, and that every covariance
// is symmetric and positive definite (by Cholesky factorization).
func (m *Mixture) Validate() error {
	_, err := m.components()
	return err
}

// components validates m and factorizes and inverts each component.
func (m *Mixture) components() ([]*gauss.Gaussian, error) {
	return gauss.MixtureComponents(m.Weights, m.Means, m.Covs)
}

// LogJoint returns the n x K matrix of log{w_k phi(x_j; mu_k, Sigma_k)} for
// the rows x_j of X.
func (m *Mixture) LogJoint(X *mat.Dense) (*mat.Dense, error) {
	// Densities need the Cholesky factors only; the inverse (and its
	// magnitude check in Validate) is for the distances between mixtures.
	comps, err := gauss.FactorComponents(m.Weights, m.Means, m.Covs, gauss.FactorGaussian)
	if err != nil {
		return nil, err
	}
	n, d := X.Dims()
	if d != m.Dim() {
		return nil, fmt.Errorf("data have %d columns, mixture has dimension %d", d, m.Dim())
	}
	out := mat.NewDense(n, len(comps), nil)
	logJoint(X, comps, m.Weights, out)
	return out, nil
}

// LogDensity returns log f(x_j) for every row of X.
func (m *Mixture) LogDensity(X *mat.Dense) ([]float64, error) {
	lj, err := m.LogJoint(X)
	if err != nil {
		return nil, err
	}
	n, _ := lj.Dims()
	out := make([]float64, n)
	for j := range out {
		out[j] = floats.LogSumExp(lj.RawRowView(j))
	}
	return out, nil
}

// Predict clusters the rows of X by k(x) = argmax_k w_k phi(x; mu_k, Sigma_k),
// ties going to the lower component index.
func (m *Mixture) Predict(X *mat.Dense) ([]int, error) {
	lj, err := m.LogJoint(X)
	if err != nil {
		return nil, err
	}
	n, _ := lj.Dims()
	out := make([]int, n)
	for j := range out {
		out[j] = floats.MaxIdx(lj.RawRowView(j))
	}
	return out, nil
}

// logJoint fills out (n x K) with log w_k + log phi(x_j; comp k), working on
// whole blocks of points: for each component it centres the observations
// and solves against the Cholesky factor with one triangular solve.
func logJoint(X *mat.Dense, comps []*gauss.Gaussian, weights []float64, out *mat.Dense) {
	n, d := X.Dims()
	logJointDist(transposed(X), comps, weights, make([]float64, d*n), out, make([]float64, n), nil)
}

// transposed returns X^T as a new row-major d x n matrix.
func transposed(X *mat.Dense) blas64.General {
	t := mat.DenseCopyOf(X.T())
	return t.RawMatrix()
}

// Sample draws n observations from the mixture and returns them with the
// component each came from.
func (m *Mixture) Sample(n int, rng *rand.Rand) (*mat.Dense, []int, error) {
	if n < 1 {
		return nil, nil, fmt.Errorf("sample size %d: want at least 1", n)
	}
	if rng == nil {
		return nil, nil, errors.New("sampling needs a random source")
	}
	comps, err := m.components()
	if err != nil {
		return nil, nil, err
	}
	d := m.Dim()
	X := mat.NewDense(n, d, nil)
	labels := make([]int, n)
	cum := make([]float64, len(m.Weights))
	floats.CumSum(cum, m.Weights)
	z := make([]float64, d)
	for j := 0; j < n; j++ {
		u := rng.Float64() * cum[len(cum)-1]
		k := 0
		for k < len(cum)-1 && u >= cum[k] {
			k++
		}
		labels[j] = k
		for i := range z {
			z[i] = rng.NormFloat64()
		}
		// x = mu + U^T z has covariance U^T U = Sigma.
		x := X.RawRowView(j)
		copy(x, z)
		blas64.Trmv(blas.Trans, comps[k].Upper, blas64.Vector{N: d, Inc: 1, Data: x})
		floats.Add(x, comps[k].Mean)
	}
	return X, labels, nil
}
