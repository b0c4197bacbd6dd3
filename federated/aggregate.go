package federated

import (
	"context"
	"errors"
	"fmt"
	"math"
	"sort"

	"gonum.org/v1/gonum/mat"
)

// Estimate is what one machine transmits: its fitted mixture and the number
// of observations it was fitted on.
type Estimate struct {
	ID      string
	N       int
	Mixture *Mixture
	// Malformed, when not empty, says why the transmitted estimate could not
	// even be decoded; Prepare lists such an estimate as invalid.
	Malformed string
}

// Method names an aggregation rule.
type Method string

const (
	GMR    Method = "gmr"    // reduction of all estimates (eq. 2)
	COAT   Method = "coat"   // the centre of attention itself (eq. 3)
	CRED   Method = "cred"   // reduction over COAT's half-ball (eq. 4)
	ARED   Method = "ared"   // reduction over COAT's inflated ball (eq. 5)
	TRIM   Method = "trim"   // trimmed k-barycenter (Algorithm 2)
	Oracle Method = "oracle" // reduction over machines known to be honest
)

// Methods lists every method in the column order of the paper's Table 2.
var Methods = []Method{Oracle, ARED, CRED, TRIM, COAT, GMR}

// ParseMethod accepts the lower-case method names.
func ParseMethod(s string) (Method, error) {
	for _, m := range Methods {
		if string(m) == s {
			return m, nil
		}
	}
	return "", fmt.Errorf("unknown method %q: want gmr, coat, cred, ared, trim or oracle", s)
}

// Server aggregates transmitted estimates. Its zero value uses the CTD-KL
// distance (see the package README for why not the paper's ISE), the paper's
// trimming level 0.5 and GOMAXPROCS workers.
type Server struct {
	// K and Dim are the order and dimension estimates must have; 0 means the
	// most common among the estimates received.
	K, Dim int
	// Distance chooses COAT and the balls; "" means KL.
	Distance Distance
	// Trim is TRIM's trimming level eta; 0 means 0.5.
	Trim float64
	// Tol stops GMR and TRIM when the objective changes by less than
	// Tol * max(1, |objective|); 0 means 1e-10.
	Tol float64
	// MaxIter caps GMR and TRIM iterations; 0 means 1000.
	MaxIter int
	// Starts are extra starting mixtures for GMR besides COAT; the
	// reduction with the lowest objective wins.
	Starts []*Mixture
	// KeptStarts adds, as further GMR starting mixtures, the estimates
	// being reduced that are nearest to COAT (up to this many). 0 is the
	// paper's single start at COAT.
	KeptStarts int
	// Workers bounds the goroutines computing distances; 0 means GOMAXPROCS.
	Workers int
	// AREDPower is the power of AREDFactor in ARED's radius. 0 means the
	// distance's Order: 1 for ISE and KL, which is eq. (5) as printed, and
	// 2 for CS, which shrinks like n^-1 rather than n^-1/2 (see Order).
	AREDPower float64
}

// Invalid is an estimate excluded before any distance is computed.
type Invalid struct {
	Index  int
	ID     string
	Reason string
}

// Round is one set of received estimates, validated, with their pairwise
// distances and centre of attention. Every aggregation of the round reuses
// them.
type Round struct {
	server    *Server
	Estimates []Estimate
	Valid     []int      // indices into Estimates, ascending
	Invalid   []Invalid  // excluded estimates and why
	Distances *mat.Dense // len(Valid) x len(Valid), D(G_Valid[a], G_Valid[b])
	Distance  Distance
	Coat      int     // index into Estimates
	Radius    float64 // r_coat
	radii     []float64
}

// Result is the outcome of one aggregation. Indices refer to the estimates
// given to Prepare.
type Result struct {
	Method  Method
	Mixture *Mixture
	Kept    []int // estimates the aggregate was built from
	Flagged []int // estimates the method judged Byzantine
	// Objective is the final transportation cost of GMR-based methods and
	// the trimmed cost of TRIM; 0 for COAT.
	Objective float64
}

func (s *Server) distance() Distance {
	if s.Distance == "" {
		return KL
	}
	return s.Distance
}

func (s *Server) trim() float64 {
	if s.Trim > 0 {
		return s.Trim
	}
	return 0.5
}

