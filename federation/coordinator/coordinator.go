// Package coordinator is the federation's server: rounds of commit and
// reveal over gRPC (API v1, mutual TLS), each written to the store before
// it is acknowledged, and aggregated with server.Server when reveals
// close.
package coordinator

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/nistgmm/nistgmm/federated/estimates"
	"github.com/nistgmm/nistgmm/federated/server"
	pb "github.com/nistgmm/nistgmm/federation/proto/v1"
	"github.com/nistgmm/nistgmm/federation/store"
)

// Phases of a round, as stored.
const (
	PhaseCommit      = "commit"
	PhaseReveal      = "reveal"
	PhaseAggregating = "aggregating"
	PhaseDone        = "done"
	PhaseFailed      = "failed"
)

// MinCommits is the fewest commitments a round proceeds with at its deadline.
const MinCommits = 3

// Config is a coordinator's settings.
type Config struct {
	Store *store.Store
	// Server is the aggregation's settings; each round copies it and sets
	// its order, dimension and seed.
	Server *server.Server
	// Now is the clock (time.Now when nil).
	Now func() time.Time
	// HoldAggregation waits this long in the aggregating phase before
	// aggregating (fault drills: a window to kill the coordinator in).
	HoldAggregation time.Duration
	// MaxN bounds the sample size an estimate may report (0: no bound).
	MaxN int64
	// Logf reports what happens (nil: nothing).
	Logf func(format string, args ...any)
	// Metrics, when set, is updated as submissions arrive.
	Metrics *Metrics
}

type round struct {
	rec     store.Round
	commits map[string]store.Commit
	reveals map[string]time.Time // when each site's reveal was recorded
	// ests are the revealed estimates, decoded and checked, while the
	// round may still aggregate (nil once it is done or failed).
	ests map[string]estimates.Estimate
	// damaged is a stored reveal found undecodable at start: the round
	// fails with it when it aggregates.
	damaged  error
	refusals map[string]store.Refusal
	result   []byte
	report   *server.Report
	running  bool // an aggregation goroutine is at work
}

// Coordinator holds the rounds. Its methods are safe for concurrent use.
type Coordinator struct {
	pb.UnimplementedCoordinatorServer
	cfg Config

	mu      sync.Mutex
	rounds  map[uint64]*round
	latest  uint64
	changed chan struct{} // closed and replaced at every change
	poke    chan struct{} // wakes Run
	aggWG   sync.WaitGroup
}

