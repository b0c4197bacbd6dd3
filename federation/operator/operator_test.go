package operator

import (
	"context"
	"strings"
	"testing"
	"time"

	pb "github.com/nistgmm/nistgmm/federation/proto/v1"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// phases answers GetRound with each of its rounds in turn, after a
// refusal that passes by itself.
type phases struct {
	pb.CoordinatorClient
	calls  int
	rounds []*pb.RoundInfo
}

func (p *phases) GetRound(ctx context.Context, req *pb.GetRoundRequest, _ ...grpc.CallOption) (*pb.RoundInfo, error) {
	p.calls++
	if p.calls == 1 {
		return nil, status.Error(codes.Unavailable, "restarting")
	}
	r := p.rounds[min(p.calls-2, len(p.rounds)-1)]
	return r, nil
}

// Wait reads the phase through passing refusals until the round ends, and
// a failed round is an error that says why.
func TestWaitUntilTheRoundEnds(t *testing.T) {
	for _, last := range []pb.Phase{pb.Phase_PHASE_DONE, pb.Phase_PHASE_FAILED} {
		api := &phases{rounds: []*pb.RoundInfo{{RoundId: 4, Phase: pb.Phase_PHASE_COMMIT}, {RoundId: 4, Phase: last, Error: "too few reveals"}}}
		c := &Client{API: api, Poll: time.Millisecond}
		got, err := c.Wait(context.Background(), 4)
		if got == nil || got.Phase != last || api.calls != 3 {
			t.Fatalf("%s: got %v after %d calls", last, got, api.calls)
		}
		if failed := last == pb.Phase_PHASE_FAILED; failed != (err != nil) || failed && err.Error() != "round 4 failed: too few reveals" {
			t.Errorf("%s: error %v", last, err)
		}
	}
}

// A refusal reads as the call, the coordinator's message and its code.
func TestErrorNamesTheCallAndCode(t *testing.T) {
	err := Error("round open", status.Error(codes.PermissionDenied, "not an operator"))
	if err.Error() != "round open: not an operator (PermissionDenied)" {
		t.Errorf("got %q", err)
	}
}

// A round's status is a line of counts and a line per site.
func TestWriteRound(t *testing.T) {
	var b strings.Builder
	WriteRound(&b, &pb.RoundInfo{RoundId: 2, Phase: pb.Phase_PHASE_REVEAL, Committed: 3, Revealed: 1,
		Sites: []*pb.SiteState{{SiteId: "a", State: "revealed"}}})
	want := "round 2: reveal, 3 committed, 1 revealed\n  a                    revealed   \n"
	if b.String() != want {
		t.Errorf("got %q, want %q", b.String(), want)
	}
}
