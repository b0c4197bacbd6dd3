package server

import (
	"sort"

	"gonum.org/v1/gonum/mat"
)

// CenterOfAttention returns the index minimizing r(G_i), the smallest radius
// whose closed ball around G_i (row i of dist) holds at least ceil(m/2)
// estimates, G_i included; ties go to the lower index. It also returns
// r_coat and every r(G_i).
func CenterOfAttention(dist *mat.Dense) (int, float64, []float64) {
	m, _ := dist.Dims()
	need := (m + 1) / 2
	radii := make([]float64, m)
	row := make([]float64, m)
	best := 0
	for i := 0; i < m; i++ {
		copy(row, dist.RawRowView(i))
		row[i] = 0
		sort.Float64s(row)
		radii[i] = row[need-1]
		if radii[i] < radii[best] {
			best = i
		}
	}
	return best, radii[best], radii
}

// CoatDistances returns D(COAT, G) for every valid estimate, in the order of
// Valid (0 for COAT itself). ARED's and CRED's balls are taken over these.
func (r *Round) CoatDistances() []float64 {
	var out []float64
	if r.Distances != nil {
		out = append(out, r.Distances.RawRowView(r.coatPos)...)
	} else {
		out = append(out, r.coatRow...)
	}
	out[r.coatPos] = 0
	return out
}

// ball splits the valid estimates by D(COAT, G) <= radius: counted are
// the counted estimates inside (COAT always among them), the ones a
// reduction takes; kept adds the members of their copy groups (counted once,
// through their representative); out is every other valid estimate, the
// set-aside ones and the members of groups outside the ball among them.
// Indices refer to Estimates.
func (r *Round) ball(radius float64) (counted, kept, out []int) {
	dist := r.CoatDistances()
	inside := func(b int) bool { return b == r.coatPos || r.voter[b] && dist[b] <= radius }
	for b, j := range r.Valid {
		switch {
		case inside(b):
			counted = append(counted, j)
			kept = append(kept, j)
		case !r.voter[b] && r.repOf[b] != b && r.voter[r.repOf[b]] && inside(r.repOf[b]):
			kept = append(kept, j)
		default:
			out = append(out, j)
		}
	}
	return counted, kept, out
}

// aredBall returns the estimates in ARED's ball (counted, and with their
// copies) and the valid ones outside it (set-aside estimates among them),
// its radius and a warning: what ARED's ball keeps, without reducing
// anything.
func (r *Round) aredBall() (counted, kept, out []int, radius float64, warning string, err error) {
	if radius, warning, err = r.aredRadius(); err != nil {
		return nil, nil, nil, 0, "", err
	}
	counted, kept, out = r.ball(radius)
	return counted, kept, out, radius, warning, nil
}

// AREDFlags returns the estimates outside ARED's ball (invalid and
// set-aside estimates included), without computing its answer or its
// verdicts: an attacker's probe of what the ball keeps.
func (r *Round) AREDFlags() ([]int, error) {
	_, _, out, _, _, err := r.aredBall()
	if err != nil {
		return nil, err
	}
	return r.withInvalid(out), nil
}

// withInvalid returns flagged plus every invalid estimate, sorted: an
// estimate that failed validation always counts as flagged.
func (r *Round) withInvalid(flagged []int) []int {
	out := append([]int(nil), flagged...)
	for _, inv := range r.Invalid {
		out = append(out, inv.Index)
	}
	sort.Ints(out)
	return out
}
