// Package site is the federation's client: it connects with its
// certificate, and for each round fits (or is handed) an estimate, commits
// to it, reveals it once commits close, and reads the result. What it
// committed to is written to its state directory before the commitment
// is sent, so a site killed between commit and reveal reveals the same
// estimate when it comes back.
package site

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"os"
	"path/filepath"
	"time"

	"github.com/nistgmm/nistgmm/federated/mixture"
	"github.com/nistgmm/nistgmm/federated/server"
	"github.com/nistgmm/nistgmm/federation"
	"github.com/nistgmm/nistgmm/federation/pki"
	pb "github.com/nistgmm/nistgmm/federation/proto/v1"
	"google.golang.org/grpc"
	"google.golang.org/grpc/backoff"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/status"
)

// Dial connects to the coordinator at addr with the certificate name of
// the PKI directory. serverName is the name the coordinator's certificate
// must carry ("" for addr's host).
func Dial(pkiDir, name, addr, serverName string, maxMessage int) (*grpc.ClientConn, error) {
	if serverName == "" {
		host, _, err := net.SplitHostPort(addr)
		if err != nil {
			return nil, fmt.Errorf("server address %q: %w", addr, err)
		}
		serverName = host
	}
	cfg, err := pki.ClientConfig(pkiDir, name, serverName)
	if err != nil {
		return nil, err
	}
	if maxMessage == 0 {
		maxMessage = 64 << 20
	}
	// Reconnect soon after the coordinator restarts (gRPC's default waits
	// up to two minutes between attempts).
	cp := grpc.ConnectParams{Backoff: backoff.Config{BaseDelay: 100 * time.Millisecond, Multiplier: 1.6, Jitter: 0.2, MaxDelay: 3 * time.Second},
		MinConnectTimeout: 5 * time.Second}
	conn, err := grpc.NewClient(addr, grpc.WithTransportCredentials(credentials.NewTLS(cfg)), grpc.WithConnectParams(cp),
		grpc.WithDefaultCallOptions(grpc.MaxCallRecvMsgSize(maxMessage), grpc.MaxCallSendMsgSize(maxMessage)))
	if err != nil {
		return nil, fmt.Errorf("connecting to %s: %w", addr, err)
	}
	return conn, nil
}

// Backoff spaces retries: Initial, doubled up to Max, each with up to
// half again of random jitter.
type Backoff struct {
	Initial, Max time.Duration
}

func (b Backoff) next(d time.Duration, rng *rand.Rand) time.Duration {
	if d == 0 {
		d = b.Initial
	} else {
		d *= 2
	}
	d = min(d, b.Max)
	return d + time.Duration(rng.Int64N(int64(d)/2+1))
}

// Retryable reports whether a call's error may pass by itself: the
// coordinator unreachable or its store briefly unable to write.
func Retryable(err error) bool {
	return status.Code(err) == codes.Unavailable
}

// Estimator gives the site's estimate for a round: the number of
// observations and the mixture, of the round's order and dimension.
// prev is the latest published report before this round (nil if none).
type Estimator func(ctx context.Context, info *pb.RoundInfo, prev *server.Report) (n int, m *mixture.Mixture, err error)

// Client takes part in rounds.
type Client struct {
	API  pb.CoordinatorClient
	Name string
	// State keeps each round's committed estimate until it is revealed.
	State string
	// Poll is the wait between two looks at a round's phase.
	Poll    time.Duration
	Backoff Backoff
	Logf    func(format string, args ...any)
	rng     *rand.Rand
}

// Outcome is what a site learns of a round.
type Outcome struct {
	Round  uint64
	State  string // the site's standing (kept, flagged, ...)
	Reason string
	Report []byte // the report's JSON
	Error  string // why the round failed
}

