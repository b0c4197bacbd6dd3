package main

import (
	"os"
	"runtime/debug"
)

// aggregationGCPercent is the collector's growth target for the commands
// that aggregate (aggregate, serve, scale). The server holds the estimates
// from start to end and allocates little beside them (its scratch is
// reused), so collecting at 10% growth rather than Go's 100% keeps the peak
// near what the estimates and the working blocks need. At 25% growth the
// peak of 1,000 machines of order 10 in dimension 50 was 1.3 GB against
// 2.1 GB at 100%; at 10%, 200 such estimates peak at 107-109 MB of RSS
// against 117-119 MB at 25%, in about the same time (docs/federation.md,
// Load).
const aggregationGCPercent = 10

// collectOften sets aggregationGCPercent unless GOGC is set.
func collectOften() {
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(aggregationGCPercent)
	}
}
