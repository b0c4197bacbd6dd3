// Package operator is the federation operator's client of the coordinator:
// it opens rounds, reads their status, reports and revealed estimates, and
// takes consistent backups of the coordinator's store. It is not the
// site's client (package site) and knows nothing of command-line flags.
package operator

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"time"

	"github.com/nistgmm/nistgmm/federated/server"
	pb "github.com/nistgmm/nistgmm/federation/proto/v1"
	"github.com/nistgmm/nistgmm/federation/site"
	"google.golang.org/grpc/status"
)

// Client calls the coordinator as an operator.
type Client struct {
	API pb.CoordinatorClient
	// Poll is the pause between reads of a round's phase in Wait (200 ms
	// if 0).
	Poll time.Duration
}

// RoundSpec is what a new round asks of its estimates and how long its
// phases last.
type RoundSpec struct {
	K, D, Quorum         int
	CommitFor, RevealFor time.Duration // from now to the commit deadline, and from it to the reveal deadline
	Method               string
	Seed                 uint64
}

// Error turns a refusal of the call what into its message and code.
func Error(what string, err error) error {
	if s, ok := status.FromError(err); ok {
		return fmt.Errorf("%s: %s (%s)", what, s.Message(), s.Code())
	}
	return fmt.Errorf("%s: %w", what, err)
}

// Open opens a round of spec, its deadlines counted from now.
func (c *Client) Open(ctx context.Context, spec RoundSpec, now time.Time) (*pb.RoundInfo, error) {
	info, err := c.API.OpenRound(ctx, &pb.OpenRoundRequest{Config: &pb.RoundConfig{K: uint32(spec.K), D: uint32(spec.D), Quorum: uint32(spec.Quorum),
		CommitDeadlineUnixMs: now.Add(spec.CommitFor).UnixMilli(), RevealDeadlineUnixMs: now.Add(spec.CommitFor + spec.RevealFor).UnixMilli(),
		Method: spec.Method, Seed: spec.Seed}})
	if err != nil {
		return nil, Error("round open", err)
	}
	return info, nil
}

// Wait reads round id's phase until it is done or failed, through
// refusals that may pass by themselves. A failed round comes back with an
// error that says why.
func (c *Client) Wait(ctx context.Context, id uint64) (*pb.RoundInfo, error) {
	poll := c.Poll
	if poll == 0 {
		poll = 200 * time.Millisecond
	}
	for {
		got, err := c.API.GetRound(ctx, &pb.GetRoundRequest{RoundId: id})
		if err != nil && !site.Retryable(err) {
			return nil, Error("round status", err)
		}
		if err == nil && got.Phase >= pb.Phase_PHASE_DONE {
			if got.Phase == pb.Phase_PHASE_FAILED {
				return got, fmt.Errorf("round %d failed: %s", got.RoundId, got.Error)
			}
			return got, nil
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(poll):
		}
	}
}

// Status reads round id's phase and each site's standing (id 0: the
// latest round).
func (c *Client) Status(ctx context.Context, id uint64) (*pb.RoundInfo, error) {
	info, err := c.API.GetRound(ctx, &pb.GetRoundRequest{RoundId: id})
	if err != nil {
		return nil, Error("round status", err)
	}
	return info, nil
}

// WriteRound writes a round's phase, counts and each site's standing.
func WriteRound(w io.Writer, info *pb.RoundInfo) {
	fmt.Fprintf(w, "round %d: %s, %d committed, %d revealed", info.RoundId, PhaseName(info.Phase), info.Committed, info.Revealed)
	if info.Error != "" {
		fmt.Fprintf(w, " (%s)", info.Error)
	}
	fmt.Fprintln(w)
	for _, s := range info.Sites {
		fmt.Fprintf(w, "  %-20s %-10s %s\n", s.SiteId, s.State, s.Reason)
	}
}

// PhaseName is a phase's name in messages.
func PhaseName(p pb.Phase) string {
	return map[pb.Phase]string{pb.Phase_PHASE_COMMIT: "commit", pb.Phase_PHASE_REVEAL: "reveal", pb.Phase_PHASE_AGGREGATING: "aggregating",
		pb.Phase_PHASE_DONE: "done", pb.Phase_PHASE_FAILED: "failed"}[p]
}

// Result is a round's report, as sent (the format of the aggregate
// command's report) and decoded.
type Result struct {
	Round  uint64
	JSON   []byte
	Report server.Report
}

// Result reads round id's report (id 0: the latest round with a result).
func (c *Client) Result(ctx context.Context, id uint64) (*Result, error) {
	res, err := c.API.GetResult(ctx, &pb.GetResultRequest{RoundId: id})
	if err != nil {
		return nil, Error("round result", err)
	}
	out := &Result{Round: res.RoundId, JSON: res.ReportJson}
	if err := json.Unmarshal(res.ReportJson, &out.Report); err != nil {
		return nil, fmt.Errorf("round %d's report does not decode: %w", res.RoundId, err)
	}
	return out, nil
}

// Estimates reads round id's revealed estimates as an estimates document.
func (c *Client) Estimates(ctx context.Context, id uint64) ([]byte, error) {
	res, err := c.API.GetEstimates(ctx, &pb.GetEstimatesRequest{RoundId: id})
	if err != nil {
		return nil, Error("round estimates", err)
	}
	return res.EstimatesJson, nil
}

// Backup reads a consistent copy of the coordinator's store (a bbolt
// database) while it runs.
func (c *Client) Backup(ctx context.Context) ([]byte, error) {
	stream, err := c.API.Backup(ctx, &pb.BackupRequest{})
	if err != nil {
		return nil, Error("round backup", err)
	}
	var buf bytes.Buffer
	for {
		chunk, err := stream.Recv()
		if err == io.EOF {
			return buf.Bytes(), nil
		}
		if err != nil {
			return nil, Error("round backup", err)
		}
		buf.Write(chunk.Data)
	}
}