func (c *Client) init() {
	if c.Poll == 0 {
		c.Poll = 200 * time.Millisecond
	}
	if c.Backoff.Initial == 0 {
		c.Backoff = Backoff{Initial: 100 * time.Millisecond, Max: 5 * time.Second}
	}
	if c.Logf == nil {
		c.Logf = func(string, ...any) {}
	}
	if c.rng == nil {
		c.rng = rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 7))
	}
}

// call retries fn while its error is Retryable, until ctx ends.
func (c *Client) call(ctx context.Context, what string, fn func(ctx context.Context) error) error {
	var wait time.Duration
	for {
		err := fn(ctx)
		if err == nil || !Retryable(err) {
			return err
		}
		wait = c.Backoff.next(wait, c.rng)
		c.Logf("%s: %v; again in %v", what, status.Convert(err).Message(), wait.Round(time.Millisecond))
		select {
		case <-ctx.Done():
			return fmt.Errorf("%s: %w (last error: %v)", what, ctx.Err(), err)
		case <-time.After(wait):
		}
	}
}

// WaitRound waits for a round with id above after that this site can take
// part in: in its commit phase, or one it has already committed to.
func (c *Client) WaitRound(ctx context.Context, after uint64) (*pb.RoundInfo, error) {
	c.init()
	for {
		var info *pb.RoundInfo
		err := c.call(ctx, "waiting for a round", func(ctx context.Context) error {
			var err error
			info, err = c.API.GetRound(ctx, &pb.GetRoundRequest{WithoutSites: true})
			return err
		})
		if err != nil && status.Code(err) != codes.NotFound {
			return nil, err
		}
		if err == nil && info.RoundId > after {
			if info.Phase == pb.Phase_PHASE_COMMIT || c.pending(info.RoundId) != nil {
				return info, nil
			}
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(c.Poll):
		}
	}
}

// pendingFile is what the site committed to in a round.
type pendingFile struct {
	Round    uint64 `json:"round"`
	Estimate []byte `json:"estimate"`
	Nonce    []byte `json:"nonce"`
}

func (c *Client) pendingPath(round uint64) string {
	return filepath.Join(c.State, fmt.Sprintf("%s-round-%d.json", c.Name, round))
}

func (c *Client) pending(round uint64) *pendingFile {
	if c.State == "" {
		return nil
	}
	b, err := os.ReadFile(c.pendingPath(round))
	if err != nil {
		return nil
	}
	var p pendingFile
	if json.Unmarshal(b, &p) != nil || p.Round != round {
		return nil
	}
	return &p
}

func (c *Client) savePending(p *pendingFile) error {
	if c.State == "" {
		return nil
	}
	if err := os.MkdirAll(c.State, 0o700); err != nil {
		return err
	}
	b, err := json.Marshal(p)
	if err != nil {
		return err
	}
	tmp := c.pendingPath(p.Round) + ".tmp"
	f, err := os.OpenFile(tmp, os.O_CREATE|os.O_TRUNC|os.O_WRONLY, 0o600)
	if err != nil {
		return err
	}
	if _, err := f.Write(b); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	return os.Rename(tmp, c.pendingPath(p.Round))
}

// latestReport is the latest published report before round, nil if none.
func (c *Client) latestReport(ctx context.Context, round uint64) *server.Report {
	for id := round - 1; id > 0; id-- {
		res, err := c.API.GetResult(ctx, &pb.GetResultRequest{RoundId: id})
		if err != nil {
			continue
		}
		var rep server.Report
		if json.Unmarshal(res.ReportJson, &rep) == nil {
			return &rep
		}
	}
	return nil
}