func (s *Server) tol() float64 {
	if s.Tol > 0 {
		return s.Tol
	}
	return 1e-10
}

func (s *Server) maxIter() int {
	if s.MaxIter > 0 {
		return s.MaxIter
	}
	return 1000
}

// Prepare validates the estimates, sets aside the invalid ones with their
// reasons, computes the pairwise distances among the rest and finds COAT.
// It fails only when fewer than one valid estimate remains.
func (s *Server) Prepare(ctx context.Context, ests []Estimate) (*Round, error) {
	r := &Round{server: s, Estimates: ests, Distance: s.distance()}
	if _, err := ParseDistance(string(r.Distance)); err != nil {
		return nil, err
	}
	k, d := s.K, s.Dim
	if k == 0 || d == 0 {
		ck, cd := commonShape(ests)
		if k == 0 {
			k = ck
		}
		if d == 0 {
			d = cd
		}
	}
	var mixtures []*Mixture
	for i, e := range ests {
		reason := ""
		switch {
		case e.Malformed != "":
			reason = e.Malformed
		case e.Mixture == nil:
			reason = "no mixture"
		case e.N <= 0:
			reason = fmt.Sprintf("sample size %d is not positive", e.N)
		case e.Mixture.K() != k:
			reason = fmt.Sprintf("order %d, want %d", e.Mixture.K(), k)
		case e.Mixture.Dim() != d:
			reason = fmt.Sprintf("dimension %d, want %d", e.Mixture.Dim(), d)
		default:
			if err := e.Mixture.Validate(); err != nil {
				reason = err.Error()
			}
		}
		if reason != "" {
			r.Invalid = append(r.Invalid, Invalid{Index: i, ID: e.ID, Reason: reason})
			continue
		}
		r.Valid = append(r.Valid, i)
		mixtures = append(mixtures, e.Mixture)
	}
	if len(r.Valid) == 0 {
		return nil, errors.New("no valid estimate to aggregate")
	}
	dist, err := Pairwise(ctx, mixtures, r.Distance, s.Workers)
	if err != nil {
		return nil, err
	}
	r.Distances = dist
	coat, radius, radii := CenterOfAttention(dist)
	r.Coat, r.Radius, r.radii = r.Valid[coat], radius, radii
	return r, nil
}

// commonShape returns the most frequent (K, d) among the estimates, the
// first seen winning ties.
func commonShape(ests []Estimate) (int, int) {
	type shape struct{ k, d int }
	counts := map[shape]int{}
	var best shape
	for _, e := range ests {
		if e.Mixture == nil {
			continue
		}
		s := shape{e.Mixture.K(), e.Mixture.Dim()}
		counts[s]++
		if counts[s] > counts[best] {
			best = s
		}
	}
	return best.k, best.d
}

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

// AREDFactor is sqrt(0.5 log(m/2) log log m), the inflation of r_coat in
// eq. (5). It is defined for m >= 3.
func AREDFactor(m int) (float64, error) {
	if m < 3 {
		return 0, fmt.Errorf("ARED needs at least 3 valid estimates, got %d", m)
	}
	fm := float64(m)
	return math.Sqrt(0.5 * math.Log(fm/2) * math.Log(math.Log(fm))), nil
}

// ball returns the estimates (indices into Estimates) with D(COAT, G) <= radius.
func (r *Round) ball(radius float64) (in, out []int) {
	c := -1
	for a, i := range r.Valid {
		if i == r.Coat {
			c = a
		}
	}
	for b, j := range r.Valid {
		if j == r.Coat || r.Distances.At(c, b) <= radius {
			in = append(in, j)
		} else {
			out = append(out, j)
		}
	}
	return in, out
}

