package coordinator_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nistgmm/nistgmm/federated/estimates"
	"github.com/nistgmm/nistgmm/federated/server"
	"github.com/nistgmm/nistgmm/federation"
	"github.com/nistgmm/nistgmm/federation/coordinator"
	pb "github.com/nistgmm/nistgmm/federation/proto/v1"
	"github.com/nistgmm/nistgmm/federation/site"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
)

// newReportEncoder writes a report as 'nistgmm aggregate' does.
func newReportEncoder(w io.Writer) *json.Encoder { return json.NewEncoder(w) }

func wantCode(t *testing.T, what string, err error, code codes.Code, text string) {
	t.Helper()
	if status.Code(err) != code || !strings.Contains(status.Convert(err).Message(), text) {
		t.Errorf("%s: got %v, want %v saying %q", what, err, code, text)
	}
}

// TestRoundCommitRevealAggregate runs a round of six sites through the
// client and checks the published report is the one 'aggregate' makes of
// the same estimates.
func TestRoundCommitRevealAggregate(t *testing.T) {
	const m, k, d = 6, 2, 3
	f := start(t, newPKI(t, m), t.TempDir())
	op := f.client("operator")
	info := open(t, op, k, d, m, time.Minute, time.Minute)
	mixes := honestMixtures(m, k, d, 1)
	var wg sync.WaitGroup
	outs := make([]*site.Outcome, m)
	errs := make([]error, m)
	for i := 0; i < m; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c := &site.Client{API: f.client(siteName(i)), Name: siteName(i), State: t.TempDir(), Poll: 20 * time.Millisecond}
			outs[i], errs[i] = c.Participate(ctxT(t, time.Minute), info, fixed(100+i, mixes[i]))
		}()
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("site %d: %v", i, err)
		}
	}
	res, err := op.GetResult(ctxT(t, 10*time.Second), &pb.GetResultRequest{RoundId: info.RoundId})
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(res.ReportJson, outs[0].Report) {
		t.Fatal("the site and the operator read different reports")
	}
	ests := make([]estimates.Estimate, m)
	for i := range ests {
		ests[i] = estimates.Estimate{ID: siteName(i), N: 100 + i, Mixture: mixes[i]}
	}
	doc, err := federation.EstimatesDocument(ests)
	if err != nil {
		t.Fatal(err)
	}
	srv := &server.Server{K: k, Dim: d, Seed: 1}
	rep, err := srv.AggregateDocument(context.Background(), bytes.NewReader(doc), server.ARED, nil)
	if err != nil {
		t.Fatal(err)
	}
	var local bytes.Buffer
	enc := newReportEncoder(&local)
	if err := enc.Encode(rep); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(local.Bytes(), res.ReportJson) {
		t.Fatalf("the round's report differs from aggregate's on the same estimates:\n%s\nvs\n%s", res.ReportJson, local.Bytes())
	}
	got, err := op.GetEstimates(ctxT(t, 10*time.Second), &pb.GetEstimatesRequest{RoundId: info.RoundId})
	if err != nil || !bytes.Equal(got.EstimatesJson, doc) {
		t.Fatalf("GetEstimates: %v; equal %v", err, got != nil && bytes.Equal(got.EstimatesJson, doc))
	}
	for _, o := range outs {
		if o.State != "kept" && o.State != "excluded" {
			t.Errorf("an honest site's state is %q (%s)", o.State, o.Reason)
		}
	}
}

