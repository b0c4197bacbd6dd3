package server

import (
	"fmt"
	"sort"

	"github.com/nistgmm/nistgmm/federated/estimates"
)

// absurdSampleSize is how many times the median reported sample size a
// report may exceed before it is called out: honest machines of one study
// rarely differ by a factor of ten, and an inflated n is the cheapest way
// for a Byzantine machine to become the answer when n is trusted.
const absurdSampleSize = 10

// sampleSizeCaps returns the sample size each valid estimate is weighted by
// in every reduction: its reported n, capped at the median of the valid
// estimates' reports (the lower median). With fewer than half Byzantine
// machines the median lies between two honest reports, so no machine,
// whatever it reports, weighs more than a typical honest one. Equal reports
// come back unchanged. It also returns, for every report above
// absurdSampleSize times the median, why it was capped.
func sampleSizeCaps(ests []estimates.Estimate, valid []int) (map[int]float64, []Invalid) {
	ns := make([]int, 0, len(valid))
	for _, i := range valid {
		ns = append(ns, ests[i].N)
	}
	sort.Ints(ns)
	median := ns[(len(ns)-1)/2]
	caps := make(map[int]float64, len(valid))
	var notes []Invalid
	for _, i := range valid {
		n := ests[i].N
		caps[i] = float64(min(n, median))
		if n/absurdSampleSize > median {
			notes = append(notes, Invalid{Index: i, ID: ests[i].ID, Reason: fmt.Sprintf(
				"reported sample size %d is more than %d times the median %d of the valid estimates: weighted as %d",
				n, absurdSampleSize, median, median)})
		}
	}
	return caps, notes
}
