// Package robust holds the order statistics the server's rules are built
// from: the sampled search for the centre of attention over rows of
// distances computed on demand, the quantiles, the radii of ARED's balls
// (over all estimates and within one slot), the slots' trimmed weight and
// the verdicts' reference scale. It knows nothing of mixtures or of rounds:
// every function takes plain distances. It is internal to the server.
package robust
