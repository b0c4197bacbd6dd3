package server

import (
	"context"
	"math"
	"sort"

	"gonum.org/v1/gonum/mat"

	"github.com/nistgmm/nistgmm/federated/internal/kernel"
	"github.com/nistgmm/nistgmm/federated/internal/robust"
)

// CopyFraction is the default of Server.CopyFraction: two estimates closer
// than this fraction of the typical nearest-neighbour distance are near
// copies. Fits of one model on independent samples scatter like the
// sampling noise: on simulated rounds (50 local fits, every distance) the
// closest honest pair sat at 0.33-0.89 of the median nearest-neighbour
// distance, so a tenth leaves a margin of three, while a copy, exact or
// rounded, sits at 0 (see the README).
const CopyFraction = 0.1

// CopyFloor bounds the typical distance of the copy rule from below: it is
// at least this fraction of the radius of the smallest ball holding half of
// all valid estimates (copies included). Replays drag the median nearest-
// neighbour distance towards 0 (26 of 50 estimates with an exact copy made
// it 1e-14 and switched the rule off), but no placement of fewer than half
// of the estimates shrinks that radius below the spread of the honest
// estimates: a ball holding half of them holds at least m/2 - b honest ones,
// which are distinct fits. On simulated clean rounds (K 2-10, d 2-20, m
// 5-50, equal and unequal n) the closest honest pair sat at 0.018-0.63 of
// that radius, so the floor's limit (CopyFraction times it, 0.003 of the
// radius) stays six times below the closest honest pair.
const CopyFloor = 0.03

// nearCopies groups the valid estimates (positions into dist) whose
// distance to another of the group is at most fraction times the typical
// distance: the median over estimates of the distance to the nearest other
// (the larger of the two directions), and at least CopyFloor times the
// radius of the smallest ball holding half of them. Fewer than half of the
// estimates are Byzantine, so the median is an honest estimate's nearest
// neighbour unless replays give most estimates a copy, and then the floor
// holds. It returns, for every position, the position of its group's
// representative, and the typical distance. The representative is the
// member with the smallest key (its content hash; ties to the lower
// position), so that no position in the document decides which member
// stands for the group.
func nearCopies(dist *mat.Dense, fraction float64, key []uint64) (rep []int, typical float64) {
	m, _ := dist.Dims()
	rep = make([]int, m)
	for a := range rep {
		rep[a] = a
	}
	if m < 3 || fraction <= 0 {
		return rep, 0
	}
	sym := func(a, b int) float64 { return math.Max(dist.At(a, b), dist.At(b, a)) }
	nearest := make([]float64, m)
	row := make([]float64, m)
	half := math.Inf(1)
	for a := 0; a < m; a++ {
		nearest[a] = math.Inf(1)
		for b := 0; b < m; b++ {
			row[b] = 0
			if b != a {
				row[b] = sym(a, b)
				nearest[a] = math.Min(nearest[a], row[b])
			}
		}
		sort.Float64s(row)
		half = math.Min(half, row[(m+1)/2-1])
	}
	sort.Float64s(nearest)
	typical = math.Max(robust.QuantileSorted(nearest, 0.5), CopyFloor*half)
	limit := fraction * typical
	var links []copyLink
	for a := 0; a < m; a++ {
		for b := a + 1; b < m; b++ {
			if dist.At(a, b) <= limit && dist.At(b, a) <= limit {
				links = append(links, copyLink{a, b})
			}
		}
	}
	return groupCopies(m, links, key), typical
}

// copyLink is a pair of positions within the copy limit of each other.
type copyLink struct{ a, b int }

// groupCopies joins the linked positions into groups and returns, for every
// position, its group's representative: the member with the smallest key,
// ties to the lower position.
func groupCopies(m int, links []copyLink, key []uint64) []int {
	root := make([]int, m)
	for a := range root {
		root[a] = a
	}
	find := func(a int) int {
		for root[a] != a {
			root[a] = root[root[a]]
			a = root[a]
		}
		return a
	}
	for _, l := range links {
		ra, rb := find(l.a), find(l.b)
		if ra != rb {
			root[max(ra, rb)] = min(ra, rb)
		}
	}
	best := make([]int, m) // per root, the member chosen so far
	for a := range best {
		best[a] = -1
	}
	for a := 0; a < m; a++ {
		r := find(a)
		if b := best[r]; b < 0 || key != nil && key[a] < key[b] {
			best[r] = a
		}
	}
	rep := make([]int, m)
	for a := range rep {
		rep[a] = best[find(a)]
	}
	return rep
}

