package federated

import (
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
	"sort"
	"strings"

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
func Methods() []Method { return []Method{Oracle, ARED, CRED, TRIM, COAT, GMR} }

// ParseMethod accepts the lower-case method names.
func ParseMethod(s string) (Method, error) {
	for _, m := range Methods() {
		if string(m) == s {
			return m, nil
		}
	}
	return "", fmt.Errorf("unknown method %q: want gmr, coat, cred, ared, trim or oracle", s)
}

// Server aggregates transmitted estimates. Its zero value is the product's
// default: the symmetric Jeffreys transportation divergence, ARED's robust
// radius, the paper's trimming level 0.5, a multi-start reduction and
// GOMAXPROCS workers. The paper's own choices are one field away each
// (Distance ISE, Radius RadiusEq5, SingleStart).
type Server struct {
	// K and Dim are the order and dimension estimates must have; 0 means the
	// most common among the estimates received.
	K, Dim int
	// Distance chooses COAT and the balls; "" means Jeffreys.
	Distance Distance
	// Radius is ARED's rule for the radius of its ball; "" means
	// RadiusRobust. RadiusScale is the rule's constant; 0 means the rule's
	// default (see RadiusRule).
	Radius      RadiusRule
	RadiusScale float64
	// AREDPower is the power of AREDFactor in eq. (5)'s radius. 0 means the
	// distance's Order: 1 for most distances, which is eq. (5) as printed,
	// and 2 for CS, which shrinks like n^-1 rather than n^-1/2 (see Order).
	AREDPower float64
	// Trim is TRIM's trimming level eta in (0, 1); 0 means 0.5.
	Trim float64
	// Tol stops GMR and TRIM when the objective changes by less than
	// Tol * max(1, |objective|); 0 means 1e-10.
	Tol float64
	// MaxIter caps GMR and TRIM iterations; 0 means 1000.
	MaxIter int
	// SingleStart makes every reduction start at COAT alone, as the paper
	// does. Otherwise (the default) it also starts from the NearStarts kept
	// estimates nearest COAT and from SeededStarts weighted k-means++
	// seedings over the kept components, and keeps the lowest objective.
	SingleStart bool
	// NearStarts and SeededStarts count the extra starts; 0 means 3 and 4.
	NearStarts, SeededStarts int
	// Seed drives the k-means++ starts: the same seed gives the same result.
	Seed uint64
	// Starts are further starting mixtures for every reduction.
	Starts []*Mixture
	// Workers bounds the goroutines computing distances and reductions;
	// 0 means GOMAXPROCS.
	Workers int

	// Unhardened makes the server follow the paper's rules where they
	// trust the machines: reported sample sizes weigh as reported, near
	// copies and absurd sample sizes count as votes like any estimate, and
	// ARED returns the plain reduction of its ball. By default (false) no
	// machine weighs more than the median reported sample size, near copies
	// count once, absurd sample sizes are set aside, and ARED combines
	// the estimates componentwise (see combineSlots).
	Unhardened bool
	// CopyFraction is the fraction of the typical distance between
	// estimates below which two are near copies; 0 means CopyFraction.
	CopyFraction float64

	// Known, when set, holds distances Prepare reads instead of computing
	// when every valid estimate's mixture is among them (the same *Mixture)
	// and they are of the server's distance (see Server.KnownDistances).
	Known *KnownDistances
}

// Validate reports settings that cannot be used. Zero values mean the
// defaults documented on each field; bad values are errors, never replaced.
func (s *Server) Validate() error {
	if _, err := ParseDistance(string(s.distance())); err != nil {
		return err
	}
	if _, err := ParseRadiusRule(string(s.radiusRule())); err != nil {
		return err
	}
	finiteNonNeg := func(v float64) bool { return v >= 0 && !math.IsInf(v, 0) }
	switch {
	case s.K < 0 || s.Dim < 0:
		return fmt.Errorf("server: order %d and dimension %d must not be negative", s.K, s.Dim)
	case !finiteNonNeg(s.RadiusScale):
		return fmt.Errorf("server: radius scale %v, want a finite number > 0 (0 for the rule's default)", s.RadiusScale)
	case !finiteNonNeg(s.AREDPower):
		return fmt.Errorf("server: ARED power %v, want a finite number > 0 (0 for the distance's order)", s.AREDPower)
	case !(s.Trim >= 0 && s.Trim < 1):
		return fmt.Errorf("server: trimming level %v is not in (0, 1) (0 for the default 0.5)", s.Trim)
	case !finiteNonNeg(s.Tol):
		return fmt.Errorf("server: tolerance %v, want a finite number > 0 (0 for the default 1e-10)", s.Tol)
	case s.MaxIter < 0:
		return fmt.Errorf("server: iteration cap %d, want at least 1 (0 for the default 1000)", s.MaxIter)
	case s.NearStarts < 0 || s.SeededStarts < 0:
		return fmt.Errorf("server: %d near and %d seeded starts, want none negative", s.NearStarts, s.SeededStarts)
	case !finiteNonNeg(s.CopyFraction) || s.CopyFraction >= 1:
		return fmt.Errorf("server: copy fraction %v, want a number in (0, 1) (0 for the default %g)", s.CopyFraction, CopyFraction)
	case s.Workers < 0:
		return fmt.Errorf("server: %d workers, want at least 1 (0 for one per core)", s.Workers)
	}
	return nil
}

func (s *Server) distance() Distance {
	if s.Distance == "" {
		return Jeffreys
	}
	return s.Distance
}

func (s *Server) copyFraction() float64 {
	if s.CopyFraction > 0 {
		return s.CopyFraction
	}
	return CopyFraction
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
	// SetAside lists valid estimates the robust methods (COAT, CRED, ARED)
	// neither count nor reduce, with why: near copies of another estimate
	// (the group's first one stays) and absurd reported sample sizes.
	SetAside []Invalid
	// Capped lists the valid estimates whose reported sample size was
	// above the median report and were weighted as the median.
	Capped  []int
	coatPos int           // COAT's position in Valid and in Distances
	comps   [][]*gaussian // per estimate, its factorized components (nil when invalid)
	caps    map[int]float64
	voter   []bool // per position in Valid: counted by the robust methods
}

// Result is the outcome of one aggregation. Indices refer to the estimates
// given to Prepare.
type Result struct {
	Method  Method
	Mixture *Mixture
	Kept    []int // estimates the aggregate was built from
	Flagged []int // estimates the method judged Byzantine, invalid ones included
	// Objective is the final transportation cost of GMR-based methods and
	// the trimmed cost of TRIM; 0 for COAT.
	Objective float64
	// Radius is the radius of the ball CRED and ARED kept; 0 otherwise.
	Radius float64
	// Warning, when not empty, says why the result may not be what the
	// method promises (for example ARED's factor below 1 with few machines).
	Warning string
	// Slots describes ARED's componentwise combination; nil for the other
	// methods and for an unhardened server.
	Slots *SlotReport
}

// Prepare validates the estimates, sets aside the invalid ones with their
// reasons, computes the pairwise distances among the rest and finds COAT.
// It fails only when the settings are invalid or no valid estimate remains.
func (s *Server) Prepare(ctx context.Context, ests []Estimate) (*Round, error) {
	if err := s.Validate(); err != nil {
		return nil, err
	}
	r := &Round{server: s, Estimates: ests, Distance: s.distance()}
	k, d := s.K, s.Dim
	if k == 0 || d == 0 {
		ck, cd, err := commonShape(ests, k, d)
		if err != nil {
			return nil, err
		}
		if k == 0 {
			k = ck
		}
		if d == 0 {
			d = cd
		}
	}
	var (
		preps []*prepared
		err   error
	)
	r.comps = make([][]*gaussian, len(ests))
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
			// The factorizations validate the estimate and are kept for
			// the distances and the aggregations.
			if r.comps[i], err = e.Mixture.components(); err != nil {
				reason = err.Error()
			}
		}
		if reason != "" {
			r.Invalid = append(r.Invalid, Invalid{Index: i, ID: e.ID, Reason: reason})
			continue
		}
		r.Valid = append(r.Valid, i)
		preps = append(preps, prepareFrom(e.Mixture, r.comps[i]))
	}
	if len(r.Valid) == 0 {
		return nil, ErrNoValidEstimate
	}
	var mixtures []*Mixture
	for _, i := range r.Valid {
		mixtures = append(mixtures, ests[i].Mixture)
	}
	dist := s.Known.lookup(r.Distance, mixtures)
	if dist == nil {
		if dist, err = pairwisePrepared(ctx, preps, r.Distance, s.Workers, maxComponentKL); err != nil {
			return nil, err
		}
	}
	r.Distances = dist
	r.setAside()
	var voters []int
	for a, v := range r.voter {
		if v {
			voters = append(voters, a)
		}
	}
	pos, radius, _ := CenterOfAttention(subMatrix(dist, voters))
	r.coatPos, r.Radius = voters[pos], radius
	r.Coat = r.Valid[r.coatPos]
	return r, nil
}