// Aggregate applies method. byzantine lists the estimates known to be
// Byzantine and is read only by Oracle. Invalid estimates are always among
// the flagged ones.
func (r *Round) Aggregate(ctx context.Context, method Method, byzantine []int) (*Result, error) {
	res := &Result{Method: method}
	var kept, flagged []int
	switch method {
	case COAT:
		res.Mixture = r.Estimates[r.Coat].Mixture.Clone()
		res.Kept = []int{r.Coat}
		for _, inv := range r.Invalid {
			res.Flagged = append(res.Flagged, inv.Index)
		}
		sort.Ints(res.Flagged)
		return res, nil
	case GMR:
		kept = append(kept, r.Valid...)
	case CRED:
		kept, flagged = r.ball(r.Radius)
	case ARED:
		f, err := AREDFactor(len(r.Valid))
		if err != nil {
			return nil, err
		}
		power := r.server.AREDPower
		if power == 0 {
			power = r.Distance.Order()
		}
		kept, flagged = r.ball(r.Radius * math.Pow(f, power))
	case Oracle:
		bad := map[int]bool{}
		for _, b := range byzantine {
			bad[b] = true
		}
		for _, i := range r.Valid {
			if bad[i] {
				flagged = append(flagged, i)
			} else {
				kept = append(kept, i)
			}
		}
		if len(kept) == 0 {
			return nil, errors.New("oracle: every valid estimate is Byzantine")
		}
	case TRIM:
		return r.trim(ctx)
	default:
		return nil, fmt.Errorf("unknown method %q", method)
	}
	for _, inv := range r.Invalid {
		flagged = append(flagged, inv.Index)
	}
	sort.Ints(flagged)
	mix, obj, err := r.reduce(ctx, kept)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", method, err)
	}
	res.Mixture, res.Kept, res.Flagged, res.Objective = mix, kept, flagged, obj
	return res, nil
}

// atom is one component of the averaged mixture with its mass lambda_i w_ik.
type atom struct {
	g       *gaussian
	mass    float64
	machine int
}

func (r *Round) atoms(machines []int) ([]atom, error) {
	var total float64
	for _, i := range machines {
		total += float64(r.Estimates[i].N)
	}
	var out []atom
	for _, i := range machines {
		e := r.Estimates[i]
		comps, err := e.Mixture.components()
		if err != nil {
			return nil, fmt.Errorf("estimate %d: %w", i, err)
		}
		lambda := float64(e.N) / total
		for k, g := range comps {
			if w := lambda * e.Mixture.Weights[k]; w > 0 {
				out = append(out, atom{g: g, mass: w, machine: i})
			}
		}
	}
	return out, nil
}

// reduce is the GMR estimator over the given estimates: the MM algorithm of
// Appendix A.2 minimizing the composite transportation divergence with KL
// cost from their lambda-weighted average to an order-K mixture, started at
// COAT and at every Server.Starts mixture, keeping the lowest objective.
func (r *Round) reduce(ctx context.Context, machines []int) (*Mixture, float64, error) {
	atoms, err := r.atoms(machines)
	if err != nil {
		return nil, 0, err
	}
	starts := append([]*Mixture{r.Estimates[r.Coat].Mixture}, r.server.Starts...)
	for _, i := range r.nearestToCoat(machines, r.server.KeptStarts) {
		starts = append(starts, r.Estimates[i].Mixture)
	}
	var best *Mixture
	bestObj := math.Inf(1)
	for si, start := range starts {
		if start.K() != r.Estimates[r.Coat].Mixture.K() || start.Dim() != r.Estimates[r.Coat].Mixture.Dim() {
			return nil, 0, fmt.Errorf("starting mixture %d has the wrong shape", si)
		}
		mix, obj, err := r.mm(ctx, atoms, start)
		if err != nil {
			return nil, 0, err
		}
		if obj < bestObj {
			best, bestObj = mix, obj
		}
	}
	return best, bestObj, nil
}

// mm runs the MM iterations from start. A component that receives no atom
// is moved onto the atom that currently pays the largest transport cost
// (the worst-served part of the average mixture): this lowers the
// objective, so the iterations stay monotone, and the reduction keeps K
// components.
func (r *Round) mm(ctx context.Context, atoms []atom, start *Mixture) (*Mixture, float64, error) {
	K := start.K()
	centers, err := start.components()
	if err != nil {
		return nil, 0, err
	}
	d := len(centers[0].mean)
	diff := make([]float64, d)
	assign := make([]int, len(atoms))
	cost := make([]float64, len(atoms))
	prev := math.Inf(1)
	var mix *Mixture
	for it := 0; it < r.server.maxIter(); it++ {
		if err := ctx.Err(); err != nil {
			return nil, 0, err
		}
		assignNearest(atoms, centers, assign, cost, diff)
		var obj float64
		for a, at := range atoms {
			obj += at.mass * cost[a]
		}
		if mix != nil && math.Abs(prev-obj) <= r.server.tol()*math.Max(1, math.Abs(obj)) {
			return mix, obj, nil
		}
		prev = obj
		reseedEmpty(atoms, assign, cost, K)
		mix = momentMatch(atoms, assign, func(a int) float64 { return atoms[a].mass }, K, d)
		normalize(mix.Weights)
		centers, err = mix.components()
		if err != nil {
			return nil, 0, fmt.Errorf("reduction produced an invalid component: %w", err)
		}
	}
	return mix, prev, nil
}

