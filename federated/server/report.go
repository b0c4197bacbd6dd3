package server

import (
	"context"
	"fmt"
	"io"
	"math"
	"slices"
	"strings"

	"github.com/nistgmm/nistgmm/federated/divergence"
	"github.com/nistgmm/nistgmm/federated/estimates"
	"github.com/nistgmm/nistgmm/federated/mixture"
)

// InvalidJSON is an excluded estimate in a report.
type InvalidJSON struct {
	ID     string `json:"id"`
	Reason string `json:"reason"`
}

// SlotReportJSON is a SlotReport with machines named by their ids.
type SlotReportJSON struct {
	Iterations int        `json:"iterations"`
	Kept       [][]string `json:"kept"`
	Radius     []float64  `json:"radius"`
}

// VerdictJSON is a Verdict with the estimate named by its id.
type VerdictJSON struct {
	ID              string  `json:"id"`
	Statistic       float64 `json:"statistic"`
	Z               float64 `json:"z"`
	WeightStatistic float64 `json:"weight_statistic"`
	WeightZ         float64 `json:"weight_z"`
	PValue          float64 `json:"p_value"`
	Flagged         bool    `json:"flagged"`
}

// CopyGroupJSON is a CopyGroup with the estimates named by their ids.
type CopyGroupJSON struct {
	Members        []string `json:"members"`
	Representative string   `json:"representative"`
	Gap            float64  `json:"gap"`
	Limit          float64  `json:"limit"`
}

// Report is the server's answer for one aggregation, as written by
// `nistgmm aggregate`.
type Report struct {
	Method   Method              `json:"method"`
	Distance divergence.Distance `json:"distance"`
	Mixture  mixture.MixtureJSON `json:"mixture"`
	Kept     []string            `json:"kept"`
	// Flagged lists the valid estimates the method judged Byzantine: for
	// ARED, its verdicts at FlagLevel (evidence); invalid estimates are in
	// Invalid only.
	Flagged   []string      `json:"flagged"`
	FlagLevel float64       `json:"flag_level,omitempty"`
	Verdicts  []VerdictJSON `json:"verdicts,omitempty"`
	// Excluded lists every estimate the answer was not built from, or
	// only in part, with why: invalid, set aside, outside the method's
	// ball, or left out of some of ARED's slots. Exclusion is not an
	// accusation: Flagged is.
	Excluded []InvalidJSON `json:"excluded"`
	Invalid  []InvalidJSON `json:"invalid"`
	// SetAside lists valid estimates the robust methods did not count:
	// absurd sample sizes.
	SetAside []InvalidJSON `json:"set_aside"`
	// CopyGroups lists the groups of near copies, each counted once.
	CopyGroups []CopyGroupJSON `json:"copy_groups"`
	// Capped lists the estimates weighted as the median reported sample
	// size rather than their own larger report.
	Capped []string `json:"capped_sample_size"`
	// Slots is ARED's componentwise combination.
	Slots  *SlotReportJSON `json:"slots,omitempty"`
	Coat   string          `json:"coat"`
	Radius float64         `json:"radius"` // r_coat
	// BallRadius is the radius of the ball CRED or ARED reduced over.
	BallRadius float64 `json:"ball_radius,omitempty"`
	Warning    string  `json:"warning,omitempty"`
	// CentreSearch says how COAT was found (exactly, or by sampling at
	// scale; see CentreSearch).
	CentreSearch string   `json:"centre_search"`
	IDs          []string `json:"distance_ids"`
	// CoatDistances is D(COAT, G) for every estimate of IDs.
	CoatDistances []float64 `json:"coat_distances"`
	// Distances is the matrix of D(G_i, G_j) over IDs when COAT was found
	// exactly; a search by sampling never forms it, and omits it.
	Distances [][]float64 `json:"distances,omitempty"`
}

// AggregateDocument decodes an estimates document, aggregates it with
// method and returns the report. byzantineIDs is read only by Oracle.
// Malformed and invalid machines are reported, never fatal; an error means
// nothing could be aggregated.
func (s *Server) AggregateDocument(ctx context.Context, r io.Reader, method Method, byzantineIDs []string) (*Report, error) {
	ests, err := estimates.DecodeEstimates(r)
	if err != nil {
		return nil, err
	}
	return s.report(ctx, ests, method, byzantineIDs)
}

// AggregateEstimates is AggregateDocument for estimates already decoded
// (by a caller that received them one at a time): it aggregates them as
// AggregateDocument aggregates the document estimates.EncodeEstimates
// writes for them, and returns the same report, without writing or parsing
// that document. Estimates are named and repeated ids excluded as
// estimates.Received says; every other check (order, dimension, sample
// size, each component's factorization and conditioning) is the server's
// own, as for a document. The mixtures are read, never modified, and must
// not change until it returns.
func (s *Server) AggregateEstimates(ctx context.Context, ests []estimates.Estimate, method Method, byzantineIDs []string) (*Report, error) {
	return s.report(ctx, estimates.Received(ests), method, byzantineIDs)
}

