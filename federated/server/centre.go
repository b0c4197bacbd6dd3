package server

import (
	"context"
	"fmt"

	"github.com/nistgmm/nistgmm/federated/internal/robust"
)

// CentreSearch names how a round finds COAT, the estimate with the smallest
// ball holding half of the counted estimates.
type CentreSearch string

const (
	// CentreAuto (the zero value) searches exactly up to the server's
	// ExactUpTo valid estimates and by sampling above.
	CentreAuto CentreSearch = ""
	// CentreExact computes every pairwise distance (m^2 of them) and takes
	// the exact minimum, as the paper does.
	CentreExact CentreSearch = "exact"
	// CentreSampled computes the distances from a few estimates to all:
	// Candidates drawn at random, then the Refined estimates whose radius
	// the random ones estimate smallest; the centre is the best of these by
	// its exact radius. The cost is (Candidates + Refined) m distances.
	//
	// Guarantee. Let q be in (0, 1]. With probability at least
	// 1 - (1 - q)^Candidates, the centre's radius is at most the radius of
	// the estimate ranked ceil(q m) by radius, whatever the distance (it
	// needs neither symmetry nor the triangle inequality): it suffices that
	// one random candidate is among those, and each is with probability at
	// least q. With the default 32 candidates, the centre is among the best
	// 20% with probability above 0.999 and the best 10% above 0.96. For a
	// distance satisfying the triangle inequality (ISE), one random
	// candidate inside the exact COAT's ball, which holds half of the
	// estimates, has a ball of radius at most 2 r_coat holding that half:
	// the radius is at most twice the exact one with probability at least
	// 1 - 2^-32. The refined estimates only improve on the random ones.
	CentreSampled CentreSearch = "sampled"
)

// Defaults of the sampled search (see CentreSampled).
const (
	DefaultExactUpTo  = 200
	DefaultCandidates = 32
	DefaultRefined    = 16
)

// ParseCentreSearch accepts "auto", "exact" or "sampled".
func ParseCentreSearch(s string) (CentreSearch, error) {
	switch s {
	case "auto", "":
		return CentreAuto, nil
	case string(CentreExact), string(CentreSampled):
		return CentreSearch(s), nil
	}
	return "", fmt.Errorf("unknown centre search %q: want auto, exact or sampled", s)
}

// searchCentre is robust.SearchCentre, with ErrNoValidEstimate when there
// is no member to search.
func searchCentre(ctx context.Context, rows robust.Rows, members, order []int, nRandom, nRefine int) (robust.CentreFound, error) {
	if len(members) == 0 {
		return robust.CentreFound{}, ErrNoValidEstimate
	}
	return robust.SearchCentre(ctx, rows, members, order, nRandom, nRefine)
}
