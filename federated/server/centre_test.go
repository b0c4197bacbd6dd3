package server

import (
	"bytes"
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"sort"
	"strings"
	"testing"

	"gonum.org/v1/gonum/mat"

	"github.com/nistgmm/nistgmm/federated/divergence"
	"github.com/nistgmm/nistgmm/federated/estimates"
	"github.com/nistgmm/nistgmm/federated/internal/kernel"
	"github.com/nistgmm/nistgmm/federated/mixture"
)

// matrixRows serves rows of a full distance matrix, counting the rows asked.
type matrixRows struct {
	dist     *mat.Dense
	computed map[int]bool
}

func (m *matrixRows) Compute(_ context.Context, from []int) error {
	for _, a := range from {
		m.computed[a] = true
	}
	return nil
}
func (m *matrixRows) RowOut(a int) []float64 { return m.dist.RawRowView(a) }
func (m *matrixRows) RowIn(a int) []float64 {
	n, _ := m.dist.Dims()
	col := make([]float64, n)
	for b := range col {
		col[b] = m.dist.At(b, a)
	}
	return col
}

// euclideanCloud returns n points in the plane, a share of them far out,
// and their distance matrix.
func euclideanCloud(rng *rand.Rand, n int, outliers float64) *mat.Dense {
	pts := make([][2]float64, n)
	for i := range pts {
		s := 1.0
		if rng.Float64() < outliers {
			s = 20
		}
		pts[i] = [2]float64{s * rng.NormFloat64(), s*rng.NormFloat64() + 3*float64(i%3)}
	}
	dist := mat.NewDense(n, n, nil)
	for i := range pts {
		for j := range pts {
			dist.Set(i, j, math.Hypot(pts[i][0]-pts[j][0], pts[i][1]-pts[j][1]))
		}
	}
	return dist
}

// The stated guarantee, measured: with c random candidates (no refined
// ones), the centre is worse than the estimate ranked ceil(q m) by radius in
// at most (1-q)^c of the searches, and for a metric its radius exceeds
// twice the exact one in at most 2^-c of them.
func TestSampledCentreGuarantee(t *testing.T) {
	const trials, m, c = 3000, 60, 3
	rng := newRNG(11)
	worse := map[float64]int{0.2: 0, 0.4: 0}
	twice := 0
	for trial := 0; trial < trials; trial++ {
		dist := euclideanCloud(rng, m, 0.3)
		_, exact, radii := CenterOfAttention(dist)
		sorted := slices.Clone(radii)
		sort.Float64s(sorted)
		members := make([]int, m)
		for a := range members {
			members[a] = a
		}
		found, err := searchCentre(context.Background(), &matrixRows{dist, map[int]bool{}}, members, rng.Perm(m), c, 0)
		if err != nil {
			t.Fatal(err)
		}
		if found.Radius != radii[found.Centre] {
			t.Fatalf("radius %v, the centre's is %v", found.Radius, radii[found.Centre])
		}
		for q := range worse {
			if found.Radius > sorted[int(math.Ceil(q*m))-1] {
				worse[q]++
			}
		}
		if found.Radius > 2*exact {
			twice++
		}
	}
	for q, n := range worse {
		bound := math.Pow(1-q, c)
		if got := float64(n) / trials; got > bound+3*math.Sqrt(bound*(1-bound)/trials) {
			t.Errorf("q = %v: centre outside the best %v in %.3f of searches, bound %.3f", q, q, got, bound)
		}
	}
	if got, bound := float64(twice)/trials, math.Pow(0.5, c); got > bound+3*math.Sqrt(bound*(1-bound)/trials) {
		t.Errorf("radius above twice the exact in %.3f of searches, bound %.3f", got, bound)
	}
}

