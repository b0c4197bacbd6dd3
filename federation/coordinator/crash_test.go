package coordinator_test

import (
	"bufio"
	"bytes"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nistgmm/nistgmm/federated/estimates"
	"github.com/nistgmm/nistgmm/federated/mixture"
	"github.com/nistgmm/nistgmm/federation"
	pb "github.com/nistgmm/nistgmm/federation/proto/v1"
	"github.com/nistgmm/nistgmm/federation/site"
)

var (
	buildOnce sync.Once
	builtBin  string
	buildErr  error
)

// nistgmmBinary builds cmd/nistgmm from this repository once per test run.
func nistgmmBinary(t testing.TB) string {
	t.Helper()
	buildOnce.Do(func() {
		dir, err := os.MkdirTemp("", "nistgmm-bin-")
		if err != nil {
			buildErr = err
			return
		}
		builtBin = filepath.Join(dir, "nistgmm")
		goTool := filepath.Join(runtime.GOROOT(), "bin", "go")
		cmd := exec.Command(goTool, "build", "-o", builtBin, "github.com/nistgmm/nistgmm/cmd/nistgmm")
		out, err := cmd.CombinedOutput()
		if err != nil {
			buildErr = err
			builtBin = string(out)
		}
	})
	if buildErr != nil {
		t.Fatalf("building cmd/nistgmm: %v\n%s", buildErr, builtBin)
	}
	return builtBin
}

func freePort(t testing.TB) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	return addr
}

// proc is a coordinator running as its own process.
type proc struct {
	cmd *exec.Cmd
	log *bytes.Buffer
}

// startProc starts 'nistgmm serve' and waits for it to listen.
func startProc(t *testing.T, bin, pkiDir, state, addr string, extra ...string) *proc {
	t.Helper()
	args := append([]string{"serve", "--pki", pkiDir, "--name", "coordinator", "--state", state, "--listen", addr, "--status-listen", ""}, extra...)
	cmd := exec.Command(bin, args...)
	p := &proc{cmd: cmd, log: &bytes.Buffer{}}
	cmd.Stderr = p.log
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	listening := make(chan bool, 1)
	go func() {
		sc := bufio.NewScanner(out)
		ok := false
		for sc.Scan() {
			if strings.HasPrefix(sc.Text(), "listening ") && !ok {
				ok = true
				listening <- true
			}
		}
		if !ok {
			listening <- false
		}
	}()
	select {
	case ok := <-listening:
		if !ok {
			cmd.Wait()
			t.Fatalf("the coordinator exited before listening:\n%s", p.log)
		}
	case <-time.After(30 * time.Second):
		cmd.Process.Kill()
		cmd.Wait()
		t.Fatalf("the coordinator did not listen within 30s:\n%s", p.log)
	}
	t.Cleanup(func() {
		if cmd.ProcessState == nil {
			cmd.Process.Kill()
			cmd.Wait()
		}
	})
	return p
}

// kill sends SIGKILL and waits for the process to end.
func (p *proc) kill(t *testing.T) {
	t.Helper()
	if err := p.cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	p.cmd.Wait()
}

type sub struct {
	est, nonce []byte
}

