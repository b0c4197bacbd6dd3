package server

import (
	"context"
	"fmt"
	"slices"
	"sort"
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

// distanceRows gives rows of a distance among the positions 0..m-1 of a
// set, computed on demand.
type distanceRows interface {
	Compute(ctx context.Context, from []int) error
	RowOut(a int) []float64 // D(a, b) for every b
	RowIn(a int) []float64  // D(b, a) for every b
}

// centreFound is the outcome of a centre search.
type centreFound struct {
	centre  int     // position
	radius  float64 // the centre's ball radius
	random  int     // random candidates whose rows were computed
	refined int     // refined ones
	exact   bool    // every member's row was computed
}

// searchCentre finds, among members (ascending positions), the one whose
// closed ball holding ceil(len(members)/2) members (itself included) is
// smallest, ties to the lower position. order is a random permutation of
// the positions: the random candidates are the first nRandom members in it.
// With nRandom + nRefine at least the number of members, it computes every
// member's row and the answer is exact.
func searchCentre(ctx context.Context, rows distanceRows, members, order []int, nRandom, nRefine int) (centreFound, error) {
	mv := len(members)
	if mv == 0 {
		return centreFound{}, ErrNoValidEstimate
	}
	need := (mv + 1) / 2
	isMember := map[int]bool{}
	for _, a := range members {
		isMember[a] = true
	}
	radius := func(a int) float64 {
		row := rows.RowOut(a)
		vals := make([]float64, 0, mv)
		for _, b := range members {
			if b == a {
				vals = append(vals, 0)
			} else {
				vals = append(vals, row[b])
			}
		}
		sort.Float64s(vals)
		return vals[need-1]
	}
	best := func(cands []int) centreFound {
		slices.Sort(cands)
		found := centreFound{centre: -1}
		for _, a := range cands {
			if r := radius(a); found.centre < 0 || r < found.radius {
				found.centre, found.radius = a, r
			}
		}
		return found
	}
	if mv <= nRandom+nRefine {
		if err := rows.Compute(ctx, members); err != nil {
			return centreFound{}, err
		}
		found := best(slices.Clone(members))
		found.exact, found.random = true, mv
		return found, nil
	}
	var random []int
	for _, a := range order {
		if isMember[a] {
			random = append(random, a)
			if len(random) == nRandom {
				break
			}
		}
	}
	if err := rows.Compute(ctx, random); err != nil {
		return centreFound{}, err
	}
	// Each member's radius estimated from its distances to the random
	// candidates: the same quantile of a random sample of its row.
	chosen := map[int]bool{}
	for _, a := range random {
		chosen[a] = true
	}
	type guess struct {
		pos int
		r   float64
	}
	var guesses []guess
	level := float64(need-1) / float64(mv-1)
	vals := make([]float64, len(random))
	for _, x := range members {
		if chosen[x] {
			continue
		}
		for j, a := range random {
			vals[j] = rows.RowIn(a)[x]
		}
		sort.Float64s(vals)
		guesses = append(guesses, guess{x, quantileSorted(vals, level)})
	}
	sort.SliceStable(guesses, func(i, j int) bool { return guesses[i].r < guesses[j].r })
	var refined []int
	for _, g := range guesses[:min(nRefine, len(guesses))] {
		refined = append(refined, g.pos)
	}
	if err := rows.Compute(ctx, refined); err != nil {
		return centreFound{}, err
	}
	found := best(append(slices.Clone(random), refined...))
	found.random, found.refined = len(random), len(refined)
	return found, nil
}

// String describes the search for reports.
func (c centreFound) String() string {
	if c.exact {
		return fmt.Sprintf("exact: every distance of the %d candidates", c.random)
	}
	return fmt.Sprintf("sampled: %d random candidates and %d refined ones", c.random, c.refined)
}
