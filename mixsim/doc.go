// Package mixsim draws random Gaussian mixtures whose components overlap by
// a prescribed amount, and computes that overlap exactly, as the R package
// MixSim (Melnykov, Chen and Maitra, 2012) does for the paper's simulation
// study (Section 5).
//
// The overlap of component i into j is the probability o_{j|i} that a
// point drawn from component i is assigned to j by the weighted densities.
// After whitening by Sigma_i and rotating to the eigenbasis of
// Sigma_i^(1/2) Sigma_j^-1 Sigma_i^(1/2), the event is that a linear
// combination of independent non-central chi-square variables plus a normal
// term exceeds a constant. ComputeOverlap evaluates that probability by
// Imhof's (1961) inversion of the characteristic function, integrated with
// Gauss-Legendre panels to a truncation point chosen from Imhof's error
// bound, so the result is exact to about 1e-9 (no Monte Carlo). Forms with
// one or two chi-square terms and no strong normal term, whose inversion
// integrals decay too slowly (two-dimensional mixtures, for instance), are
// computed by integrating the normal variables out instead, down to closed
// forms. Equal covariances reduce to a normal probability.
//
// Generator follows MixSim's recipe: uniform means, covariances from
// d + 1 normal draws with their eccentricity capped, then one common scale
// of the covariances found by bisection so that MaxOmega hits the target.
package mixsim