// With the default candidates the search finds the exact centre's quality
// on clouds with a third of outliers, and computes only its rows; with as
// many candidates as members it is the exact search.
func TestSampledCentreDefaults(t *testing.T) {
	rng := newRNG(12)
	for trial := 0; trial < 20; trial++ {
		const m = 400
		dist := euclideanCloud(rng, m, 0.33)
		_, exact, _ := CenterOfAttention(dist)
		members := make([]int, m)
		for a := range members {
			members[a] = a
		}
		rows := &matrixRows{dist, map[int]bool{}}
		found, err := searchCentre(context.Background(), rows, members, rng.Perm(m), DefaultCandidates, DefaultRefined)
		if err != nil {
			t.Fatal(err)
		}
		if found.Radius > 1.05*exact {
			t.Errorf("trial %d: radius %v, exact %v", trial, found.Radius, exact)
		}
		if len(rows.computed) != DefaultCandidates+DefaultRefined || found.Exact {
			t.Errorf("trial %d: %d rows computed", trial, len(rows.computed))
		}
		few := members[:40]
		found, err = searchCentre(context.Background(), rows, few, rng.Perm(m), 30, 10)
		if err != nil {
			t.Fatal(err)
		}
		pos, r, _ := CenterOfAttention(subMatrix(dist, few))
		if !found.Exact || found.Centre != few[pos] || found.Radius != r {
			t.Errorf("trial %d: %+v, exact centre %d radius %v", trial, found, few[pos], r)
		}
	}
}

// momentRound returns m estimates of one mixture in dimension 3 (the
// moments of each component's points in an n-point sample, as a local fit
// would scatter), the first nByz replaced by the mean failure and the next
// copies by exact copies of estimate 0.
func momentRound(t testing.TB, m, nByz, copies int, seed uint64) ([]estimates.Estimate, []int) {
	rng := newRNG(seed)
	truth := randomMixture(rng, 3, 3, 4)
	var ests []estimates.Estimate
	var byz []int
	for i := 0; i < m; i++ {
		X, labels, err := truth.Sample(600, rng)
		if err != nil {
			t.Fatal(err)
		}
		g := &mixture.Mixture{Weights: make([]float64, 3)}
		for k := 0; k < 3; k++ {
			var pts [][]float64
			for r, l := range labels {
				if l == k {
					pts = append(pts, X.RawRowView(r))
				}
			}
			g.Weights[k] = float64(len(pts)) / 600
			mean := make([]float64, 3)
			for _, p := range pts {
				for j := range mean {
					mean[j] += p[j] / float64(len(pts))
				}
			}
			cov := mat.NewSymDense(3, nil)
			for _, p := range pts {
				for a := 0; a < 3; a++ {
					for b := a; b < 3; b++ {
						cov.SetSym(a, b, cov.At(a, b)+(p[a]-mean[a])*(p[b]-mean[b])/float64(len(pts)-1))
					}
				}
			}
			g.Means, g.Covs = append(g.Means, mean), append(g.Covs, cov)
		}
		switch {
		case i < nByz:
			if g, err = plant(g, meanFailure, rng); err != nil {
				t.Fatal(err)
			}
			byz = append(byz, i)
		case i < nByz+copies:
			g = ests[0].Mixture.Clone()
			byz = append(byz, i)
		}
		ests = append(ests, estimates.Estimate{ID: fmt.Sprintf("m%04d", i), N: 600, Mixture: g})
	}
	return ests, byz
}

