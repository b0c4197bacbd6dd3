package coordinator

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"time"

	"github.com/nistgmm/nistgmm/federated/estimates"
	"github.com/nistgmm/nistgmm/federated/server"
	"github.com/nistgmm/nistgmm/federation"
	"github.com/nistgmm/nistgmm/federation/store"
)

// A round in progress holds its revealed estimates decoded (the numbers
// only, not the bytes sent), checked when they arrived, and hands them to
// the aggregation as they are: no document is written or parsed. Once the
// round is aggregated it keeps only when each site revealed; the store
// keeps the reveals, and reads them back in one transaction when the
// coordinator restarts or an operator asks for the estimates.

// expect is what round rec requires of site's estimate.
func expect(rec store.Round, site string, maxN int64) federation.Expect {
	return federation.Expect{Site: site, Round: rec.ID, K: rec.K, D: rec.D, MaxN: maxN}
}

// active reports whether a round of this phase may still aggregate.
func active(phase string) bool { return phase != PhaseDone && phase != PhaseFailed }

// loadReveals reads round rec's reveals from st: when each was recorded
// and, for a round still active, the estimates decoded and checked again,
// all in one read transaction. A stored reveal that no longer decodes (it
// was checked when it arrived, so the store is damaged) is returned as
// damaged, for the round to fail with when it aggregates, rather than
// stopping the coordinator.
func loadReveals(st *store.Store, rec store.Round, maxN int64) (times map[string]time.Time, ests map[string]estimates.Estimate, damaged, err error) {
	if !active(rec.Phase) {
		times, err = st.RevealTimes(rec.ID)
		return times, nil, nil, err
	}
	times, ests = map[string]time.Time{}, map[string]estimates.Estimate{}
	err = st.EachReveal(rec.ID, func(site string, rv store.Reveal) error {
		times[site] = rv.At
		e, err := federation.UnmarshalEstimate(rv.Estimate, expect(rec, site, maxN))
		if err != nil {
			if damaged == nil {
				damaged = fmt.Errorf("the stored reveal of %q no longer decodes: %w", site, err)
			}
			return nil
		}
		ests[site] = e
		return nil
	})
	if err != nil {
		return nil, nil, nil, err
	}
	return times, ests, damaged, nil
}

// revealed returns the round's estimates in the order of their site ids.
// mu must be held.
func revealed(r *round) []estimates.Estimate {
	sites := make([]string, 0, len(r.ests))
	for s := range r.ests {
		sites = append(sites, s)
	}
	sort.Strings(sites)
	out := make([]estimates.Estimate, len(sites))
	for i, s := range sites {
		out[i] = r.ests[s]
	}
	return out
}

// Aggregate aggregates a round's revealed estimates (decoded and checked,
// in the order of their site ids) as 'nistgmm aggregate' aggregates the
// same estimates file, returning the report's JSON in that command's
// format. The estimates go to the server as they are: its checks are
// aggregate's, and the report is the one aggregate writes.
func Aggregate(ctx context.Context, base *server.Server, rec store.Round, ests []estimates.Estimate) ([]byte, error) {
	if len(ests) < MinCommits {
		return nil, fmt.Errorf("%d estimates were revealed; at least %d are needed", len(ests), MinCommits)
	}
	srv := *base
	srv.K, srv.Dim, srv.Seed = rec.K, rec.D, rec.Seed
	m, err := server.ParseMethod(rec.Method)
	if err != nil {
		return nil, err
	}
	rep, err := srv.AggregateEstimates(ctx, ests, m, nil)
	if err != nil {
		return nil, fmt.Errorf("aggregation: %w", err)
	}
	// The same bytes as 'nistgmm aggregate' writes: one compact line.
	out, err := json.Marshal(rep)
	if err != nil {
		return nil, err
	}
	return append(out, '\n'), nil
}

// damagedError is a stored reveal that no longer decodes.
type damagedError struct{ err error }

func (e *damagedError) Error() string { return e.err.Error() }
func (e *damagedError) Unwrap() error { return e.err }

// writeEstimates writes round rec's revealed estimates, read from st in
// one transaction and decoded one at a time, to w as an estimates file in
// the order of their site ids: the document 'nistgmm aggregate' reads.
// A reveal that no longer decodes is a *damagedError; other errors are
// the store's or w's.
func writeEstimates(w io.Writer, st *store.Store, rec store.Round, maxN int64) error {
	enc := estimates.NewEncoder(w)
	err := st.EachReveal(rec.ID, func(site string, rv store.Reveal) error {
		e, err := federation.UnmarshalEstimate(rv.Estimate, expect(rec, site, maxN))
		if err != nil {
			return &damagedError{fmt.Errorf("the stored reveal of %q: %w", site, err)}
		}
		return enc.Encode(e)
	})
	if err != nil {
		return err
	}
	return enc.Close()
}
