package server

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc64"
	"math"
	"math/rand/v2"
	"slices"
	"strings"

	"gonum.org/v1/gonum/mat"

	"github.com/nistgmm/nistgmm/federated/divergence"
	"github.com/nistgmm/nistgmm/federated/estimates"
	"github.com/nistgmm/nistgmm/federated/internal/gauss"
	"github.com/nistgmm/nistgmm/federated/internal/kernel"
	"github.com/nistgmm/nistgmm/federated/mixture"
)

// ErrNoValidEstimate reports a round in which no estimate is left to
// aggregate.
var ErrNoValidEstimate = errors.New("no valid estimate to aggregate")

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
	Estimates []estimates.Estimate
	Valid     []int     // indices into Estimates, ascending
	Invalid   []Invalid // excluded estimates and why
	// Distances is len(Valid) x len(Valid), D(G_Valid[a], G_Valid[b]),
	// when COAT was found exactly; nil when it was found by sampling (see
	// CentreSampled), which never forms the matrix.
	Distances *mat.Dense
	Distance  divergence.Distance
	Coat      int     // index into Estimates
	Radius    float64 // r_coat
	// CentreSearch says how COAT was found: exactly or by sampling, with
	// how many rows of distances.
	CentreSearch string
	// SetAside lists valid estimates the robust methods (COAT, CRED, ARED)
	// neither count nor reduce, with why: absurd reported sample sizes.
	SetAside []Invalid
	// CopyGroups lists the groups of near copies, each counted once by the
	// robust methods; CopyTypical is the copy rule's typical distance.
	CopyGroups  []CopyGroup
	CopyTypical float64
	// Capped lists the valid estimates whose reported sample size was
	// above the median report and were weighted as the median.
	Capped  []int
	coatPos int                 // COAT's position in Valid and in Distances
	comps   [][]*gauss.Gaussian // per estimate, its factorized components (nil when invalid)
	caps    map[int]float64
	voter   []bool // per position in Valid: counted by the robust methods
	// keys are the estimates' content hashes (estimateKey), by index.
	keys map[int]uint64
	// repOf is, per position in Valid, the position of its copy group's
	// representative (its own position when it is in no group).
	repOf []int
	rows  *kernel.RowSource // the rows computed, when COAT was found by sampling
	// drawSeed seeds the sampled searches' random orders with the round's
	// contentHash.
	drawSeed uint64
	coatRow  []float64 // D(COAT, G) over Valid, when found by sampling
}

// Result is the outcome of one aggregation. Indices refer to the estimates
// given to Prepare.
type Result struct {
	Method  Method
	Mixture *mixture.Mixture
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
	// Verdicts are ARED's judgements of every valid estimate, whose
	// flagged ones make Flagged (with the invalid ones); nil for the other
	// methods and for an unhardened server.
	Verdicts []Verdict
}

// Prepare validates the estimates, sets aside the invalid ones with their
// reasons, computes the pairwise distances among the rest and finds COAT.
// It fails only when the settings are invalid or no valid estimate remains.
func (s *Server) Prepare(ctx context.Context, ests []estimates.Estimate) (*Round, error) {
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
		preps []*kernel.DistanceInput
		err   error
	)
	r.comps = make([][]*gauss.Gaussian, len(ests))
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
			if r.comps[i], err = gauss.MixtureComponents(e.Mixture.Weights, e.Mixture.Means, e.Mixture.Covs); err != nil {
				reason = err.Error()
			} else {
				reason = conditionProblem(r.comps[i])
			}
		}
		if reason != "" {
			r.Invalid = append(r.Invalid, Invalid{Index: i, ID: e.ID, Reason: reason})
			continue
		}
		r.Valid = append(r.Valid, i)
		preps = append(preps, kernel.DistanceInputFrom(e.Mixture, r.comps[i]))
	}
	if len(r.Valid) == 0 {
		return nil, noValidEstimate(r.Invalid)
	}
	if s.sampledCentre(len(r.Valid)) {
		if err := r.prepareSampled(ctx, preps); err != nil {
			return nil, err
		}
		return r, nil
	}
	var mixtures []*mixture.Mixture
	for _, i := range r.Valid {
		mixtures = append(mixtures, ests[i].Mixture)
	}
	dist := s.Known.lookup(r.Distance, mixtures)
	if dist == nil {
		if dist, err = kernel.PairwiseInputs(ctx, preps, kernel.Distance(r.Distance), s.Workers, kernel.MaxComponentKL); err != nil {
			return nil, err
		}
	}
	r.Distances = dist
	if err := r.setAside(ctx, nil); err != nil {
		return nil, err
	}
	voters := r.voters()
	pos, radius, _ := CenterOfAttention(subMatrix(dist, voters))
	r.coatPos, r.Radius = voters[pos], radius
	r.Coat = r.Valid[r.coatPos]
	n := len(r.Valid)
	r.CentreSearch = fmt.Sprintf("exact: all %d x %d distances", n, n)
	return r, nil
}

