// Package federated implements split-and-conquer learning of finite Gaussian
// mixtures that tolerates Byzantine machines, following Zhang and Chen,
// "Byzantine-tolerant distributed learning of finite mixture models".
//
// The pieces, in the order data flow through them:
//
//   - Mixture is an order-K Gaussian mixture in d dimensions with validation,
//     log-density and the clustering rule k(x) = argmax_k w_k phi(x; mu_k, Sigma_k).
//   - EM fits a Mixture on one machine's data by the penalized EM of Chen and
//     Tan (2009): penalty a_n sum_k {tr(Sigma_k^-1 S_x) + log det Sigma_k} with
//     a_n = c n^(-1/2), which keeps every covariance above a multiple of the
//     sample covariance S_x. The paper takes c = 1; a PenaltySearch lets each
//     machine choose c from its own data by held-out likelihood, which on
//     real features matters more than anything else for the fit's quality.
//     Its E step carries lower bounds on every Mahalanobis distance from one
//     iteration to the next and skips the densities they prove negligible
//     (below e^-50 of the best), which leaves the iterates unchanged in
//     double precision (estep.go).
//   - Distance measures how far two mixtures are: the transportation
//     divergences with Jeffreys cost (the default), KL cost (one-sided, as the
//     authors' code) or its symmetrization, ISE (the paper's) or the
//     Cauchy-Schwarz divergence. Pairwise builds the m x m matrix in parallel.
//   - Server prepares a Round from the transmitted estimates (validation,
//     distances, COAT) and aggregates it: GMR (all estimates), COAT (the
//     estimate whose ball holding half of the estimates is smallest), CRED
//     (GMR over that ball), ARED (GMR over a larger ball, by a RadiusRule:
//     the robust rule by default, eq. (5) on request), TRIM (the trimmed
//     k-barycenter of Del Barrio et al.) and Oracle (GMR over machines known
//     to be honest; experiments only). Every reduction runs from several
//     starts drawn from the estimates it reduces unless SingleStart is set.
//   - Failure corrupts a machine's estimate the ways Sections 5.1 and 6 do,
//     and CraftStealth plays an attacker who tunes its estimates to stay
//     inside ARED's ball.
//   - EstimatesFile is the JSON exchange format between machines and server;
//     DecodeEstimates judges each machine's entry on its own.
//
// Nothing here reads or writes files, and nothing needs cgo: the matrix work
// goes through gonum's blas64, which a program may route to a native BLAS
// (the nistgmm command uses OpenBLAS); the overlap integrals behind ISE and
// CS are factored four at a time by internal/chol4, in assembly on amd64
// with AVX2 and in Go elsewhere, with the same results. Every overlap
// integral of two Gaussians is computed in the log domain, since in d = 50
// the overlaps of fitted mixtures are far below 1e-5. Settings types (EM, PenaltySearch,
// Server) have a Validate method; their zero values mean the documented
// defaults.
package server