// New loads the store's rounds. Run must be called for deadlines and
// aggregation to happen.
func New(cfg Config) (*Coordinator, error) {
	if cfg.Store == nil {
		return nil, errors.New("coordinator: no store")
	}
	if cfg.Server == nil {
		cfg.Server = &server.Server{}
	}
	if err := cfg.Server.Validate(); err != nil {
		return nil, fmt.Errorf("coordinator: %w", err)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Logf == nil {
		cfg.Logf = func(string, ...any) {}
	}
	c := &Coordinator{cfg: cfg, rounds: map[uint64]*round{}, changed: make(chan struct{}), poke: make(chan struct{}, 1)}
	recs, err := cfg.Store.Rounds()
	if err != nil {
		return nil, fmt.Errorf("coordinator: reading the store: %w", err)
	}
	for _, rec := range recs {
		r := &round{rec: rec}
		if r.commits, err = cfg.Store.Commits(rec.ID); err != nil {
			return nil, fmt.Errorf("coordinator: round %d: %w", rec.ID, err)
		}
		if r.reveals, r.ests, r.damaged, err = loadReveals(cfg.Store, rec, cfg.MaxN); err != nil {
			return nil, fmt.Errorf("coordinator: round %d: %w", rec.ID, err)
		}
		if r.refusals, err = cfg.Store.Refusals(rec.ID); err != nil {
			return nil, fmt.Errorf("coordinator: round %d: %w", rec.ID, err)
		}
		if rec.Phase == PhaseDone {
			if r.result, err = cfg.Store.Result(rec.ID); err != nil {
				return nil, fmt.Errorf("coordinator: round %d: %w", rec.ID, err)
			}
			r.report = parseReport(r.result)
		}
		c.rounds[rec.ID] = r
		c.latest = max(c.latest, rec.ID)
		cfg.Logf("round %d: %s, %d committed, %d revealed (from the store)", rec.ID, rec.Phase, len(r.commits), len(r.reveals))
	}
	if cfg.Metrics != nil {
		cfg.Metrics.storeSize = cfg.Store.Size
	}
	return c, nil
}

func parseReport(b []byte) *server.Report {
	var rep server.Report
	if json.Unmarshal(b, &rep) != nil {
		return nil
	}
	return &rep
}

// Changed returns a channel closed at the next change of any round.
func (c *Coordinator) Changed() <-chan struct{} {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.changed
}

// notify must be called with mu held.
func (c *Coordinator) notify() {
	close(c.changed)
	c.changed = make(chan struct{})
	select {
	case c.poke <- struct{}{}:
	default:
	}
}

// Run closes phases at their deadlines and aggregates rounds whose reveals
// closed, until ctx ends; it then waits for running aggregations to stop.
func (c *Coordinator) Run(ctx context.Context) error {
	defer c.aggWG.Wait()
	for {
		next := c.advance(ctx)
		wait := time.Hour
		if !next.IsZero() {
			wait = max(next.Sub(c.cfg.Now()), time.Millisecond)
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		case <-c.poke:
		case <-t.C:
		}
		t.Stop()
	}
}

// advance moves every round whose phase should close, and returns the
// earliest deadline still ahead (zero if none).
func (c *Coordinator) advance(ctx context.Context) time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	now := c.cfg.Now()
	var next time.Time
	soonest := func(t time.Time) {
		if next.IsZero() || t.Before(next) {
			next = t
		}
	}
	for _, id := range c.ids() {
		r := c.rounds[id]
		switch r.rec.Phase {
		case PhaseCommit:
			n := len(r.commits)
			switch {
			case n >= r.rec.Quorum:
				c.setPhase(r, PhaseReveal, "", now)
			case !now.Before(r.rec.CommitDeadline) && n >= MinCommits:
				c.setPhase(r, PhaseReveal, "", now)
			case !now.Before(r.rec.CommitDeadline):
				c.setPhase(r, PhaseFailed, fmt.Sprintf("the commit deadline passed with %d commitments; at least %d are needed", n, MinCommits), now)
			default:
				soonest(r.rec.CommitDeadline)
			}
			if r.rec.Phase == PhaseReveal {
				soonest(r.rec.RevealDeadline)
			}
		case PhaseReveal:
			if len(r.reveals) >= len(r.commits) || !now.Before(r.rec.RevealDeadline) {
				c.setPhase(r, PhaseAggregating, "", now)
			} else {
				soonest(r.rec.RevealDeadline)
			}
		}
		if r.rec.Phase == PhaseAggregating && !r.running {
			r.running = true
			c.aggWG.Add(1)
			go c.aggregate(ctx, r.rec.ID)
		}
	}
	return next
}

// setPhase writes the new phase to the store first; if that fails the
// phase stays and the next pass tries again.
func (c *Coordinator) setPhase(r *round, phase, reason string, now time.Time) {
	rec := r.rec
	rec.Phase, rec.Error = phase, reason
	switch phase {
	case PhaseReveal:
		rec.CommitsClosedAt = now
	case PhaseAggregating:
		rec.RevealsClosedAt = now
	case PhaseFailed, PhaseDone:
		rec.DoneAt = now
	}
	if err := c.cfg.Store.PutRound(rec); err != nil {
		c.cfg.Logf("round %d: cannot record phase %s: %v", rec.ID, phase, err)
		return
	}
	c.cfg.Logf("round %d: %s%s (%d committed, %d revealed)", rec.ID, phase, prefixed(": ", reason), len(r.commits), len(r.reveals))
	r.rec = rec
	if !active(phase) {
		r.ests = nil
	}
	if c.cfg.Metrics != nil && (phase == PhaseDone || phase == PhaseFailed) {
		c.cfg.Metrics.RoundsFinished.WithLabelValues(phase).Inc()
	}
	c.notify()
}

