// Package divergence measures how far two Gaussian mixtures are. A
// Distance is one of
//
//   - Jeffreys (the default of the server) and KL: composite
//     transportation divergences, the cheapest transport of one mixture's
//     components onto the other's under the symmetric or one-sided
//     Gaussian KL cost, and KLSym, KL plus its transpose;
//   - ISE, the L2 distance between the densities (the paper's), and CS, the
//     Cauchy-Schwarz divergence, both from closed-form overlap integrals
//     computed in the log domain (in d = 50 the overlaps of fitted mixtures
//     are far below 1e-5).
//
// Between gives one value and Pairwise the m x m matrix of a set, in
// parallel and with the same result for any number of workers.
// MaxCondition bounds the condition number a covariance may have for the
// overlap integrals to be computable.
//
// It is not the choice of a centre or of a ball among estimates (package
// server). The kernels behind it (blocked Gaussian KL tables, the
// transport solver, the assignment, rows of distances computed in
// batches) are in federated/internal/kernel, shared with the server.
package divergence
