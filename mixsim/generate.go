package mixsim

import (
	"fmt"
	"math"
	"math/rand/v2"

	"gonum.org/v1/gonum/mat"

	"github.com/nistgmm/nistgmm/federated/mixture"
)

// Generator draws random Gaussian mixtures with a prescribed maximum
// overlap, by the recipe of MixSim (Melnykov, Chen and Maitra, 2012) that
// the paper's simulations use: means uniform on [0, 1]^d; each covariance
// the sample covariance of d + 1 standard normal vectors, its eccentricity
// capped; then one scalar multiplying every covariance, found by bisection
// so that MaxOmega equals the target.
type Generator struct {
	K   int // order of the mixture
	Dim int // dimension d

	// MaxOmega is the target maximum pairwise overlap, in (0, 1).
	MaxOmega float64

	// MinWeight, when positive, draws unequal weights no smaller than it
	// (it must be below 1/K); 0 gives equal weights.
	MinWeight float64

	// MaxEccentricity caps sqrt(1 - lambda_min / lambda_max) of every
	// covariance; 0 means 0.9. Set it to 1 for no cap.
	MaxEccentricity float64

	// Tol is how close MaxOmega must come to the target; 0 means 1e-8.
	Tol float64

	// MaxDraws is how many mixtures are drawn before giving up when the
	// target cannot be reached (the overlap stays below it however large
	// the covariances); 0 means 100.
	MaxDraws int
}

// Validate reports settings that cannot be used.
func (g Generator) Validate() error {
	switch {
	case g.K < 1:
		return fmt.Errorf("mixture generator: order K = %d, want at least 1", g.K)
	case g.Dim < 1:
		return fmt.Errorf("mixture generator: dimension %d, want at least 1", g.Dim)
	case g.K > 1 && !(g.MaxOmega > 0 && g.MaxOmega < 1):
		return fmt.Errorf("mixture generator: MaxOmega %v, want a number in (0, 1)", g.MaxOmega)
	case !(g.MinWeight >= 0) || g.MinWeight*float64(g.K) >= 1:
		return fmt.Errorf("mixture generator: smallest weight %v, want 0 (equal weights) or a number below 1/K = %v", g.MinWeight, 1/float64(g.K))
	case !(g.MaxEccentricity >= 0 && g.MaxEccentricity <= 1):
		return fmt.Errorf("mixture generator: eccentricity cap %v, want a number in (0, 1] (0 for the default 0.9)", g.MaxEccentricity)
	case !(g.Tol >= 0 && g.Tol < 0.1):
		return fmt.Errorf("mixture generator: tolerance %v, want a small positive number (0 for the default 1e-8)", g.Tol)
	case g.MaxDraws < 0:
		return fmt.Errorf("mixture generator: %d draws, want at least 1 (0 for the default 100)", g.MaxDraws)
	}
	return nil
}

// Generate draws a mixture whose MaxOmega is the target, and its overlap.
func (g Generator) Generate(rng *rand.Rand) (*mixture.Mixture, *Overlap, error) {
	if err := g.Validate(); err != nil {
		return nil, nil, err
	}
	if rng == nil {
		return nil, nil, fmt.Errorf("mixture generator: nil random source")
	}
	draws := g.MaxDraws
	if draws == 0 {
		draws = 100
	}
	var reach float64
	for try := 0; try < draws; try++ {
		m := g.draw(rng)
		if g.K == 1 {
			ov, err := ComputeOverlap(m)
			return m, ov, err
		}
		scaled, ov, ok, err := g.calibrate(m)
		if err != nil {
			return nil, nil, err
		}
		if ok {
			return scaled, ov, nil
		}
		reach = math.Max(reach, ov.Max)
	}
	return nil, nil, fmt.Errorf("mixture generator: no draw out of %d reached MaxOmega %v (the largest reachable was %.4g); ask for a smaller MaxOmega or more components",
		draws, g.MaxOmega, reach)
}

// draw returns an uncalibrated mixture: weights, means and covariance shapes.
func (g Generator) draw(rng *rand.Rand) *mixture.Mixture {
	m := &mixture.Mixture{Weights: make([]float64, g.K)}
	if g.MinWeight == 0 {
		for k := range m.Weights {
			m.Weights[k] = 1 / float64(g.K)
		}
	} else {
		var sum float64
		for k := range m.Weights {
			m.Weights[k] = rng.Float64()
			sum += m.Weights[k]
		}
		free := 1 - g.MinWeight*float64(g.K)
		for k := range m.Weights {
			m.Weights[k] = g.MinWeight + free*m.Weights[k]/sum
		}
	}
	for k := 0; k < g.K; k++ {
		mu := make([]float64, g.Dim)
		for i := range mu {
			mu[i] = rng.Float64()
		}
		m.Means = append(m.Means, mu)
		m.Covs = append(m.Covs, g.shape(rng))
	}
	return m
}