func prefixed(p, s string) string {
	if s == "" {
		return ""
	}
	return p + s
}

func (c *Coordinator) ids() []uint64 {
	ids := make([]uint64, 0, len(c.rounds))
	for id := range c.rounds {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	return ids
}

// aggregate runs the round's aggregation outside the lock and stores its
// report. The estimates are in the order of their site ids and the
// server's seed is the round's, so a restart aggregates to the same result.
func (c *Coordinator) aggregate(ctx context.Context, id uint64) {
	defer c.aggWG.Done()
	c.mu.Lock()
	r := c.rounds[id]
	rec, damaged := r.rec, r.damaged
	ests := revealed(r)
	c.mu.Unlock()
	done := func(phase, reason string, report []byte, secs float64) {
		c.mu.Lock()
		defer c.mu.Unlock()
		r.running = false
		now := c.cfg.Now()
		if phase == PhaseDone {
			rec := r.rec
			rec.Phase, rec.DoneAt, rec.AggregationSeconds = PhaseDone, now, secs
			if err := c.cfg.Store.PutResult(rec, report); err != nil {
				c.cfg.Logf("round %d: cannot store the result: %v", id, err)
				return
			}
			r.rec, r.result, r.report, r.ests = rec, report, parseReport(report), nil
			c.cfg.Logf("round %d: done, aggregated %d estimates in %.3fs", id, len(ests), secs)
			if c.cfg.Metrics != nil {
				c.cfg.Metrics.RoundsFinished.WithLabelValues(PhaseDone).Inc()
				c.cfg.Metrics.AggregationSeconds.Observe(secs)
			}
			c.notify()
			return
		}
		c.setPhase(r, phase, reason, now)
	}
	if c.cfg.HoldAggregation > 0 {
		select {
		case <-ctx.Done():
			c.mu.Lock()
			r.running = false
			c.mu.Unlock()
			return
		case <-time.After(c.cfg.HoldAggregation):
		}
	}
	if damaged != nil {
		done(PhaseFailed, damaged.Error(), nil, 0)
		return
	}
	start := time.Now()
	report, err := Aggregate(ctx, c.cfg.Server, rec, ests)
	if ctx.Err() != nil {
		c.mu.Lock()
		r.running = false
		c.mu.Unlock()
		return
	}
	if err != nil {
		done(PhaseFailed, err.Error(), nil, 0)
		return
	}
	done(PhaseDone, "", report, time.Since(start).Seconds())
}

// RoundView is a round as the status page shows it.
type RoundView struct {
	ID                             uint64
	Phase, Method, Error           string
	K, D, Quorum                   int
	Committed, Revealed            int
	OpenedAt                       time.Time
	CommitDeadline, RevealDeadline time.Time
	AggregationSeconds             float64
	Sites                          []SiteState
	// Report is the published result, nil before it.
	Report *server.Report
}

// Snapshot describes every round, the newest first.
func (c *Coordinator) Snapshot() []RoundView {
	c.mu.Lock()
	defer c.mu.Unlock()
	ids := c.ids()
	out := make([]RoundView, 0, len(ids))
	for i := len(ids) - 1; i >= 0; i-- {
		r := c.rounds[ids[i]]
		rec := r.rec
		out = append(out, RoundView{ID: rec.ID, Phase: rec.Phase, Method: rec.Method, Error: rec.Error, K: rec.K, D: rec.D, Quorum: rec.Quorum,
			Committed: len(r.commits), Revealed: len(r.reveals), OpenedAt: rec.OpenedAt, CommitDeadline: rec.CommitDeadline,
			RevealDeadline: rec.RevealDeadline, AggregationSeconds: rec.AggregationSeconds, Sites: siteStates(r), Report: r.report})
	}
	return out
}
