// Package mixture is the order-K Gaussian mixture in d dimensions and its
// fitting on one machine's data: the fit, predict and score vocabulary of a
// mixture model.
//
//   - Mixture holds weights, means and full covariances, with Validate,
//     LogJoint, LogDensity, Predict (the clustering rule
//     k(x) = argmax_k w_k phi(x; mu_k, Sigma_k)) and Sample.
//   - EM fits a Mixture by the penalized EM of Chen and Tan (2009): penalty
//     a_n sum_k {tr(Sigma_k^-1 S_x) + log det Sigma_k} with a_n = c n^(-1/2),
//     which keeps every covariance above a multiple of the sample
//     covariance S_x. The paper takes c = 1; a PenaltySearch lets each
//     machine choose c from its own data by held-out likelihood. Each fit
//     starts from k-means++ seedings (or from a given mixture). Its E step
//     carries lower bounds on every Mahalanobis distance from one iteration
//     to the next and skips the densities they prove negligible (below
//     e^-50 of the best), which leaves the iterates unchanged in double
//     precision.
//   - MixtureJSON is a mixture as it travels in files: plain arrays and
//     full covariances.
//
// It is not the distances between mixtures (package divergence), the file
// format machines send (package estimates) or anything about aggregation
// (package server). It reads no files and needs no cgo.
package mixture
