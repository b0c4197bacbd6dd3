// Package federated implements split-and-conquer learning of finite Gaussian
// mixtures that tolerates Byzantine machines, following Zhang and Chen,
// "Byzantine-tolerant distributed learning of finite mixture models".
//
// The pieces, in the order data flows through them:
//
//   - Mixture is an order-K Gaussian mixture in d dimensions with validation,
//     log-density and the clustering rule k(x) = argmax_k w_k phi(x; mu_k, Sigma_k).
//   - EM fits a Mixture on one machine's data by the penalized EM of Chen and
//     Tan (2009): penalty a_n sum_k {tr(Sigma_k^-1 S_x) + log det Sigma_k}, which
//     keeps every covariance above a multiple of the sample covariance S_x.
//   - Distance measures how far two mixtures are: ISE (the paper's default),
//     the composite transportation divergence with KL cost (CTD-KL), or the
//     Cauchy-Schwarz divergence. Pairwise builds the m x m matrix in parallel.
//   - Aggregate reduces the transmitted mixtures of m machines to one order-K
//     mixture: GMR (all of them), COAT (the estimate whose ball holding half
//     of the estimates is smallest), CRED (GMR over that ball), ARED (GMR over
//     an inflated ball whose size follows from the asymptotics), TRIM (the
//     trimmed k-barycenter of Del Barrio et al.) and Oracle (GMR over machines
//     known to be honest; experiments only).
//   - Failure corrupts a machine's estimate the ways Sections 5.1 and 6 do.
//   - EstimatesFile is the JSON exchange format between machines and server.
//
// Nothing here reads or writes files: callers pass data and estimates in.
// Every overlap integral of two Gaussians is computed in the log domain, since
// in d = 50 the overlaps of fitted mixtures are far below 1e-5.
package federated
