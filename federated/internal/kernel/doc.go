// Package kernel computes divergences between mixtures: the registry of
// distances, the pairwise matrix, the composite transportation divergence
// (transport solver and assignment), the blocked and batched Gaussian KL
// tables, the overlap integrals of ISE and CS, rows of distances computed
// on demand in batches, and the nearest-centre assignment of the server's
// reductions. Package divergence is its public face; the server and the
// adversary use it directly.
package kernel