// TestSubmissionRules checks, one request at a time, what a site may send.
func TestSubmissionRules(t *testing.T) {
	const k, d = 2, 3
	f := start(t, newPKI(t, 4), t.TempDir())
	op := f.client("operator")
	info := open(t, op, k, d, 3, time.Minute, time.Minute)
	id := info.RoundId
	ctx := ctxT(t, time.Minute)
	mixes := honestMixtures(4, k, d, 2)
	a, b, c := f.client(siteName(0)), f.client(siteName(1)), f.client(siteName(2))
	estA, _ := federation.MarshalEstimate("", id, 100, mixes[0])
	nonceA, _ := federation.NewNonce()
	comA := federation.Commitment(nonceA, estA)

	// Operators cannot submit, sites cannot open rounds.
	_, err := op.Commit(ctx, &pb.CommitRequest{RoundId: id, Commitment: comA})
	wantCode(t, "an operator's commit", err, codes.PermissionDenied, "site")
	_, err = a.OpenRound(ctx, &pb.OpenRoundRequest{Config: info.Config})
	wantCode(t, "a site opening a round", err, codes.PermissionDenied, "operator")
	// An id field that disagrees with the certificate.
	_, err = a.Commit(ctx, &pb.CommitRequest{RoundId: id, SiteId: siteName(1), Commitment: comA})
	wantCode(t, "commit under another id", err, codes.PermissionDenied, "certificate")
	_, err = a.Commit(ctx, &pb.CommitRequest{RoundId: id, Commitment: comA[:5]})
	wantCode(t, "a short commitment", err, codes.InvalidArgument, "32 bytes")
	// Idempotent commit; a different one refused.
	r1, err := a.Commit(ctx, &pb.CommitRequest{RoundId: id, SiteId: siteName(0), Commitment: comA})
	if err != nil || r1.Duplicate {
		t.Fatalf("first commit: %v %v", r1, err)
	}
	r2, err := a.Commit(ctx, &pb.CommitRequest{RoundId: id, Commitment: comA})
	if err != nil || !r2.Duplicate || r2.AcceptedUnixMs != r1.AcceptedUnixMs {
		t.Fatalf("the same commit again: %v %v, want the first answer marked duplicate", r2, err)
	}
	other := federation.Commitment(nonceA, append([]byte{}, estA[:len(estA)-1]...))
	_, err = a.Commit(ctx, &pb.CommitRequest{RoundId: id, Commitment: other})
	wantCode(t, "a second, different commit", err, codes.AlreadyExists, "different estimate")
	// No reveal before commits close.
	_, err = a.Reveal(ctx, &pb.RevealRequest{RoundId: id, Estimate: estA, Nonce: nonceA})
	wantCode(t, "a reveal before commits close", err, codes.FailedPrecondition, "not closed")

	// Sites b and c commit to bad estimates of several kinds; the quorum
	// of 3 closes commits.
	nan := mixes[1].Clone()
	nan.Means[0][1] = nan.Means[0][1] * 0 / 0 // NaN
	estNaN, _ := federation.MarshalEstimate("", id, 100, nan)
	wrongK := honestMixtures(1, k+1, d, 3)[0]
	estK, _ := federation.MarshalEstimate("", id, 100, wrongK)
	estID, _ := federation.MarshalEstimate(siteName(3), id, 100, mixes[1])
	badProto := []byte{0xff, 0xff, 0xff}
	nonceB, _ := federation.NewNonce()
	nonceC, _ := federation.NewNonce()
	estC, _ := federation.MarshalEstimate("", id, 100, mixes[2])
	if _, err := b.Commit(ctx, &pb.CommitRequest{RoundId: id, Commitment: federation.Commitment(nonceB, estNaN)}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Commit(ctx, &pb.CommitRequest{RoundId: id, Commitment: federation.Commitment(nonceC, estC)}); err != nil {
		t.Fatal(err)
	}
	waitPhase(t, op, id, pb.Phase_PHASE_REVEAL)
	// A commit after commits closed.
	late := f.client(siteName(3))
	_, err = late.Commit(ctx, &pb.CommitRequest{RoundId: id, Commitment: comA})
	wantCode(t, "a commit after commits closed", err, codes.FailedPrecondition, "closed")

	// Reveals that do not open the commitment, or are not valid estimates.
	_, err = a.Reveal(ctx, &pb.RevealRequest{RoundId: id, Estimate: estA, Nonce: nonceB})
	wantCode(t, "a reveal with another nonce", err, codes.InvalidArgument, "does not match")
	_, err = b.Reveal(ctx, &pb.RevealRequest{RoundId: id, Estimate: estNaN, Nonce: nonceB})
	wantCode(t, "a NaN mean", err, codes.InvalidArgument, "NaN")
	// The bad contents below are checked through UnmarshalEstimate, the
	// function the coordinator's Reveal calls before accepting anything.
	for _, bad := range []struct {
		what string
		est  []byte
		want string
	}{
		{"malformed protobuf", badProto, "not a protobuf"},
		{"wrong K", estK, "K = 3"},
		{"an id in the estimate", estID, "certificate"},
		{"NaN", estNaN, "NaN"},
	} {
		_, err := federation.UnmarshalEstimate(bad.est, federation.Expect{Site: siteName(1), Round: id, K: k, D: d})
		if err == nil || !strings.Contains(err.Error(), bad.want) {
			t.Errorf("%s: %v, want an error saying %q", bad.what, err, bad.want)
		}
	}
	// Idempotent reveal; a reveal of c's does not depend on a's.
	v1, err := a.Reveal(ctx, &pb.RevealRequest{RoundId: id, Estimate: estA, Nonce: nonceA})
	if err != nil {
		t.Fatal(err)
	}
	v2, err := a.Reveal(ctx, &pb.RevealRequest{RoundId: id, Estimate: estA, Nonce: nonceA})
	if err != nil || !v2.Duplicate || v2.AcceptedUnixMs != v1.AcceptedUnixMs {
		t.Fatalf("the same reveal again: %v %v", v2, err)
	}
	otherNonce, _ := federation.NewNonce()
	_, err = a.Reveal(ctx, &pb.RevealRequest{RoundId: id, Estimate: estA, Nonce: otherNonce})
	wantCode(t, "a different reveal after an accepted one", err, codes.AlreadyExists, "different estimate")
	info, err = op.GetRound(ctx, &pb.GetRoundRequest{RoundId: id})
	if err != nil || info.Revealed != 1 {
		t.Fatalf("after a reveal sent twice the round counts %d reveals (%v), want 1", info.GetRevealed(), err)
	}
	// The status lists b as invalid with its reason.
	for _, s := range info.Sites {
		if s.SiteId == siteName(1) && (s.State != "invalid" || !strings.Contains(s.Reason, "NaN")) {
			t.Errorf("site b: state %q reason %q, want invalid with the NaN", s.State, s.Reason)
		}
	}
	// A polling site asks without the sites' states: the same round, no list.
	brief, err := a.GetRound(ctx, &pb.GetRoundRequest{RoundId: id, WithoutSites: true})
	if err != nil {
		t.Fatal(err)
	}
	if len(info.Sites) == 0 || len(brief.Sites) != 0 {
		t.Errorf("%d sites listed in full, %d without the sites", len(info.Sites), len(brief.Sites))
	}
	info.Sites = nil
	if !proto.Equal(brief, info) {
		t.Errorf("without the sites %v, in full %v", brief, info)
	}
}

// TestRevealRefusesBadContents sends each bad estimate as a committed
// reveal: each is refused at submission with its reason.
func TestRevealRefusesBadContents(t *testing.T) {
	const k, d = 2, 3
	bads := []struct {
		what string
		est  func(id uint64) []byte
		want string
	}{
		{"malformed protobuf", func(uint64) []byte { return []byte{0x0a, 0xff, 0xff, 0xff, 0x01} }, "not a protobuf"},
		{"wrong K", func(id uint64) []byte {
			b, _ := federation.MarshalEstimate("", id, 100, honestMixtures(1, k+1, d, 3)[0])
			return b
		}, "K = 3"},
		{"wrong d", func(id uint64) []byte {
			b, _ := federation.MarshalEstimate("", id, 100, honestMixtures(1, k, d+2, 3)[0])
			return b
		}, "d = 5"},
		{"an id field of another site", func(id uint64) []byte {
			b, _ := federation.MarshalEstimate(siteName(5), id, 100, honestMixtures(1, k, d, 3)[0])
			return b
		}, "certificate"},
		{"NaN", func(id uint64) []byte {
			m := honestMixtures(1, k, d, 3)[0]
			m.Covs[1].SetSym(0, 0, m.Covs[1].At(0, 0)*0/0)
			b, _ := federation.MarshalEstimate("", id, 100, m)
			return b
		}, "NaN"},
		{"shape lies", func(id uint64) []byte {
			e := &pb.Estimate{RoundId: id, N: 10, Mixture: &pb.Mixture{K: k, D: d, Weights: []float64{1}}}
			b, _ := proto.Marshal(e)
			return b
		}, "weights"},
	}
	n := len(bads)
	f := start(t, newPKI(t, n), t.TempDir())
	op := f.client("operator")
	info := open(t, op, k, d, n, time.Minute, time.Minute)
	ctx := ctxT(t, time.Minute)
	nonces := make([][]byte, n)
	clients := make([]pb.CoordinatorClient, n)
	for i, b := range bads {
		clients[i] = f.client(siteName(i))
		nonces[i], _ = federation.NewNonce()
		if _, err := clients[i].Commit(ctx, &pb.CommitRequest{RoundId: info.RoundId, Commitment: federation.Commitment(nonces[i], b.est(info.RoundId))}); err != nil {
			t.Fatal(err)
		}
	}
	waitPhase(t, op, info.RoundId, pb.Phase_PHASE_REVEAL)
	for i, b := range bads {
		_, err := clients[i].Reveal(ctx, &pb.RevealRequest{RoundId: info.RoundId, Estimate: b.est(info.RoundId), Nonce: nonces[i]})
		wantCode(t, b.what, err, codes.InvalidArgument, b.want)
	}
	if info, _ := op.GetRound(ctx, &pb.GetRoundRequest{RoundId: info.RoundId}); info.GetRevealed() != 0 {
		t.Errorf("%d bad reveals were recorded", info.GetRevealed())
	}
}

// TestCommitAfterDeadline: a commit that arrives after the deadline is
// refused even when the coordinator has not yet closed the phase.
func TestCommitAfterDeadline(t *testing.T) {
	f := start(t, newPKI(t, 5), t.TempDir())
	op := f.client("operator")
	info := open(t, op, 2, 3, 5, 1500*time.Millisecond, time.Minute)
	ctx := ctxT(t, time.Minute)
	for i := 0; i < 3; i++ {
		if _, err := f.client(siteName(i)).Commit(ctx, &pb.CommitRequest{RoundId: info.RoundId, Commitment: make([]byte, 32)}); err != nil {
			t.Fatal(err)
		}
	}
	time.Sleep(time.Until(time.UnixMilli(info.Config.CommitDeadlineUnixMs)) + 50*time.Millisecond)
	_, err := f.client(siteName(4)).Commit(ctx, &pb.CommitRequest{RoundId: info.RoundId, Commitment: make([]byte, 32)})
	if status.Code(err) != codes.DeadlineExceeded && status.Code(err) != codes.FailedPrecondition {
		t.Fatalf("a commit after the deadline: %v", err)
	}
	got := waitPhase(t, op, info.RoundId, pb.Phase_PHASE_REVEAL)
	if got.Committed != 3 {
		t.Fatalf("%d commitments recorded, want the 3 before the deadline", got.Committed)
	}
}

// TestMessageSizeLimit: a request over the limit is refused from its
// length prefix, with ResourceExhausted, and nothing is recorded.
func TestMessageSizeLimit(t *testing.T) {
	f := start(t, newPKI(t, 3), t.TempDir(), func(o *coordinator.Options) { o.MaxMessage = 64 << 10 })
	op := f.client("operator")
	info := open(t, op, 2, 3, 3, time.Minute, time.Minute)
	a := f.client(siteName(0))
	_, err := a.Commit(ctxT(t, 30*time.Second), &pb.CommitRequest{RoundId: info.RoundId, Commitment: make([]byte, 200<<10)})
	wantCode(t, "a 200 KB commit with a 64 KB limit", err, codes.ResourceExhausted, "larger than max")
	if got, _ := op.GetRound(ctxT(t, 10*time.Second), &pb.GetRoundRequest{}); got.GetCommitted() != 0 {
		t.Fatal("an oversized request was recorded")
	}
}

// TestSecondCoordinatorRefused: the state directory's lock.
func TestSecondCoordinatorRefused(t *testing.T) {
	p := newPKI(t, 0)
	state := t.TempDir()
	start(t, p, state)
	err := coordinator.ListenAndServe(ctxT(t, 30*time.Second), coordinator.Options{PKI: p, Name: "coordinator", State: state, Listen: "127.0.0.1:0",
		LockTimeout: 200 * time.Millisecond})
	if err == nil || !strings.Contains(err.Error(), "another coordinator") {
		t.Fatalf("a second coordinator on the same state: %v", err)
	}
}
