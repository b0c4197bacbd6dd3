// Package server aggregates the estimates machines transmit, robustly
// against a minority of Byzantine machines.
//
// A Server (whose zero value is the product's default) prepares a Round
// from the estimates: it validates them, computes their distances and
// finds COAT, the estimate whose ball holding half of them is smallest,
// exactly or by a sampled search whose guarantee CentreSampled states.
// Unless Unhardened, it caps every reported sample size at the median, sets
// absurd reports aside and counts near copies once. The Round then
// aggregates by a Method: GMR (all estimates), COAT itself, CRED (GMR over
// COAT's ball), ARED (GMR over a larger ball, by a RadiusRule, combined
// componentwise in slots unless Unhardened), TRIM (the trimmed
// k-barycenter of Del Barrio et al.) and Oracle (GMR over machines known
// to be honest; experiments only). Every reduction runs from several
// starts unless SingleStart is set. ARED's Result carries Verdicts, a
// per-machine test with a round-wide error level. AggregateDocument reads
// an estimates document and returns the Report the nistgmm command writes;
// AggregateEstimates returns the same Report for the estimates decoded
// already (the federation's coordinator, which receives them one by one).
//
// It is not the fitting of the mixtures (package mixture), the distances
// (package divergence) or the file format (package estimates), which it
// uses through their exported API; nor the attacks (package adversary),
// which it never imports.
package server
