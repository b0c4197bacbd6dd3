package federated

import (
	"fmt"
	"math/rand/v2"

	"gonum.org/v1/gonum/mat"
	"gonum.org/v1/gonum/stat/distmv"
)

// Failure names a way a Byzantine machine corrupts its estimate.
type Failure string

const (
	// Letters replaces the estimate by a mixture fitted on other data (the
	// letters of Section 6); the caller supplies that mixture.
	Letters Failure = "letters"
	// MeanFailure replaces every mean by a vector of N(0, 100^2) entries.
	MeanFailure Failure = "mean"
	// CovFailure adds sum_{i=1..d} xi_i xi_i^T, xi_i standard normal, to
	// every covariance.
	CovFailure Failure = "cov"
	// WeightFailure replaces the weights by a Dirichlet draw whose
	// parameters are random integers in [200, 1000].
	WeightFailure Failure = "weight"
)

// ParseFailure accepts letters, mean, cov, weight or stealth.
func ParseFailure(s string) (Failure, error) {
	switch f := Failure(s); f {
	case Letters, MeanFailure, CovFailure, WeightFailure, Stealth:
		return f, nil
	}
	return "", fmt.Errorf("unknown failure %q: want letters, mean, cov, weight or stealth", s)
}

// Corrupt returns a corrupted copy of m for the mean, cov and weight
// failures of Section 5.1. Letters needs a replacement mixture and Stealth
// the other machines' estimates (Server.CraftStealth); neither is handled here.
func Corrupt(m *Mixture, f Failure, rng *rand.Rand) (*Mixture, error) {
	out := m.Clone()
	d := m.Dim()
	switch f {
	case MeanFailure:
		for k := range out.Means {
			for i := range out.Means[k] {
				out.Means[k][i] = 100 * rng.NormFloat64()
			}
		}
	case CovFailure:
		xi := mat.NewDense(d, d, nil)
		noise := mat.NewSymDense(d, nil)
		for k := range out.Covs {
			for i := 0; i < d; i++ {
				for j := 0; j < d; j++ {
					xi.Set(i, j, rng.NormFloat64())
				}
			}
			// Rows of xi are the xi_i: sum_i xi_i xi_i^T = xi^T xi.
			noise.SymOuterK(1, xi.T())
			out.Covs[k].AddSym(out.Covs[k], noise)
		}
	case WeightFailure:
		alpha := make([]float64, len(out.Weights))
		for k := range alpha {
			alpha[k] = float64(200 + rng.IntN(801))
		}
		distmv.NewDirichlet(alpha, rng).Rand(out.Weights)
		normalize(out.Weights)
	default:
		return nil, fmt.Errorf("failure %q cannot be applied to an estimate", f)
	}
	return out, nil
}