// A round at scale (sampled search) keeps what the exact round keeps: the
// same copies set aside, the mean failures flagged, a centre as good, and
// ARED's answer as close to the exact one's as the sampling noise allows;
// it says how COAT was found and forms no m x m matrix.
func TestSampledRoundAgreesWithExact(t *testing.T) {
	ests, byz := momentRound(t, 260, 40, 25, 15)
	ctx := context.Background()
	exact, err := (&Server{Centre: CentreExact}).Prepare(ctx, ests)
	if err != nil {
		t.Fatal(err)
	}
	sampled, err := (&Server{}).Prepare(ctx, ests)
	if err != nil {
		t.Fatal(err)
	}
	if sampled.Distances != nil || !strings.HasPrefix(sampled.CentreSearch, "sampled") || !strings.HasPrefix(exact.CentreSearch, "exact") {
		t.Fatalf("centre search: %q and %q", sampled.CentreSearch, exact.CentreSearch)
	}
	ids := func(inv []Invalid) []int {
		var out []int
		for _, s := range inv {
			out = append(out, s.Index)
		}
		return out
	}
	_ = ids
	groups := func(r *Round) [][]int {
		var out [][]int
		for _, g := range r.CopyGroups {
			out = append(out, g.Members)
		}
		return out
	}
	if got, want := groups(sampled), groups(exact); !slices.EqualFunc(got, want, slices.Equal[[]int]) || len(want) != 1 || len(want[0]) != 26 {
		t.Fatalf("copy groups %v, exact %v (want one: estimate 0 and its 25 copies)", got, want)
	}
	if sampled.Radius > 1.05*exact.Radius {
		t.Errorf("r_coat %v, exact %v", sampled.Radius, exact.Radius)
	}
	a, err := exact.Aggregate(ctx, ARED, nil)
	if err != nil {
		t.Fatal(err)
	}
	b, err := sampled.Aggregate(ctx, ARED, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, i := range byz {
		if !slices.Contains(b.Flagged, i) {
			t.Errorf("Byzantine estimate %d not flagged at scale", i)
		}
	}
	if extra := len(b.Flagged) - len(byz); extra > 260/20 {
		t.Errorf("%d honest estimates flagged", extra)
	}
	d, err := divergence.Jeffreys.Between(a.Mixture, b.Mixture)
	if err != nil {
		t.Fatal(err)
	}
	if d > 0.01 {
		t.Errorf("ARED at scale is %v from the exact round's", d)
	}
}

// A report at scale holds O(m) numbers: the distances to COAT, and no
// matrix; it says how COAT was found. Under every distance: a round at
// scale keeps its components without their inverses, which each path that
// reads them computes again.
func TestReportAtScaleHasNoMatrix(t *testing.T) {
	ests, _ := momentRound(t, 30, 5, 0, 16)
	var buf bytes.Buffer
	if err := estimates.EncodeEstimates(&buf, ests); err != nil {
		t.Fatal(err)
	}
	for _, d := range divergence.Distances() {
		for _, centre := range []CentreSearch{CentreExact, CentreSampled} {
			// Few candidates, so that pairs outside the computed rows are
			// compared on their own (the copy rule's checks).
			rep, err := (&Server{Centre: centre, Distance: d, Candidates: 2, Refined: 1}).AggregateDocument(context.Background(), bytes.NewReader(buf.Bytes()), ARED, nil)
			if err != nil {
				t.Fatalf("%s, %s: %v", d, centre, err)
			}
			if len(rep.CoatDistances) != 30 || rep.CentreSearch == "" || (rep.Distances == nil) != (centre == CentreSampled) {
				t.Errorf("%s, %s: %d distances to COAT, matrix %v, search %q", d, centre, len(rep.CoatDistances), rep.Distances != nil, rep.CentreSearch)
			}
		}
	}
}

// BenchmarkAREDAtScale aggregates rounds of m estimates (order 3 in
// dimension 3) with the default search, sampled above 200 valid
// estimates, and with the exact one for the ratio at the same m.
func BenchmarkAREDAtScale(b *testing.B) {
	ests, _ := momentRound(b, 4000, 800, 0, 18)
	for _, c := range []struct {
		m      int
		centre CentreSearch
	}{{250, CentreExact}, {250, CentreAuto}, {1000, CentreExact}, {1000, CentreAuto}, {4000, CentreAuto}} {
		name := fmt.Sprintf("m%d-%s", c.m, map[CentreSearch]string{CentreExact: "exact", CentreAuto: "sampled"}[c.centre])
		b.Run(name, func(b *testing.B) {
			srv := &Server{Centre: c.centre}
			// The Byzantine estimates are spread over the whole set.
			round := append(slices.Clone(ests[800:800+c.m*4/5]), ests[:c.m/5]...)
			for i := 0; i < b.N; i++ {
				r, err := srv.Prepare(context.Background(), round)
				if err != nil {
					b.Fatal(err)
				}
				if _, err := r.Aggregate(context.Background(), ARED, nil); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// A round at scale gives the same numbers whatever the number of
// goroutines.
func TestSampledRoundIsDeterministic(t *testing.T) {
	ests, _ := momentRound(t, 230, 40, 10, 19)
	var first *Result
	for _, workers := range []int{1, 3} {
		round, err := (&Server{Workers: workers, Seed: 4}).Prepare(context.Background(), ests)
		if err != nil {
			t.Fatal(err)
		}
		res, err := round.Aggregate(context.Background(), ARED, nil)
		if err != nil {
			t.Fatal(err)
		}
		if first == nil {
			first = res
			continue
		}
		if !slices.Equal(first.Flagged, res.Flagged) || !slices.Equal(first.Mixture.Weights, res.Mixture.Weights) {
			t.Fatalf("workers %d: flagged %v weights %v, with one worker %v %v", workers, res.Flagged, res.Mixture.Weights, first.Flagged, first.Mixture.Weights)
		}
		for k := range res.Mixture.Means {
			if !slices.Equal(first.Mixture.Means[k], res.Mixture.Means[k]) || !mat.Equal(first.Mixture.Covs[k], res.Mixture.Covs[k]) {
				t.Fatalf("workers %d: component %d differs", workers, k)
			}
		}
	}
}

// Decoys whose distances to every candidate agree, though they are far
// from each other, cost at most maxCopyChecks comparisons each, and a group
// of copies among them is still found.
func TestSampledCopiesResistDecoys(t *testing.T) {
	ests, _ := momentRound(t, 300, 0, 0, 20)
	for i := 150; i < 170; i++ { // copies of estimate 149
		ests[i].Mixture = ests[149].Mixture.Clone()
	}
	rows := jeffreysRows(t, ests)
	cands := []int{0, 1, 2, 3}
	if err := rows.Compute(context.Background(), cands); err != nil {
		t.Fatal(err)
	}
	// Estimates 30 to 169 look alike to every candidate: the screen
	// passes every pair of them (9,730 pairs).
	for _, a := range cands {
		out := slices.Clone(rows.Out[a])
		for x := 30; x < 170; x++ {
			out[x] = 7
		}
		rows.Out[a], rows.In[a] = out, out
	}
	rep, _, err := nearCopiesSampled(context.Background(), rows, cands, 300, CopyFraction, nil)
	if err != nil {
		t.Fatal(err)
	}
	// At most maxCopyChecks (16) per estimate: 4,800.
	if rows.Pairs > 4800 {
		t.Errorf("%d pairs compared on their own", rows.Pairs)
	}
	for i := 150; i < 170; i++ {
		if rep[i] != 149 {
			t.Errorf("copy %d grouped with %d, want 149", i, rep[i])
		}
	}
	for i := 30; i < 149; i++ {
		if rep[i] != i {
			t.Errorf("estimate %d grouped with %d", i, rep[i])
		}
	}
}

// When the random candidates happen to be mostly scattered Byzantine
// estimates (the mean failure), the typical distance stays the honest
// estimates' and no honest estimate is grouped as a copy.
func TestSampledCopiesWithByzantineHeavyCandidates(t *testing.T) {
	ests, _ := momentRound(t, 300, 140, 0, 22)
	rows := jeffreysRows(t, ests)
	// 20 of 32 candidates Byzantine (0-139), 12 honest (140-299).
	var cands []int
	for i := 0; i < 20; i++ {
		cands = append(cands, i*7)
	}
	for i := 0; i < 12; i++ {
		cands = append(cands, 140+i*13)
	}
	if err := rows.Compute(context.Background(), cands); err != nil {
		t.Fatal(err)
	}
	rep, _, err := nearCopiesSampled(context.Background(), rows, cands, 300, CopyFraction, nil)
	if err != nil {
		t.Fatal(err)
	}
	for i := 140; i < 300; i++ {
		if rep[i] != i {
			t.Fatalf("honest estimate %d grouped with %d", i, rep[i])
		}
	}
}

// jeffreysRows is a row source over the estimates' mixtures.
func jeffreysRows(t *testing.T, ests []estimates.Estimate) *kernel.RowSource {
	var preps []*kernel.DistanceInput
	for _, e := range ests {
		p, err := kernel.NewDistanceInput(e.Mixture)
		if err != nil {
			t.Fatal(err)
		}
		preps = append(preps, p)
	}
	rows, err := kernel.NewRowSource(context.Background(), kernel.Jeffreys, preps, 2)
	if err != nil {
		t.Fatal(err)
	}
	return rows
}