// setAside sets every valid estimate's weight (its sample size, capped at
// the median report unless the server is unhardened) and decides which
// estimates the robust methods count: all of them when unhardened;
// otherwise not near copies of an earlier estimate, nor absurd reports.
func (r *Round) setAside() {
	r.voter = make([]bool, len(r.Valid))
	for a := range r.voter {
		r.voter[a] = true
	}
	r.caps = make(map[int]float64, len(r.Valid))
	if r.server.Unhardened {
		for _, i := range r.Valid {
			r.caps[i] = float64(r.Estimates[i].N)
		}
		return
	}
	caps, absurd := sampleSizeCaps(r.Estimates, r.Valid)
	r.caps = caps
	for _, i := range r.Valid {
		if caps[i] < float64(r.Estimates[i].N) {
			r.Capped = append(r.Capped, i)
		}
	}
	aside := map[int]string{}
	for _, inv := range absurd {
		aside[inv.Index] = inv.Reason
	}
	rep, typical := nearCopies(r.Distances, r.server.copyFraction())
	for a, of := range rep {
		if of != a {
			aside[r.Valid[a]] = copyReason(r, a, of, typical, r.server.copyFraction())
		}
	}
	for a, i := range r.Valid {
		if reason, ok := aside[i]; ok {
			r.voter[a] = false
			r.SetAside = append(r.SetAside, Invalid{Index: i, ID: r.Estimates[i].ID, Reason: reason})
		}
	}
	if !slices.Contains(r.voter, true) { // cannot happen: the median report is not absurd
		for a := range r.voter {
			r.voter[a] = true
		}
		r.SetAside = nil
	}
}

