package server

import (
	"context"
	"encoding/binary"
	"fmt"
	"hash/crc64"
	"math"
	"math/rand/v2"

	"gonum.org/v1/gonum/mat"

	"github.com/nistgmm/nistgmm/internal/parallel"

	"github.com/nistgmm/nistgmm/federated/divergence"
	"github.com/nistgmm/nistgmm/federated/estimates"
	"github.com/nistgmm/nistgmm/federated/internal/gauss"
	"github.com/nistgmm/nistgmm/federated/internal/kernel"
	"github.com/nistgmm/nistgmm/federated/mixture"
)

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
				r.comps[i] = light(r.comps[i])
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
		// The sampled searches read every component's precision and, in
		// large dimensions, its Cholesky factor again and again: the
		// precisions are packed once (kernel.GaussianPack) and the factors
		// kept; the rest is computed where it is read.
		if err := r.factorAll(ctx, preps); err != nil {
			return nil, err
		}
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
	r.coatPos, r.Radius = found.Centre, found.Radius
	r.coatRow = src.RowOut(found.Centre)
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

// light returns comps without their factorizations (see gauss.Light): a
// round keeps its estimates' components so, and refactors those it needs
// where it needs them.
func light(comps []*gauss.Gaussian) []*gauss.Gaussian {
	out := make([]*gauss.Gaussian, len(comps))
	for k, g := range comps {
		out[k] = g.Light()
	}
	return out
}

// factorAll gives every valid estimate's components their Cholesky factors
// (gauss.Factored), in r.comps and in preps, in dimensions above those
// where the sampled searches' blocks read the packed precisions alone
// (kernel.SmallBlockDim).
func (r *Round) factorAll(ctx context.Context, preps []*kernel.DistanceInput) error {
	if len(r.Valid) == 0 || len(r.comps[r.Valid[0]][0].Mean) <= kernel.SmallBlockDim {
		return nil
	}
	return parallel.For(ctx, len(r.Valid), r.server.Workers, func(a int) error {
		i := r.Valid[a]
		factored := make([]*gauss.Gaussian, len(r.comps[i]))
		for k, g := range r.comps[i] {
			var err error
			if factored[k], err = g.Factored(); err != nil {
				return fmt.Errorf("estimate %d, component %d: %w", i, k, err)
			}
		}
		r.comps[i], preps[a].Comps = factored, factored
		return nil
	})
}

// refactorAll gives every valid estimate's components their
// factorizations back, in r.comps and in preps (one per valid estimate).
func (r *Round) refactorAll(ctx context.Context, preps []*kernel.DistanceInput) error {
	return parallel.For(ctx, len(r.Valid), r.server.Workers, func(a int) error {
		i := r.Valid[a]
		full, err := gauss.RefactorAll(r.comps[i])
		if err != nil {
			return fmt.Errorf("estimate %d: %w", i, err)
		}
		r.comps[i], preps[a].Comps = full, full
		return nil
	})
}
