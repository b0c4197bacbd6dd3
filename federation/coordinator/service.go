package coordinator

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"sort"
	"time"

	"github.com/nistgmm/nistgmm/federated/estimates"
	"github.com/nistgmm/nistgmm/federated/server"
	"github.com/nistgmm/nistgmm/federation"
	"github.com/nistgmm/nistgmm/federation/pki"
	pb "github.com/nistgmm/nistgmm/federation/proto/v1"
	"github.com/nistgmm/nistgmm/federation/store"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

func (c *Coordinator) metric(kind, outcome string) {
	if c.cfg.Metrics != nil {
		c.cfg.Metrics.Submissions.WithLabelValues(kind, outcome).Inc()
	}
}

// refuse records a refused submission (for the status page) and returns
// the error to send. mu must be held.
func (c *Coordinator) refuse(r *round, site, kind string, code codes.Code, format string, args ...any) error {
	reason := fmt.Sprintf(format, args...)
	c.metric(kind, "refused")
	if r != nil {
		ref := store.Refusal{Kind: kind, Reason: reason, At: c.cfg.Now().UTC()}
		if err := c.cfg.Store.PutRefusal(r.rec.ID, site, ref); err == nil {
			r.refusals[site] = ref
			c.notify()
		}
	}
	return status.Error(code, reason)
}

