package mixture

import (
	"fmt"
	"math"

	"gonum.org/v1/gonum/mat"
)

// MixtureJSON is a mixture as it travels: plain arrays, full covariances.
type MixtureJSON struct {
	Weights     []float64     `json:"weights"`
	Means       [][]float64   `json:"means"`
	Covariances [][][]float64 `json:"covariances"`
}

// ToJSON converts a mixture for transmission.
func (m *Mixture) ToJSON() MixtureJSON {
	out := MixtureJSON{Weights: append([]float64(nil), m.Weights...)}
	for k := range m.Means {
		out.Means = append(out.Means, append([]float64(nil), m.Means[k]...))
		d := m.Covs[k].SymmetricDim()
		c := make([][]float64, d)
		for i := range c {
			c[i] = make([]float64, d)
			for j := range c[i] {
				c[i][j] = m.Covs[k].At(i, j)
			}
		}
		out.Covariances = append(out.Covariances, c)
	}
	return out
}

// Mixture converts back, checking shapes and symmetry; Validate checks the rest.
func (j MixtureJSON) Mixture() (*Mixture, error) {
	k := len(j.Weights)
	if k == 0 {
		return nil, fmt.Errorf("missing weights")
	}
	if len(j.Means) != k || len(j.Covariances) != k {
		return nil, fmt.Errorf("%d weights, %d means, %d covariances", k, len(j.Means), len(j.Covariances))
	}
	m := &Mixture{Weights: append([]float64(nil), j.Weights...)}
	for c := 0; c < k; c++ {
		d := len(j.Means[c])
		if d == 0 {
			return nil, fmt.Errorf("mean %d is empty", c)
		}
		m.Means = append(m.Means, append([]float64(nil), j.Means[c]...))
		cov := j.Covariances[c]
		if len(cov) != d {
			return nil, fmt.Errorf("covariance %d has %d rows, mean has %d entries", c, len(cov), d)
		}
		for r := 0; r < d; r++ {
			if len(cov[r]) != d {
				return nil, fmt.Errorf("covariance %d row %d has %d entries, want %d", c, r, len(cov[r]), d)
			}
		}
		// The upper triangle, stored in both (the factorizations then
		// read this storage rather than a copy of their own).
		full := make([]float64, d*d)
		for r := 0; r < d; r++ {
			for q := r; q < d; q++ {
				a, b := cov[r][q], cov[q][r]
				if math.Abs(a-b) > 1e-9*math.Max(1, math.Max(math.Abs(a), math.Abs(b))) {
					return nil, fmt.Errorf("covariance %d is not symmetric at (%d,%d): %v vs %v", c, r, q, a, b)
				}
				full[r*d+q], full[q*d+r] = a, a
			}
		}
		m.Covs = append(m.Covs, mat.NewSymDense(d, full))
	}
	return m, nil
}
