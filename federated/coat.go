package federated

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

// ball returns the counted estimates (indices into Estimates) with
// D(COAT, G) <= radius, and the others.
func (r *Round) ball(radius float64) (in, out []int) {
	for b, d := range r.CoatDistances() {
		if j := r.Valid[b]; b == r.coatPos || r.voter[b] && d <= radius {
			in = append(in, j)
		} else {
			out = append(out, j)
		}
	}
	return in, out
}

// aredBall returns the estimates in ARED's ball and the counted ones
// outside it (set-aside estimates among them), its radius and a warning:
// what ARED keeps and flags, without reducing anything.
func (r *Round) aredBall() (kept, flagged []int, radius float64, warning string, err error) {
	if radius, warning, err = r.aredRadius(); err != nil {
		return nil, nil, 0, "", err
	}
	kept, flagged = r.ball(radius)
	return kept, flagged, radius, warning, nil
}

// AREDFlags returns what ARED flags in the round (invalid and set-aside
// estimates included), without computing its answer: an attacker's probe.
func (r *Round) AREDFlags() ([]int, error) {
	_, flagged, _, _, err := r.aredBall()
	if err != nil {
		return nil, err
	}
	return r.withInvalid(flagged), nil
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