// crashRound runs one round of the given estimates against a coordinator
// process; at each point named in kills it SIGKILLs the coordinator and
// starts another on the same state. It returns the published report.
func crashRound(t *testing.T, mixes []*mixture.Mixture, kills map[string]bool) []byte {
	bin := nistgmmBinary(t)
	m := len(mixes)
	pkiDir := newPKI(t, m)
	state := t.TempDir()
	addr := freePort(t)
	extra := []string{"--hold-aggregation", "1500ms"}
	p := startProc(t, bin, pkiDir, state, addr, extra...)
	f := &fixture{t: t, pki: pkiDir, addr: addr}
	op := f.client("operator")
	ctx := ctxT(t, 3*time.Minute)
	now := time.Now()
	info, err := op.OpenRound(ctx, &pb.OpenRoundRequest{Config: &pb.RoundConfig{K: uint32(mixes[0].K()), D: uint32(mixes[0].Dim()), Quorum: uint32(m),
		CommitDeadlineUnixMs: now.Add(2 * time.Minute).UnixMilli(), RevealDeadlineUnixMs: now.Add(4 * time.Minute).UnixMilli(), Seed: 7}})
	if err != nil {
		t.Fatal(err)
	}
	id := info.RoundId
	subs := make([]sub, m)
	clients := make([]pb.CoordinatorClient, m)
	for i := range subs {
		subs[i].est, _ = federation.MarshalEstimate("", id, 200+i, mixes[i])
		subs[i].nonce, _ = federation.NewNonce()
		clients[i] = f.client(siteName(i))
	}
	restart := func(point string) {
		if !kills[point] {
			return
		}
		p.kill(t)
		p = startProc(t, bin, pkiDir, state, addr, extra...)
	}
	// retry sends a request until the coordinator (restarting) answers.
	retry := func(what string, fn func() error) {
		t.Helper()
		for range 200 {
			err := fn()
			if err == nil {
				return
			}
			if !site.Retryable(err) {
				t.Fatalf("%s: %v", what, err)
			}
			time.Sleep(50 * time.Millisecond)
		}
		t.Fatalf("%s: the coordinator did not answer", what)
	}
	commit := func(i int) {
		retry("commit", func() error {
			_, err := clients[i].Commit(ctx, &pb.CommitRequest{RoundId: id, Commitment: federation.Commitment(subs[i].nonce, subs[i].est)})
			return err
		})
	}
	reveal := func(i int) {
		retry("reveal", func() error {
			_, err := clients[i].Reveal(ctx, &pb.RevealRequest{RoundId: id, Estimate: subs[i].est, Nonce: subs[i].nonce})
			return err
		})
	}
	half := m / 2
	for i := 0; i < half; i++ {
		commit(i)
	}
	restart("commits")
	// Nothing acknowledged before the kill is lost.
	var info2 *pb.RoundInfo
	retry("round", func() error {
		var err error
		info2, err = op.GetRound(ctx, &pb.GetRoundRequest{RoundId: id})
		return err
	})
	if info2.Committed != uint32(half) {
		t.Fatalf("after the restart the round holds %d commitments, %d were acknowledged", info2.Committed, half)
	}
	for i := 0; i < m; i++ { // the first half again: recorded once
		commit(i)
	}
	waitPhase(t, op, id, pb.Phase_PHASE_REVEAL)
	for i := 0; i < half; i++ {
		reveal(i)
	}
	restart("reveals")
	retry("round", func() error {
		var err error
		info2, err = op.GetRound(ctx, &pb.GetRoundRequest{RoundId: id})
		return err
	})
	if info2.Revealed != uint32(half) || info2.Phase != pb.Phase_PHASE_REVEAL {
		t.Fatalf("after the restart the round holds %d reveals in phase %v, %d were acknowledged", info2.Revealed, info2.Phase, half)
	}
	for i := 0; i < m; i++ {
		reveal(i)
	}
	got := waitPhase(t, op, id, pb.Phase_PHASE_AGGREGATING)
	if kills["aggregation"] && got.Phase != pb.Phase_PHASE_AGGREGATING {
		t.Fatalf("the round left the aggregating phase before the kill (phase %v)", got.Phase)
	}
	restart("aggregation")
	got = waitPhase(t, op, id, pb.Phase_PHASE_DONE)
	if got.Phase != pb.Phase_PHASE_DONE || got.Committed != uint32(m) || got.Revealed != uint32(m) {
		t.Fatalf("after the restarts: phase %v, %d committed, %d revealed, want done with %d each (%s)", got.Phase, got.Committed, got.Revealed, m, got.Error)
	}
	var res *pb.GetResultResponse
	retry("result", func() error {
		var err error
		res, err = op.GetResult(ctx, &pb.GetResultRequest{RoundId: id})
		return err
	})
	p.kill(t)
	return res.ReportJson
}

// TestSIGKILLRestart: a coordinator killed with SIGKILL during commits,
// during reveals and during aggregation, each time restarted on the same
// state, publishes the report of an uninterrupted round on the same
// estimates, with every commitment and reveal counted once.
func TestSIGKILLRestart(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the coordinator as a process")
	}
	mixes := honestMixtures(8, 3, 4, 11)
	// Two Byzantine estimates, so that the report has something to flag.
	for _, i := range []int{6, 7} {
		for c := range mixes[i].Means {
			for j := range mixes[i].Means[c] {
				mixes[i].Means[c][j] += 40
			}
		}
	}
	want := crashRound(t, mixes, nil)
	got := crashRound(t, mixes, map[string]bool{"commits": true, "reveals": true, "aggregation": true})
	if !bytes.Equal(got, want) {
		t.Fatalf("the report after three SIGKILLs differs from the uninterrupted round's:\n%s\nvs\n%s", got, want)
	}
	// And both are what 'nistgmm aggregate' makes of the same estimates file.
	ests := make([]estimates.Estimate, len(mixes))
	for i := range ests {
		ests[i] = estimates.Estimate{ID: siteName(i), N: 200 + i, Mixture: mixes[i]}
	}
	doc, _ := federation.EstimatesDocument(ests)
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "est.json"), doc, 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(nistgmmBinary(t), "aggregate", "--estimates", filepath.Join(dir, "est.json"), "--seed", "7", "--out", filepath.Join(dir, "agg.json")).CombinedOutput()
	if err != nil {
		t.Fatalf("aggregate: %v\n%s", err, out)
	}
	local, err := os.ReadFile(filepath.Join(dir, "agg.json"))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(local, want) {
		t.Fatalf("the round's report is not aggregate's on the same estimates:\n%s\nvs\n%s", want, local)
	}
	if !strings.Contains(string(want), siteName(6)) {
		t.Fatal("the report does not name the Byzantine sites")
	}
}