// subMatrix returns dist restricted to the rows and columns at.
func subMatrix(dist *mat.Dense, at []int) *mat.Dense {
	if n, _ := dist.Dims(); n == len(at) {
		return dist
	}
	out := mat.NewDense(len(at), len(at), nil)
	for a, i := range at {
		for b, j := range at {
			out.Set(a, b, dist.At(i, j))
		}
	}
	return out
}

// voterCoatDistances returns D(COAT, G) over the counted estimates and
// COAT's position among them.
func (r *Round) voterCoatDistances() ([]float64, int) {
	all := r.CoatDistances()
	var out []float64
	pos := 0
	for a, v := range r.voter {
		if !v {
			continue
		}
		if a == r.coatPos {
			pos = len(out)
		}
		out = append(out, all[a])
	}
	return out, pos
}

// commonShape returns the (K, d) that more than half of the decoded
// estimates share, among those matching the declared k or d when one is
// given (0: any). Without such a majority it refuses: which machines are
// genuine must not be decided by which shape happened to come first.
func commonShape(ests []Estimate, k, d int) (int, int, error) {
	type shape struct{ k, d int }
	counts := map[shape]int{}
	var order []shape
	total := 0
	for _, e := range ests {
		if e.Mixture == nil || e.Malformed != "" {
			continue
		}
		s := shape{e.Mixture.K(), e.Mixture.Dim()}
		if k != 0 && s.k != k || d != 0 && s.d != d {
			continue
		}
		if counts[s] == 0 {
			order = append(order, s)
		}
		counts[s]++
		total++
	}
	for _, s := range order {
		if 2*counts[s] > total {
			return s.k, s.d, nil
		}
	}
	if total == 0 {
		return 0, 0, ErrNoValidEstimate
	}
	var parts []string
	for _, s := range order {
		parts = append(parts, fmt.Sprintf("%d of order %d in dimension %d", counts[s], s.k, s.d))
	}
	return 0, 0, fmt.Errorf("no shape is shared by more than half of the estimates (%s): declare the order and dimension "+
		"to aggregate (Server.K and Server.Dim; --k and --d)", strings.Join(parts, ", "))
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

// CoatDistances returns D(COAT, G) for every valid estimate, in the order of
// Valid (0 for COAT itself). ARED's and CRED's balls are taken over these.
func (r *Round) CoatDistances() []float64 {
	out := append([]float64(nil), r.Distances.RawRowView(r.coatPos)...)
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
		// A single estimate is not a filter: COAT judges no machine, so
		// only the invalid ones count as flagged.
		res.Flagged = r.withInvalid(nil)
		return res, nil
	case GMR:
		kept = append(kept, r.Valid...)
	case CRED:
		// The round-off floor keeps identical estimates together here too.
		res.Radius = math.Max(r.Radius, r.Distance.roundOff())
		kept, flagged = r.ball(res.Radius)
	case ARED:
		var err error
		if kept, flagged, res.Radius, res.Warning, err = r.aredBall(); err != nil {
			return nil, err
		}
		if !r.server.Unhardened {
			ref, obj, err := r.reduce(ctx, kept)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", method, err)
			}
			var voters []int
			for a, i := range r.Valid {
				if r.voter[a] {
					voters = append(voters, i)
				}
			}
			mix, slots, err := r.combineSlots(ctx, ref, voters)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", method, err)
			}
			res.Mixture, res.Kept, res.Flagged, res.Objective, res.Slots = mix, kept, r.withInvalid(flagged), obj, slots
			return res, nil
		}
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
	mix, obj, err := r.reduce(ctx, kept)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", method, err)
	}
	res.Mixture, res.Kept, res.Flagged, res.Objective = mix, kept, r.withInvalid(flagged), obj
	return res, nil
}