// OpenRound opens a round (operators only); one round runs at a time.
func (c *Coordinator) OpenRound(ctx context.Context, req *pb.OpenRoundRequest) (*pb.RoundInfo, error) {
	if _, err := need(ctx, pki.RoleOperator, ""); err != nil {
		return nil, err
	}
	cfg := req.GetConfig()
	if cfg == nil {
		return nil, status.Error(codes.InvalidArgument, "no round configuration")
	}
	now := c.cfg.Now()
	cd, rd := time.UnixMilli(cfg.CommitDeadlineUnixMs), time.UnixMilli(cfg.RevealDeadlineUnixMs)
	method := cfg.Method
	if method == "" {
		method = string(server.ARED)
	}
	switch {
	case cfg.K < 1 || cfg.D < 1 || cfg.K > 1000 || cfg.D > 10000:
		return nil, status.Errorf(codes.InvalidArgument, "order K = %d and dimension d = %d: want 1 <= K <= 1000, 1 <= d <= 10000", cfg.K, cfg.D)
	case cfg.Quorum < MinCommits:
		return nil, status.Errorf(codes.InvalidArgument, "quorum %d: want at least %d", cfg.Quorum, MinCommits)
	case !cd.After(now):
		return nil, status.Errorf(codes.InvalidArgument, "the commit deadline %s is not in the future", cd.UTC().Format(time.RFC3339))
	case !rd.After(cd):
		return nil, status.Errorf(codes.InvalidArgument, "the reveal deadline %s is not after the commit deadline %s", rd.UTC().Format(time.RFC3339), cd.UTC().Format(time.RFC3339))
	}
	if _, err := server.ParseMethod(method); err != nil {
		return nil, status.Errorf(codes.InvalidArgument, "method: %v", err)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, r := range c.rounds {
		if r.rec.Phase != PhaseDone && r.rec.Phase != PhaseFailed {
			return nil, status.Errorf(codes.FailedPrecondition, "round %d is still in its %s phase; one round runs at a time", r.rec.ID, r.rec.Phase)
		}
	}
	rec := store.Round{ID: c.latest + 1, K: int(cfg.K), D: int(cfg.D), Quorum: int(cfg.Quorum), CommitDeadline: cd.UTC(), RevealDeadline: rd.UTC(),
		Method: method, Seed: cfg.Seed, Phase: PhaseCommit, OpenedAt: now.UTC()}
	if err := c.cfg.Store.PutRound(rec); err != nil {
		return nil, status.Errorf(codes.Unavailable, "the round could not be recorded: %v", err)
	}
	c.rounds[rec.ID] = &round{rec: rec, commits: map[string]store.Commit{}, reveals: map[string]time.Time{},
		ests: map[string]estimates.Estimate{}, refusals: map[string]store.Refusal{}}
	c.latest = rec.ID
	if c.cfg.Metrics != nil {
		c.cfg.Metrics.RoundsOpened.Inc()
	}
	c.cfg.Logf("round %d: opened, K = %d, d = %d, quorum %d, commits until %s, reveals until %s, method %s", rec.ID, rec.K, rec.D, rec.Quorum,
		rec.CommitDeadline.Format(time.RFC3339), rec.RevealDeadline.Format(time.RFC3339), rec.Method)
	c.notify()
	return c.info(c.rounds[rec.ID]), nil
}

// GetRound describes a round (0: the latest).
func (c *Coordinator) GetRound(ctx context.Context, req *pb.GetRoundRequest) (*pb.RoundInfo, error) {
	if _, err := callerOf(ctx); err != nil {
		return nil, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	id := req.GetRoundId()
	if id == 0 {
		id = c.latest
	}
	r, ok := c.rounds[id]
	if !ok {
		if id == 0 {
			return nil, status.Error(codes.NotFound, "no round has been opened")
		}
		return nil, status.Errorf(codes.NotFound, "no round %d", id)
	}
	if req.GetWithoutSites() {
		return c.summary(r), nil
	}
	return c.info(r), nil
}

var phases = map[string]pb.Phase{PhaseCommit: pb.Phase_PHASE_COMMIT, PhaseReveal: pb.Phase_PHASE_REVEAL,
	PhaseAggregating: pb.Phase_PHASE_AGGREGATING, PhaseDone: pb.Phase_PHASE_DONE, PhaseFailed: pb.Phase_PHASE_FAILED}

// summary is the round without its sites' states; it must be called with
// mu held.
func (c *Coordinator) summary(r *round) *pb.RoundInfo {
	rec := r.rec
	return &pb.RoundInfo{RoundId: rec.ID, Phase: phases[rec.Phase], Committed: uint32(len(r.commits)), Revealed: uint32(len(r.reveals)), Error: rec.Error,
		Config: &pb.RoundConfig{K: uint32(rec.K), D: uint32(rec.D), Quorum: uint32(rec.Quorum), CommitDeadlineUnixMs: rec.CommitDeadline.UnixMilli(),
			RevealDeadlineUnixMs: rec.RevealDeadline.UnixMilli(), Method: rec.Method, Seed: rec.Seed}}
}

// info is the round with every site's state; it must be called with mu
// held.
func (c *Coordinator) info(r *round) *pb.RoundInfo {
	out := c.summary(r)
	for _, s := range siteStates(r) {
		out.Sites = append(out.Sites, &pb.SiteState{SiteId: s.Site, State: s.State, Reason: s.Reason})
	}
	return out
}

// SiteState is one site's standing in a round.
type SiteState struct {
	Site, State, Reason string
}

// siteStates must be called with mu held.
func siteStates(r *round) []SiteState {
	names := map[string]bool{}
	for s := range r.commits {
		names[s] = true
	}
	for s := range r.refusals {
		names[s] = true
	}
	judged := map[string]SiteState{}
	if rep := r.report; rep != nil {
		for _, s := range rep.Kept {
			judged[s] = SiteState{s, "kept", ""}
		}
		for _, e := range rep.Excluded {
			if j, ok := judged[e.ID]; ok && j.State == "kept" {
				judged[e.ID] = SiteState{e.ID, "kept", e.Reason}
			} else {
				judged[e.ID] = SiteState{e.ID, "excluded", e.Reason}
			}
		}
		for _, e := range rep.SetAside {
			judged[e.ID] = SiteState{e.ID, "set aside", e.Reason}
		}
		for _, e := range rep.Invalid {
			judged[e.ID] = SiteState{e.ID, "invalid", e.Reason}
		}
		for _, s := range rep.Flagged {
			reason := "flagged by the verdicts"
			for _, v := range rep.Verdicts {
				if v.ID == s {
					reason = fmt.Sprintf("flagged: distance to the answer z = %.3g, p = %.3g (family-wise level %g)", v.Z, v.PValue, rep.FlagLevel)
				}
			}
			judged[s] = SiteState{s, "flagged", reason}
		}
	}
	closed := r.rec.Phase != PhaseCommit && r.rec.Phase != PhaseReveal
	var out []SiteState
	for s := range names {
		_, committed := r.commits[s]
		_, revealed := r.reveals[s]
		st := SiteState{Site: s}
		switch {
		case revealed:
			st.State = "revealed"
			if j, ok := judged[s]; ok {
				st = j
			}
		case committed && closed:
			st.State, st.Reason = "late", "committed but did not reveal before reveals closed"
		case committed:
			st.State = "committed"
		default:
			st.State = "refused"
		}
		if ref, ok := r.refusals[s]; ok && !revealed {
			if st.State == "refused" || ref.Kind == "reveal" {
				st.State = "invalid"
			}
			st.Reason = ref.Kind + " refused: " + ref.Reason
		}
		out = append(out, st)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Site < out[j].Site })
	return out
}

// Commit records a site's commitment; the same commitment again is
// answered as the first time, a different one is refused.
func (c *Coordinator) Commit(ctx context.Context, req *pb.CommitRequest) (*pb.CommitResponse, error) {
	who, err := need(ctx, pki.RoleSite, req.GetSiteId())
	if err != nil {
		c.metric("commit", "refused")
		return nil, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	r, ok := c.rounds[req.GetRoundId()]
	if !ok {
		return nil, c.refuse(nil, who.name, "commit", codes.NotFound, "no round %d", req.GetRoundId())
	}
	if len(req.Commitment) != 32 {
		return nil, c.refuse(r, who.name, "commit", codes.InvalidArgument, "a commitment is a SHA-256 digest of 32 bytes, not %d", len(req.Commitment))
	}
	if prev, ok := r.commits[who.name]; ok {
		if !bytes.Equal(prev.Commitment, req.Commitment) {
			return nil, c.refuse(r, who.name, "commit", codes.AlreadyExists, "site %q already committed to a different estimate in round %d (at %s); a round takes one estimate per site",
				who.name, r.rec.ID, prev.At.Format(time.RFC3339Nano))
		}
		c.metric("commit", "duplicate")
		return &pb.CommitResponse{RoundId: r.rec.ID, SiteId: who.name, AcceptedUnixMs: prev.At.UnixMilli(), Duplicate: true}, nil
	}
	now := c.cfg.Now()
	if r.rec.Phase != PhaseCommit {
		return nil, c.refuse(r, who.name, "commit", codes.FailedPrecondition, "round %d's commits are closed (phase %s)", r.rec.ID, r.rec.Phase)
	}
	if !now.Before(r.rec.CommitDeadline) {
		return nil, c.refuse(r, who.name, "commit", codes.DeadlineExceeded, "round %d's commit deadline %s has passed", r.rec.ID, r.rec.CommitDeadline.Format(time.RFC3339Nano))
	}
	rec, existed, err := c.cfg.Store.PutCommit(r.rec.ID, who.name, store.Commit{Commitment: req.Commitment, At: now.UTC()})
	if err != nil {
		c.metric("commit", "store_error")
		return nil, status.Errorf(codes.Unavailable, "the commitment could not be recorded (try again later): %v", err)
	}
	if existed && !bytes.Equal(rec.Commitment, req.Commitment) {
		return nil, status.Errorf(codes.AlreadyExists, "site %q already committed to a different estimate in round %d", who.name, r.rec.ID)
	}
	r.commits[who.name] = rec
	c.metric("commit", "accepted")
	c.notify()
	return &pb.CommitResponse{RoundId: r.rec.ID, SiteId: who.name, AcceptedUnixMs: rec.At.UnixMilli()}, nil
}

// Reveal records a site's estimate once commits have closed, if it opens
// the site's commitment and is a valid estimate of the round's shape.
func (c *Coordinator) Reveal(ctx context.Context, req *pb.RevealRequest) (*pb.RevealResponse, error) {
	who, err := need(ctx, pki.RoleSite, req.GetSiteId())
	if err != nil {
		c.metric("reveal", "refused")
		return nil, err
	}
	c.mu.Lock()
	r, ok := c.rounds[req.GetRoundId()]
	if !ok {
		c.mu.Unlock()
		return nil, c.refuse(nil, who.name, "reveal", codes.NotFound, "no round %d", req.GetRoundId())
	}
	if at, ok := r.reveals[who.name]; ok {
		defer c.mu.Unlock()
		return c.revealAgain(r, who.name, at, req)
	}
	commit, committed := r.commits[who.name]
	phase, rec := r.rec.Phase, r.rec
	switch {
	case phase == PhaseCommit:
		defer c.mu.Unlock()
		return nil, c.refuse(nil, who.name, "reveal", codes.FailedPrecondition, "round %d's commits have not closed (%d of quorum %d); reveal when its phase is reveal",
			rec.ID, len(r.commits), rec.Quorum)
	case phase != PhaseReveal:
		defer c.mu.Unlock()
		return nil, c.refuse(r, who.name, "reveal", codes.FailedPrecondition, "round %d's reveals are closed (phase %s)", rec.ID, phase)
	case !committed:
		defer c.mu.Unlock()
		return nil, c.refuse(r, who.name, "reveal", codes.FailedPrecondition, "site %q did not commit in round %d", who.name, rec.ID)
	case !federation.Matches(commit.Commitment, req.Nonce, req.Estimate):
		defer c.mu.Unlock()
		return nil, c.refuse(r, who.name, "reveal", codes.InvalidArgument, "the reveal does not match the commitment site %q recorded in round %d", who.name, rec.ID)
	}
	c.mu.Unlock()
	// The checks of shape and values (a Cholesky factorization per
	// component) run outside the lock.
	est, verr := federation.UnmarshalEstimate(req.Estimate, expect(rec, who.name, c.cfg.MaxN))
	c.mu.Lock()
	defer c.mu.Unlock()
	if verr != nil {
		return nil, c.refuse(r, who.name, "reveal", codes.InvalidArgument, "%v", verr)
	}
	if at, ok := r.reveals[who.name]; ok { // a concurrent copy of this request won
		return c.revealAgain(r, who.name, at, req)
	}
	now := c.cfg.Now()
	if r.rec.Phase != PhaseReveal || !now.Before(r.rec.RevealDeadline) {
		return nil, c.refuse(r, who.name, "reveal", codes.DeadlineExceeded, "round %d's reveals closed (deadline %s)", r.rec.ID, r.rec.RevealDeadline.Format(time.RFC3339Nano))
	}
	stored, existed, err := c.cfg.Store.PutReveal(r.rec.ID, who.name, store.Reveal{Estimate: req.Estimate, Nonce: req.Nonce, At: now.UTC()})
	if err != nil {
		c.metric("reveal", "store_error")
		return nil, status.Errorf(codes.Unavailable, "the reveal could not be recorded (try again later): %v", err)
	}
	if existed && (!bytes.Equal(stored.Estimate, req.Estimate) || !bytes.Equal(stored.Nonce, req.Nonce)) {
		return nil, status.Errorf(codes.AlreadyExists, "site %q already revealed a different estimate in round %d", who.name, r.rec.ID)
	}
	r.reveals[who.name] = stored.At
	if r.ests != nil {
		r.ests[who.name] = est
	}
	c.metric("reveal", "accepted")
	c.notify()
	return &pb.RevealResponse{RoundId: r.rec.ID, SiteId: who.name, AcceptedUnixMs: stored.At.UnixMilli()}, nil
}

// revealAgain answers a reveal from a site whose reveal was recorded at at.
// One that opens the site's commitment is the recorded one (the commitment
// binds its bytes) and is answered as the first time; any other is
// refused. mu must be held.
func (c *Coordinator) revealAgain(r *round, site string, at time.Time, req *pb.RevealRequest) (*pb.RevealResponse, error) {
	if !federation.Matches(r.commits[site].Commitment, req.Nonce, req.Estimate) {
		return nil, c.refuse(r, site, "reveal", codes.AlreadyExists, "site %q already revealed a different estimate in round %d", site, r.rec.ID)
	}
	c.metric("reveal", "duplicate")
	return &pb.RevealResponse{RoundId: r.rec.ID, SiteId: site, AcceptedUnixMs: at.UnixMilli(), Duplicate: true}, nil
}

// GetResult returns a round's report (0: the latest round with one).
func (c *Coordinator) GetResult(ctx context.Context, req *pb.GetResultRequest) (*pb.GetResultResponse, error) {
	if _, err := callerOf(ctx); err != nil {
		return nil, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	id := req.GetRoundId()
	if id == 0 {
		for _, i := range c.ids() {
			if c.rounds[i].result != nil {
				id = i
			}
		}
		if id == 0 {
			return nil, status.Error(codes.NotFound, "no round has a result yet")
		}
	}
	r, ok := c.rounds[id]
	if !ok {
		return nil, status.Errorf(codes.NotFound, "no round %d", id)
	}
	if r.result == nil {
		msg := fmt.Sprintf("round %d has no result: its phase is %s", id, r.rec.Phase)
		if r.rec.Error != "" {
			msg += " (" + r.rec.Error + ")"
		}
		return nil, status.Error(codes.FailedPrecondition, msg)
	}
	return &pb.GetResultResponse{RoundId: id, ReportJson: r.result}, nil
}

// GetEstimates returns a round's revealed estimates as an estimates file
// (operators only, once reveals have closed).
func (c *Coordinator) GetEstimates(ctx context.Context, req *pb.GetEstimatesRequest) (*pb.GetEstimatesResponse, error) {
	if _, err := need(ctx, pki.RoleOperator, ""); err != nil {
		return nil, err
	}
	c.mu.Lock()
	r, ok := c.rounds[req.GetRoundId()]
	if !ok {
		c.mu.Unlock()
		return nil, status.Errorf(codes.NotFound, "no round %d", req.GetRoundId())
	}
	if r.rec.Phase == PhaseCommit || r.rec.Phase == PhaseReveal {
		c.mu.Unlock()
		return nil, status.Errorf(codes.FailedPrecondition, "round %d's reveals have not closed", r.rec.ID)
	}
	rec := r.rec
	c.mu.Unlock()
	var doc bytes.Buffer
	if err := writeEstimates(&doc, c.cfg.Store, rec, c.cfg.MaxN); err != nil {
		var damaged *damagedError
		if errors.As(err, &damaged) {
			return nil, status.Errorf(codes.DataLoss, "%v", err)
		}
		return nil, status.Errorf(codes.Unavailable, "the reveals could not be read (try again later): %v", err)
	}
	return &pb.GetEstimatesResponse{RoundId: rec.ID, EstimatesJson: doc.Bytes()}, nil
}

// Backup streams a consistent copy of the store (operators only).
func (c *Coordinator) Backup(_ *pb.BackupRequest, stream pb.Coordinator_BackupServer) error {
	if _, err := need(stream.Context(), pki.RoleOperator, ""); err != nil {
		return err
	}
	pr, pw := io.Pipe()
	go func() {
		_, err := c.cfg.Store.Backup(pw)
		pw.CloseWithError(err)
	}()
	defer pr.Close()
	buf := make([]byte, 256<<10)
	for {
		n, err := io.ReadFull(pr, buf)
		if n > 0 {
			if serr := stream.Send(&pb.BackupChunk{Data: append([]byte(nil), buf[:n]...)}); serr != nil {
				return serr
			}
		}
		if err == io.EOF || err == io.ErrUnexpectedEOF {
			return nil
		}
		if err != nil {
			return status.Errorf(codes.Internal, "backup: %v", err)
		}
	}
}
