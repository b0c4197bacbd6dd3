// Package federated is the home of split-and-conquer learning of finite
// Gaussian mixtures that tolerates Byzantine machines, following Zhang and
// Chen, "Byzantine-tolerant distributed learning of finite mixture models".
// It holds no code of its own: each concept is a package below it, and the
// folders list the architecture in the order data flow through it.
//
//   - mixture: the Gaussian mixture model and its fitting on one machine's
//     data (Mixture, the penalized EM, the penalty search, k-means++
//     starts), and the mixture's JSON form.
//   - divergence: how far two mixtures are (the transportation divergences
//     with Jeffreys or KL cost, ISE, Cauchy-Schwarz) and the pairwise
//     matrix of a set of them.
//   - estimates: the exchange format between machines and server
//     (nistgmm/estimates/v1), its encoder and streaming decoder, which
//     judges each machine's entry on its own.
//   - server: the robust aggregation of received estimates: the round, COAT
//     and the sampled centre search, ARED's radii, near copies, sample-size
//     caps, the componentwise slots, the reductions, TRIM, the verdicts,
//     the report, and the registry of methods.
//   - adversary: Byzantine failures and adaptive attacks, which play
//     against a server through its exported API only. Only experiments,
//     commands and tests import it.
//
// Dependencies run one way, and a test of this package checks them:
// mixture <- divergence <- server <- adversary, with estimates between the
// mixture and the server. The numerics several packages share (the
// factored Gaussian, the divergence kernels, the server's order
// statistics) sit in federated/internal and are no part of the API.
//
// Nothing here reads or writes files, and nothing needs cgo: the matrix work
// goes through gonum's blas64, which a program may route to a native BLAS
// (the nistgmm command uses OpenBLAS); the overlap integrals behind ISE and
// CS are factored four at a time by internal/chol4, in assembly on amd64
// with AVX2 and in Go elsewhere, with the same results. Settings types
// (mixture.EM, mixture.PenaltySearch, server.Server) have a Validate
// method; their zero values mean the documented defaults.
package federated
