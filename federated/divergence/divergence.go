package divergence

import (
	"context"

	"gonum.org/v1/gonum/mat"

	"github.com/nistgmm/nistgmm/federated/internal/gauss"
	"github.com/nistgmm/nistgmm/federated/internal/kernel"
	"github.com/nistgmm/nistgmm/federated/mixture"
)

// Distance names a divergence between two mixtures.
type Distance string

const (
	// ISE is the L2 distance between the two densities,
	// {int (f - g)^2 dx}^(1/2), in closed form (Appendix C.1). The paper's
	// default; symmetric.
	ISE Distance = "ise"
	// KL is the composite transportation divergence with cost
	// KL(phi_ik || phi_jl) between components: the cheapest way to transport
	// the first mixture's components onto the second's. Not symmetric.
	KL Distance = "kl"
	// CS is the Cauchy-Schwarz divergence
	// -log<f,g> + 0.5 log<f,f> + 0.5 log<g,g>. Symmetric, scale invariant.
	CS Distance = "cs"
	// Jeffreys is the composite transportation divergence with the
	// symmetric Jeffreys cost KL(phi_ik || phi_jl) + KL(phi_jl || phi_ik).
	// Symmetric: transporting G_j onto G_i costs the same. The default,
	// because KL's direction lets a broad mixture (a fit on more, or on
	// other, data) sit close to peaked honest ones (see the README).
	Jeffreys Distance = "jeffreys"
	// KLSym is KL made symmetric: D_KL(G_i, G_j) + D_KL(G_j, G_i).
	KLSym Distance = "kl-sym"
)

// Distances lists every distance.
func Distances() []Distance {
	var out []Distance
	for _, d := range kernel.Distances() {
		out = append(out, Distance(d))
	}
	return out
}

// DistanceHelp describes every distance in one line each.
func DistanceHelp() string { return kernel.DistanceHelp() }

// ParseDistance accepts the names in Distances.
func ParseDistance(s string) (Distance, error) {
	d, err := kernel.ParseDistance(s)
	return Distance(d), err
}

// Order is the power of the estimation error a distance grows with between
// root-n consistent estimates. ISE behaves like ||G - G'||: O(n^-1/2). CS is
// smooth with a minimum at f = g, so it behaves like ||G - G'||^2: O(n^-1).
// CTD-KL is quadratic in the component parameters but linear in the weights
// (a weight error of delta moves mass delta between distinct components), so
// its leading term is O(n^-1/2) like ISE. ARED's inflation factor is derived
// for a distance of order 1 and is raised to this power.
func (d Distance) Order() float64 { return kernel.Distance(d).Order() }

// Symmetric reports whether D(a, b) = D(b, a) for every a, b.
func (d Distance) Symmetric() bool { return kernel.Distance(d).Symmetric() }

// Between returns D(a, b).
func (d Distance) Between(a, b *mixture.Mixture) (float64, error) {
	return kernel.Distance(d).Between(a, b)
}

// Pairwise returns the m x m matrix of D(G_i, G_j), computed by up to
// workers goroutines (0 means GOMAXPROCS). Each component is factorized once;
// each entry depends only on its two mixtures, so the result is the same for
// any number of workers. The diagonal is 0.
func Pairwise(ctx context.Context, mixtures []*mixture.Mixture, d Distance, workers int) (*mat.Dense, error) {
	return kernel.Pairwise(ctx, mixtures, kernel.Distance(d), workers)
}

// MaxCondition returns the largest condition number a received covariance
// of dimension d may have: u^-1 / (2 d (d+2)), u = 2^-53, about 1.7e12 for
// d = 50 (fitted covariances of Table 2: at most 3.4e4).
//
// The overlap integrals of ISE and CS factor the sum of two covariances by
// Cholesky. Mathematically the sum is positive definite; in floating point
// its factorization may break down when a covariance is numerically
// singular, and an estimate built for that (one was found by random search
// in a few thousand tries, its own factorization fine) would stop the whole
// round. Below this bound it cannot: the factorization of a d x d matrix
// runs to completion when the smallest eigenvalue of its diagonally scaled
// form exceeds d gamma_{d+1}, gamma_{d+1} = (d+1)u / (1 - (d+1)u) (Demmel;
// Higham, Accuracy and Stability of Numerical Algorithms, Thm 10.7); that
// eigenvalue is at least 1/kappa_2, forming the sum moves it by at most
// d u, kappa_2(A+B) <= max(kappa_2(A), kappa_2(B)), and the factor 2 covers
// rounding in the inverse the 1-norm condition number (an upper bound on
// kappa_2) is measured with.
func MaxCondition(d int) float64 { return gauss.MaxCondition(d) }