// maxCopyChecks bounds the pairs nearCopiesSampled compares by their own
// distance for each estimate (with those after it in the screen's order).
// Estimates whose distances to every candidate agree but which are far
// apart (decoys, or estimates so extreme that every distance is capped)
// would otherwise cost a comparison per pair; a group of copies stays
// connected, since each copy is compared with the next ones in the order.
const maxCopyChecks = 16

// sampledTypicalLevel is the quantile of the random candidates' nearest-
// neighbour distances nearCopiesSampled takes as the typical distance. The
// median over all estimates (nearCopies) is an honest estimate's as long as
// fewer than half are Byzantine; the median of 32 of them is not: with 40%
// scattered Byzantine estimates (the mean failure), 16 or more of the 32 are
// Byzantine one time in eight, the median is then a Byzantine estimate's
// far nearest neighbour, and every honest estimate fell within a tenth of
// it: the honest estimates were grouped as copies of one another (measured:
// ARED's W1 18,700 times the exact search's in one round of 20). The lower
// quartile needs 24 of the 32 to be Byzantine (probability below 1e-4 for
// any share below a half); honest nearest-neighbour distances vary little,
// so it is still their scale, and a smaller limit only groups less.
const sampledTypicalLevel = 0.25

// nearCopiesSampled is nearCopies without the m x m matrix. The typical
// distance is the lower quartile (sampledTypicalLevel) of the
// nearest-neighbour distances of the random candidates cands, whose rows
// are exact (a random sample of the nearest-neighbour distances nearCopies
// takes the median of), and the limit is at least the distance's
// rounding, so that exact copies are grouped even when a quarter of the
// candidates are copies. The pairs compared
// are those whose distances to every candidate c agree:
// |sqrt D(c, x) - sqrt D(c, y)| <= 2 sqrt(limit). Two estimates within
// limit of each other pass whenever D or its square root satisfies the
// triangle inequality up to a factor of two at that scale (ISE is a metric;
// the Jeffreys divergence is locally a squared metric, the Fisher-Rao
// distance), and exact copies always pass; each passing pair is then
// compared by its own distance, so nothing is grouped on the screen alone.
// It returns the groups and the typical distance as nearCopies does.
func nearCopiesSampled(ctx context.Context, rows *kernel.RowSource, cands []int, m int, fraction float64, key []uint64) (rep []int, typical float64, err error) {
	rep = make([]int, m)
	for a := range rep {
		rep[a] = a
	}
	if m < 3 || fraction <= 0 || len(cands) == 0 {
		return rep, 0, nil
	}
	sym := func(a, b int) float64 { return math.Max(rows.Out[a][b], rows.In[a][b]) }
	nearest := make([]float64, 0, len(cands))
	row := make([]float64, m)
	half := math.Inf(1) // the smallest half-ball radius among the candidates
	for _, a := range cands {
		nn := math.Inf(1)
		for b := 0; b < m; b++ {
			row[b] = 0
			if b != a {
				row[b] = sym(a, b)
				nn = math.Min(nn, row[b])
			}
		}
		nearest = append(nearest, nn)
		sort.Float64s(row)
		half = math.Min(half, row[(m+1)/2-1])
	}
	sort.Float64s(nearest)
	typical = math.Max(robust.QuantileSorted(nearest, sampledTypicalLevel), CopyFloor*half)
	limit := math.Max(fraction*typical, rows.Dist.RoundOff())
	window := 2 * math.Sqrt(limit)
	c := len(cands)
	prof := make([]float64, m*c)
	for j, a := range cands {
		for x := 0; x < m; x++ {
			prof[x*c+j] = math.Sqrt(sym(a, x))
		}
	}
	byFirst := make([]int, m)
	for x := range byFirst {
		byFirst[x] = x
	}
	sort.SliceStable(byFirst, func(i, j int) bool { return prof[byFirst[i]*c] < prof[byFirst[j]*c] })
	var links []copyLink
	for i, x := range byFirst {
		if i%256 == 0 {
			if err := ctx.Err(); err != nil {
				return nil, 0, err
			}
		}
		px := prof[x*c : x*c+c]
		checked := 0
	next:
		for _, y := range byFirst[i+1:] {
			py := prof[y*c : y*c+c]
			if py[0]-px[0] > window || checked == maxCopyChecks {
				break
			}
			for j := 1; j < c; j++ {
				if math.Abs(py[j]-px[j]) > window {
					continue next
				}
			}
			checked++
			dxy, dyx, err := rows.Pair(x, y)
			if err != nil {
				return nil, 0, err
			}
			if dxy <= limit && dyx <= limit {
				links = append(links, copyLink{min(x, y), max(x, y)})
			}
		}
	}
	return groupCopies(m, links, key), typical, nil
}