// assignNearest assigns every atom to the centre of least KL cost (ties to
// the lower index) and records that cost.
func assignNearest(atoms []atom, centers []*gaussian, assign []int, cost, diff []float64) {
	for a, at := range atoms {
		best, bestC := 0, math.Inf(1)
		for k, c := range centers {
			if v := klGauss(at.g, c, diff); v < bestC {
				best, bestC = k, v
			}
		}
		assign[a], cost[a] = best, bestC
	}
}

// reseedEmpty gives every component without atoms the atom of largest
// transport cost among those whose component keeps another atom.
func reseedEmpty(atoms []atom, assign []int, cost []float64, K int) {
	count := make([]int, K)
	for _, k := range assign {
		count[k]++
	}
	for k := 0; k < K; k++ {
		if count[k] > 0 {
			continue
		}
		worst := -1
		for a := range atoms {
			if count[assign[a]] > 1 && (worst < 0 || atoms[a].mass*cost[a] > atoms[worst].mass*cost[worst]) {
				worst = a
			}
		}
		if worst < 0 {
			return // fewer atoms than components
		}
		count[assign[worst]]--
		assign[worst], cost[worst] = k, 0
		count[k] = 1
	}
}

// momentMatch returns, for each component k, the Gaussian that minimizes
// sum_a mass_a KL(atom_a || phi_k) over the atoms assigned to k (the KL
// barycentre: matched first and second moments), with weight the total
// mass. A component without mass comes back with weight 0 and a zero
// covariance, which is not a valid component: callers reseed it first (GMR)
// or put the previous component back (TRIM).
func momentMatch(atoms []atom, assign []int, mass func(int) float64, K, d int) *Mixture {
	mix := &Mixture{Weights: make([]float64, K), Means: make([][]float64, K), Covs: make([]*mat.SymDense, K)}
	for k := 0; k < K; k++ {
		mix.Means[k] = make([]float64, d)
		mix.Covs[k] = mat.NewSymDense(d, nil)
	}
	for a, k := range assign {
		w := mass(a)
		if w == 0 {
			continue
		}
		mix.Weights[k] += w
		for i, v := range atoms[a].g.mean {
			mix.Means[k][i] += w * v
		}
	}
	for k := 0; k < K; k++ {
		if mix.Weights[k] > 0 {
			for i := range mix.Means[k] {
				mix.Means[k][i] /= mix.Weights[k]
			}
		}
	}
	for a, k := range assign {
		w := mass(a)
		if w == 0 {
			continue
		}
		g := atoms[a].g
		raw := mix.Covs[k].RawSymmetric()
		for i := 0; i < d; i++ {
			di := g.mean[i] - mix.Means[k][i]
			for j := i; j < d; j++ {
				dj := g.mean[j] - mix.Means[k][j]
				raw.Data[i*raw.Stride+j] += w * (g.cov[i*d+j] + di*dj)
			}
		}
	}
	for k := 0; k < K; k++ {
		if mix.Weights[k] > 0 {
			mix.Covs[k].ScaleSym(1/mix.Weights[k], mix.Covs[k])
		}
	}
	return mix
}