// report aggregates the estimates of a document, decoded, into a Report.
func (s *Server) report(ctx context.Context, ests []estimates.Estimate, method Method, byzantineIDs []string) (*Report, error) {
	round, err := s.Prepare(ctx, ests)
	if err != nil {
		return nil, err
	}
	index := map[string]int{}
	for i, e := range ests {
		index[e.ID] = i
	}
	var byz []int
	for _, id := range byzantineIDs {
		i, ok := index[id]
		if !ok {
			return nil, fmt.Errorf("the Byzantine list names %q, which is not among the estimates", id)
		}
		byz = append(byz, i)
	}
	res, err := round.Aggregate(ctx, method, byz)
	if err != nil {
		return nil, err
	}
	ids := func(idx []int) []string {
		out := []string{}
		for _, i := range idx {
			out = append(out, ests[i].ID)
		}
		return out
	}
	invalid := map[int]bool{}
	for _, inv := range round.Invalid {
		invalid[inv.Index] = true
	}
	var flagged []int
	for _, i := range res.Flagged {
		if !invalid[i] {
			flagged = append(flagged, i)
		}
	}
	rep := &Report{Method: method, Distance: round.Distance, Mixture: res.Mixture.ToJSON(),
		Kept: ids(res.Kept), Flagged: ids(flagged), Invalid: []InvalidJSON{},
		Coat: ests[round.Coat].ID, Radius: round.Radius, BallRadius: res.Radius, Warning: res.Warning, IDs: ids(round.Valid)}
	if res.Verdicts != nil {
		rep.FlagLevel = s.flagLevel()
		for _, v := range res.Verdicts {
			rep.Verdicts = append(rep.Verdicts, VerdictJSON{ID: ests[v.Index].ID, Statistic: v.Statistic, Z: v.Z,
				WeightStatistic: v.WeightStatistic, WeightZ: v.WeightZ, PValue: v.PValue, Flagged: v.Flagged})
		}
	}
	rep.CopyGroups = []CopyGroupJSON{}
	for _, g := range round.CopyGroups {
		rep.CopyGroups = append(rep.CopyGroups, CopyGroupJSON{Members: ids(g.Members), Representative: ests[g.Representative].ID, Gap: g.Gap, Limit: g.Limit})
	}
	rep.Excluded = round.excluded(res)
	for _, inv := range round.Invalid {
		rep.Invalid = append(rep.Invalid, InvalidJSON{ID: inv.ID, Reason: inv.Reason})
	}
	rep.SetAside = []InvalidJSON{}
	for _, inv := range round.SetAside {
		rep.SetAside = append(rep.SetAside, InvalidJSON{ID: inv.ID, Reason: inv.Reason})
	}
	rep.Capped = ids(round.Capped)
	if res.Slots != nil {
		rep.Slots = &SlotReportJSON{Iterations: res.Slots.Iterations, Radius: res.Slots.Radius}
		for _, kept := range res.Slots.Kept {
			rep.Slots.Kept = append(rep.Slots.Kept, ids(kept))
		}
	}
	rep.CentreSearch = round.CentreSearch
	rep.CoatDistances = round.CoatDistances()
	for j, v := range rep.CoatDistances {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return nil, fmt.Errorf("distance between %s and %s is %v", rep.Coat, rep.IDs[j], v)
		}
	}
	if round.Distances == nil {
		return rep, nil
	}
	n, _ := round.Distances.Dims()
	for i := 0; i < n; i++ {
		row := append([]float64(nil), round.Distances.RawRowView(i)...)
		for j, v := range row {
			if math.IsNaN(v) || math.IsInf(v, 0) {
				return nil, fmt.Errorf("distance between %s and %s is %v", rep.IDs[i], rep.IDs[j], v)
			}
		}
		rep.Distances = append(rep.Distances, row)
	}
	return rep, nil
}

// excluded says, for every estimate the answer of res was not built from
// (or only in part), why.
func (r *Round) excluded(res *Result) []InvalidJSON {
	out := []InvalidJSON{}
	reasons := map[int][]string{}
	for _, inv := range r.Invalid {
		reasons[inv.Index] = append(reasons[inv.Index], "invalid: "+inv.Reason)
	}
	for _, s := range r.SetAside {
		reasons[s.Index] = append(reasons[s.Index], "set aside: "+s.Reason)
	}
	kept := map[int]bool{}
	for _, i := range res.Kept {
		kept[i] = true
	}
	if res.Slots == nil {
		for _, i := range r.Valid {
			if !kept[i] && len(reasons[i]) == 0 {
				reasons[i] = append(reasons[i], fmt.Sprintf("outside %s's ball", res.Method))
			}
		}
	} else {
		for _, i := range r.Valid {
			var left []string
			for k, in := range res.Slots.Kept {
				if !slices.Contains(in, i) {
					left = append(left, fmt.Sprint(k))
				}
			}
			if len(left) > 0 && len(reasons[i]) == 0 {
				reasons[i] = append(reasons[i], fmt.Sprintf("left out of %d of %d slots (%s)", len(left), len(res.Slots.Kept), strings.Join(left, ", ")))
			}
		}
	}
	for i, e := range r.Estimates {
		if rs := reasons[i]; len(rs) > 0 {
			out = append(out, InvalidJSON{ID: e.ID, Reason: strings.Join(rs, "; ")})
		}
	}
	return out
}