// shape is the sample covariance of d + 1 standard normal vectors with its
// eccentricity capped.
func (g Generator) shape(rng *rand.Rand) *mat.SymDense {
	d := g.Dim
	n := d + 1
	for {
		x := mat.NewDense(n, d, nil)
		for i := 0; i < n; i++ {
			for j := 0; j < d; j++ {
				x.Set(i, j, rng.NormFloat64())
			}
		}
		mean := make([]float64, d)
		for i := 0; i < n; i++ {
			for j := 0; j < d; j++ {
				mean[j] += x.At(i, j) / float64(n)
			}
		}
		for i := 0; i < n; i++ {
			for j := 0; j < d; j++ {
				x.Set(i, j, x.At(i, j)-mean[j])
			}
		}
		s := mat.NewSymDense(d, nil)
		s.SymOuterK(1/float64(n-1), x.T())
		capped, ok := g.capEccentricity(s)
		if ok {
			return capped
		}
		// A singular draw (probability 0 in exact arithmetic): draw again.
	}
}

// capEccentricity moves the eigenvalues of s towards the largest,
// lambda_i <- lambda_max (1 - e^2 (lambda_max - lambda_i) / (lambda_max - lambda_min)),
// when its eccentricity exceeds the cap e, so that it becomes e.
func (g Generator) capEccentricity(s *mat.SymDense) (*mat.SymDense, bool) {
	e := g.MaxEccentricity
	if e == 0 {
		e = 0.9
	}
	var eig mat.EigenSym
	if !eig.Factorize(s, true) {
		return nil, false
	}
	vals := eig.Values(nil)
	lmin, lmax := vals[0], vals[len(vals)-1]
	if !(lmin > 0) {
		return nil, false
	}
	if Eccentricity(lmin, lmax) <= e {
		return s, true
	}
	for i, v := range vals {
		vals[i] = lmax * (1 - e*e*(lmax-v)/(lmax-lmin))
	}
	var vecs mat.Dense
	eig.VectorsTo(&vecs)
	d := len(vals)
	out := mat.NewSymDense(d, nil)
	for r := 0; r < d; r++ {
		for c := r; c < d; c++ {
			var v float64
			for k := 0; k < d; k++ {
				v += vecs.At(r, k) * vals[k] * vecs.At(c, k)
			}
			out.SetSym(r, c, v)
		}
	}
	return out, true
}

// Eccentricity is sqrt(1 - lambda_min / lambda_max).
func Eccentricity(lambdaMin, lambdaMax float64) float64 {
	return math.Sqrt(1 - lambdaMin/lambdaMax)
}

// scaled returns m with every covariance multiplied by c.
func scaled(m *mixture.Mixture, c float64) *mixture.Mixture {
	out := m.Clone()
	for _, s := range out.Covs {
		s.ScaleSym(c, s)
	}
	return out
}

// calibrate finds c with MaxOmega(c Sigma_1, ..., c Sigma_K) = target by
// bisection on log c. MaxOmega grows with c from 0 towards a limit set by
// the shapes alone; ok is false when that limit stays below the target.
func (g Generator) calibrate(m *mixture.Mixture) (*mixture.Mixture, *Overlap, bool, error) {
	tol := g.Tol
	if tol == 0 {
		tol = 1e-8
	}
	at := func(c float64) (*mixture.Mixture, *Overlap, error) {
		s := scaled(m, c)
		ov, err := ComputeOverlap(s)
		return s, ov, err
	}
	lo, hi := 1.0, 1.0
	s, ov, err := at(1)
	if err != nil {
		return nil, nil, false, err
	}
	if ov.Max < g.MaxOmega {
		for ov.Max < g.MaxOmega {
			if hi > 1e12 {
				return nil, ov, false, nil
			}
			lo = hi
			hi *= 4
			if s, ov, err = at(hi); err != nil {
				return nil, nil, false, err
			}
		}
	} else {
		for ov.Max >= g.MaxOmega {
			if lo < 1e-12 {
				return nil, ov, false, nil
			}
			hi = lo
			lo /= 4
			if s, ov, err = at(lo); err != nil {
				return nil, nil, false, err
			}
		}
	}
	for i := 0; i < 200; i++ {
		if math.Abs(ov.Max-g.MaxOmega) <= tol {
			return s, ov, true, nil
		}
		mid := math.Sqrt(lo * hi)
		if s, ov, err = at(mid); err != nil {
			return nil, nil, false, err
		}
		if ov.Max < g.MaxOmega {
			lo = mid
		} else {
			hi = mid
		}
	}
	return nil, ov, false, nil
}