// trim is Algorithm 2: the trimmed k-barycenter with KL cost and trimming
// level eta, started at COAT. Each iteration assigns every atom to its
// nearest centre, keeps the cheapest atoms up to mass 1 - eta (the last one
// partially), and moves each centre to the barycentre of its kept mass. A
// centre that keeps no mass keeps its previous parameters with weight 0.
// Machines none of whose mass survives the final trimming are flagged.
func (r *Round) trim(ctx context.Context) (*Result, error) {
	eta := r.server.trim()
	if eta <= 0 || eta >= 1 {
		return nil, fmt.Errorf("trim: level %v is not in (0, 1)", eta)
	}
	atoms, err := r.atoms(r.Valid)
	if err != nil {
		return nil, err
	}
	start := r.Estimates[r.Coat].Mixture
	K, d := start.K(), start.Dim()
	centers, err := start.components()
	if err != nil {
		return nil, err
	}
	current := start.Clone()
	diff := make([]float64, d)
	assign := make([]int, len(atoms))
	cost := make([]float64, len(atoms))
	kappa := make([]float64, len(atoms))
	order := make([]int, len(atoms))
	prev := math.Inf(1)
	var obj float64
	for it := 0; it < r.server.maxIter(); it++ {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		assignNearest(atoms, centers, assign, cost, diff)
		for a := range order {
			order[a] = a
		}
		sort.SliceStable(order, func(x, y int) bool { return cost[order[x]] < cost[order[y]] })
		obj = trimMass(atoms, order, cost, kappa, 1-eta)
		if it > 0 && math.Abs(prev-obj) <= r.server.tol()*math.Max(1, math.Abs(obj)) {
			break
		}
		prev = obj
		next := momentMatch(atoms, assign, func(a int) float64 { return kappa[a] }, K, d)
		for k := 0; k < K; k++ {
			if next.Weights[k] == 0 {
				next.Means[k] = append([]float64(nil), current.Means[k]...)
				next.Covs[k] = mat.NewSymDense(d, nil)
				next.Covs[k].CopySym(current.Covs[k])
			}
		}
		normalize(next.Weights) // sum kappa = 1 - eta: this is the (1-eta)^-1 factor
		if centers, err = next.components(); err != nil {
			return nil, fmt.Errorf("trim produced an invalid component: %w", err)
		}
		current = next
	}
	res := &Result{Method: TRIM, Mixture: current, Objective: obj}
	keptMass := map[int]float64{}
	for a, at := range atoms {
		keptMass[at.machine] += kappa[a]
	}
	for _, i := range r.Valid {
		if keptMass[i] > 0 {
			res.Kept = append(res.Kept, i)
		} else {
			res.Flagged = append(res.Flagged, i)
		}
	}
	for _, inv := range r.Invalid {
		res.Flagged = append(res.Flagged, inv.Index)
	}
	sort.Ints(res.Flagged)
	return res, nil
}

// trimMass keeps the cheapest atoms (in the given cost order) up to total
// mass keep, writing the kept mass of each atom into kappa, and returns the
// trimmed cost. Atoms tied in cost at the boundary share the mass left in
// proportion to their own mass, instead of the first of them in index order
// taking it all: a common input then comes back unchanged.
func trimMass(atoms []atom, order []int, cost, kappa []float64, keep float64) float64 {
	left := keep
	var obj float64
	for start := 0; start < len(order); {
		end := start + 1
		for end < len(order) && cost[order[end]] == cost[order[start]] {
			end++
		}
		var group float64
		for _, a := range order[start:end] {
			group += atoms[a].mass
		}
		frac := 0.0
		if group > 0 && left > 0 {
			frac = math.Min(1, left/group)
		}
		for _, a := range order[start:end] {
			kappa[a] = frac * atoms[a].mass
			obj += kappa[a] * cost[a]
		}
		left -= frac * group
		start = end
	}
	return obj
}

// nearestToCoat returns up to n of machines other than COAT, nearest to COAT
// first (ties by index).
func (r *Round) nearestToCoat(machines []int, n int) []int {
	if n <= 0 {
		return nil
	}
	pos := map[int]int{}
	for a, i := range r.Valid {
		pos[i] = a
	}
	c := pos[r.Coat]
	var cand []int
	for _, i := range machines {
		if i != r.Coat {
			cand = append(cand, i)
		}
	}
	sort.SliceStable(cand, func(x, y int) bool {
		return r.Distances.At(c, pos[cand[x]]) < r.Distances.At(c, pos[cand[y]])
	})
	if len(cand) > n {
		cand = cand[:n]
	}
	return cand
}