// prepareSampled is Prepare's search at scale (see CentreSampled): rows of
// distances from random and refined estimates only, never the m x m
// matrix.
func (r *Round) prepareSampled(ctx context.Context, preps []*kernel.DistanceInput) error {
	s := r.server
	src, err := kernel.NewRowSource(ctx, kernel.Distance(r.Distance), preps, s.Workers)
	if err != nil {
		return err
	}
	r.rows = src
	r.drawSeed = r.contentHash()
	order := rand.New(rand.NewPCG(s.Seed, r.drawSeed)).Perm(len(r.Valid))
	nRandom, nRefine := s.candidates(), s.refined()
	// The first candidates in the random order, whatever they turn out
	// to be, give the typical distance between estimates.
	first := order[:min(nRandom, len(order))]
	if err := src.Compute(ctx, first); err != nil {
		return err
	}
	if err := r.setAside(ctx, first); err != nil {
		return err
	}
	found, err := searchCentre(ctx, src, r.voters(), order, nRandom, nRefine)
	if err != nil {
		return err
	}
	r.coatPos, r.Radius = found.centre, found.radius
	r.coatRow = src.RowOut(found.centre)
	r.Coat = r.Valid[r.coatPos]
	r.CentreSearch = fmt.Sprintf("%s; %d rows of %d distances computed", found, src.Computed, len(r.Valid))
	return nil
}

// contentHash hashes every valid estimate's sample size, weights and means.
// The sampled searches draw their candidates with it (and the server's
// seed): the same estimates always give the same candidates, but no one who
// can choose where in the document their estimates stand, or knows the
// seed, can choose the candidates; changing the estimates to steer the
// draw means redrawing it, and needing even one random candidate among the
// Byzantine estimates' few chances (alpha^32 at the defaults) leaves
// nothing to search for.
func (r *Round) contentHash() uint64 {
	h := crc64.New(crc64.MakeTable(crc64.ECMA))
	buf := make([]byte, 8)
	put := func(v float64) {
		binary.LittleEndian.PutUint64(buf, math.Float64bits(v))
		h.Write(buf)
	}
	for _, i := range r.Valid {
		e := r.Estimates[i]
		put(float64(e.N))
		for k, w := range e.Mixture.Weights {
			put(w)
			for _, v := range e.Mixture.Means[k] {
				put(v)
			}
		}
	}
	return h.Sum64()
}

// Counted returns the estimates (indices into Estimates) the robust methods
// count: every valid estimate but the set-aside ones and, of each copy
// group, all but its representative.
func (r *Round) Counted() []int {
	var out []int
	for a, v := range r.voter {
		if v {
			out = append(out, r.Valid[a])
		}
	}
	return out
}

// voters returns the positions (into Valid) the robust methods count.
func (r *Round) voters() []int {
	var out []int
	for a, v := range r.voter {
		if v {
			out = append(out, a)
		}
	}
	return out
}