// Participate takes part in round info: estimate, commit, wait for commits
// to close, reveal, wait for the result.
func (c *Client) Participate(ctx context.Context, info *pb.RoundInfo, est Estimator) (*Outcome, error) {
	c.init()
	id := info.RoundId
	p := c.pending(id)
	if p != nil {
		c.Logf("round %d: resuming with the estimate committed before", id)
	} else {
		n, m, err := est(ctx, info, c.latestReport(ctx, id))
		if err != nil {
			return nil, fmt.Errorf("round %d: estimating: %w", id, err)
		}
		b, err := federation.MarshalEstimate(c.Name, id, n, m)
		if err != nil {
			return nil, fmt.Errorf("round %d: %w", id, err)
		}
		nonce, err := federation.NewNonce()
		if err != nil {
			return nil, err
		}
		p = &pendingFile{Round: id, Estimate: b, Nonce: nonce}
		if err := c.savePending(p); err != nil {
			return nil, fmt.Errorf("round %d: keeping the estimate before committing: %w", id, err)
		}
	}
	commitment := federation.Commitment(p.Nonce, p.Estimate)
	err := c.call(ctx, fmt.Sprintf("round %d: commit", id), func(ctx context.Context) error {
		res, err := c.API.Commit(ctx, &pb.CommitRequest{RoundId: id, Commitment: commitment})
		if err == nil {
			c.Logf("round %d: committed (%s)", id, map[bool]string{true: "already recorded", false: "recorded"}[res.Duplicate])
		}
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("round %d: commit refused: %s", id, status.Convert(err).Message())
	}
	info, err = c.waitPhase(ctx, id, pb.Phase_PHASE_REVEAL)
	if err != nil {
		return nil, err
	}
	if info.Phase != pb.Phase_PHASE_REVEAL {
		return c.outcome(ctx, info)
	}
	err = c.call(ctx, fmt.Sprintf("round %d: reveal", id), func(ctx context.Context) error {
		res, err := c.API.Reveal(ctx, &pb.RevealRequest{RoundId: id, Estimate: p.Estimate, Nonce: p.Nonce})
		if err == nil {
			c.Logf("round %d: revealed (%s)", id, map[bool]string{true: "already recorded", false: "recorded"}[res.Duplicate])
		}
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("round %d: reveal refused: %s", id, status.Convert(err).Message())
	}
	info, err = c.waitPhase(ctx, id, pb.Phase_PHASE_DONE)
	if err != nil {
		return nil, err
	}
	return c.outcome(ctx, info)
}

// waitPhase polls round id until its phase is at least want, and returns
// the round with every site's state. The polls leave the sites' states out:
// a thousand sites polling a thousand-site list would take the
// coordinator's CPU from the aggregation they wait for.
func (c *Client) waitPhase(ctx context.Context, id uint64, want pb.Phase) (*pb.RoundInfo, error) {
	poll := func(withoutSites bool) (*pb.RoundInfo, error) {
		var info *pb.RoundInfo
		err := c.call(ctx, fmt.Sprintf("round %d", id), func(ctx context.Context) error {
			var err error
			info, err = c.API.GetRound(ctx, &pb.GetRoundRequest{RoundId: id, WithoutSites: withoutSites})
			return err
		})
		if err != nil {
			return nil, fmt.Errorf("round %d: %w", id, err)
		}
		return info, nil
	}
	for {
		info, err := poll(true)
		if err != nil {
			return nil, err
		}
		if info.Phase >= want {
			return poll(false)
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(c.Poll):
		}
	}
}

func (c *Client) outcome(ctx context.Context, info *pb.RoundInfo) (*Outcome, error) {
	out := &Outcome{Round: info.RoundId, Error: info.Error}
	for _, s := range info.Sites {
		if s.SiteId == c.Name {
			out.State, out.Reason = s.State, s.Reason
		}
	}
	if info.Phase == pb.Phase_PHASE_DONE {
		res, err := c.API.GetResult(ctx, &pb.GetResultRequest{RoundId: info.RoundId})
		if err != nil {
			return out, fmt.Errorf("round %d: result: %w", info.RoundId, err)
		}
		out.Report = res.ReportJson
	}
	if c.State != "" {
		os.Remove(c.pendingPath(info.RoundId))
	}
	if info.Phase == pb.Phase_PHASE_FAILED {
		return out, errors.New("round failed: " + info.Error)
	}
	return out, nil
}
