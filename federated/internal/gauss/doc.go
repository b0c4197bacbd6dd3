// Package gauss is the factored Gaussian component every density and
// divergence computation reuses (Cholesky factor, inverse, log
// determinant), the validation of a mixture's parameters while they are
// factored, and the Gaussian KL divergence. It knows nothing of mixtures as
// a type: package mixture, the divergence kernels, the server and the
// adversary pass it weights, means and covariances.
package gauss