// setAside sets every valid estimate's weight (its sample size, capped at
// the median report unless the server is unhardened) and decides which
// estimates the robust methods count: all of them when unhardened;
// otherwise not near copies of an earlier estimate, nor absurd reports.
//
// cands, for a round at scale, are the positions whose rows are computed:
// near copies are then found by nearCopiesSampled.
func (r *Round) setAside(ctx context.Context, cands []int) error {
	r.voter = make([]bool, len(r.Valid))
	for a := range r.voter {
		r.voter[a] = true
	}
	r.caps = make(map[int]float64, len(r.Valid))
	r.repOf = make([]int, len(r.Valid))
	for a := range r.repOf {
		r.repOf[a] = a
	}
	if r.server.Unhardened {
		for _, i := range r.Valid {
			r.caps[i] = float64(r.Estimates[i].N)
		}
		return nil
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
	// Absurd reports are never a group's representative while another
	// member is not absurd.
	keys := make([]uint64, len(r.Valid))
	r.keys = make(map[int]uint64, len(r.Valid))
	for a, i := range r.Valid {
		keys[a] = estimateKey(r.Estimates[i])
		r.keys[i] = keys[a]
		if _, ok := aside[i]; ok {
			keys[a] = math.MaxUint64
		}
	}
	fraction := r.server.copyFraction()
	var (
		rep     []int
		typical float64
	)
	if r.rows == nil {
		rep, typical = nearCopies(r.Distances, fraction, keys)
	} else {
		var err error
		if rep, typical, err = nearCopiesSampled(ctx, r.rows, cands, len(r.Valid), fraction, keys); err != nil {
			return err
		}
	}
	r.CopyTypical = typical
	groups := map[int][]int{}
	for a, of := range rep {
		r.repOf[a] = of
		if of != a {
			groups[of] = append(groups[of], a)
		}
	}
	for a, i := range r.Valid {
		if reason, ok := aside[i]; ok {
			r.voter[a] = false
			r.SetAside = append(r.SetAside, Invalid{Index: i, ID: r.Estimates[i].ID, Reason: reason})
		}
		if rep[a] != a {
			r.voter[a] = false
		}
	}
	for a := range r.Valid {
		members, ok := groups[a]
		if !ok {
			continue
		}
		g := CopyGroup{Representative: r.Valid[a], Members: []int{r.Valid[a]}}
		for _, b := range members {
			g.Members = append(g.Members, r.Valid[b])
			gap, err := r.symDistance(a, b)
			if err != nil {
				return err
			}
			g.Gap = math.Max(g.Gap, gap)
			// The group weighs as its heaviest member that is not absurd:
			// one machine, whatever order or sample sizes its members have.
			if _, bad := aside[r.Valid[b]]; !bad {
				r.caps[r.Valid[a]] = math.Max(r.caps[r.Valid[a]], r.caps[r.Valid[b]])
			}
		}
		slices.Sort(g.Members)
		g.Limit = fraction * typical
		r.CopyGroups = append(r.CopyGroups, g)
	}
	if !slices.Contains(r.voter, true) { // cannot happen: the median report is not absurd
		for a := range r.voter {
			r.voter[a] = true
			r.repOf[a] = a
		}
		r.SetAside, r.CopyGroups = nil, nil
	}
	return nil
}

// CopyGroup is a set of near-identical valid estimates: independent samples
// do not give near-identical fits, so the robust methods count the group
// once, as its representative with the weight of one machine, and accuse
// none of its members for being in it (a replay of an honest estimate
// makes a group with its victim). Indices refer to the round's Estimates.
type CopyGroup struct {
	Members        []int // ascending
	Representative int   // the member with the smallest content hash
	// Gap is the largest distance from the representative to a member and
	// Limit the copy limit (CopyFraction times the typical distance).
	Gap, Limit float64
}

// symDistance is max(D(a, b), D(b, a)) for positions in Valid.
func (r *Round) symDistance(a, b int) (float64, error) {
	if r.rows == nil {
		return math.Max(r.Distances.At(a, b), r.Distances.At(b, a)), nil
	}
	ab, ba, err := r.rows.Pair(a, b)
	return math.Max(ab, ba), err
}

// estimateKey hashes one estimate's sample size and parameters: the key
// that picks a copy group's representative independently of positions.
func estimateKey(e estimates.Estimate) uint64 {
	h := crc64.New(crc64.MakeTable(crc64.ECMA))
	buf := make([]byte, 8)
	put := func(v float64) {
		binary.LittleEndian.PutUint64(buf, math.Float64bits(v))
		h.Write(buf)
	}
	put(float64(e.N))
	for k, w := range e.Mixture.Weights {
		put(w)
		for _, v := range e.Mixture.Means[k] {
			put(v)
		}
		for _, v := range e.Mixture.Covs[k].RawSymmetric().Data {
			put(v)
		}
	}
	return h.Sum64()
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
func commonShape(ests []estimates.Estimate, k, d int) (int, int, error) {
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

// conditionProblem says why a received estimate's covariances are too close
// to singular for the server (see MaxCondition), or returns "".
func conditionProblem(comps []*gauss.Gaussian) string {
	d := len(comps[0].Mean)
	for k, g := range comps {
		if c := g.Condition(); !(c <= divergence.MaxCondition(d)) {
			return fmt.Sprintf("component %d: covariance is numerically singular: condition number %.3g, at most %.3g in dimension %d", k, c, divergence.MaxCondition(d), d)
		}
	}
	return ""
}

// noValidEstimate is ErrNoValidEstimate with why each estimate was invalid
// (the first few; the same reason once with its count).
func noValidEstimate(invalid []Invalid) error {
	if len(invalid) == 0 {
		return ErrNoValidEstimate
	}
	count := map[string]int{}
	var order []string
	for _, inv := range invalid {
		if count[inv.Reason] == 0 {
			order = append(order, inv.Reason)
		}
		count[inv.Reason]++
	}
	var parts []string
	for j, reason := range order {
		if j == 5 {
			parts = append(parts, fmt.Sprintf("and %d other reasons", len(order)-5))
			break
		}
		parts = append(parts, fmt.Sprintf("%s (%d of %d)", reason, count[reason], len(invalid)))
	}
	return fmt.Errorf("%w: %s", ErrNoValidEstimate, strings.Join(parts, "; "))
}
