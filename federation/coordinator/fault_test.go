package coordinator_test

import (
	"context"
	"errors"
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/nistgmm/nistgmm/federated/estimates"
	"github.com/nistgmm/nistgmm/federation"
	"github.com/nistgmm/nistgmm/federation/coordinator"
	pb "github.com/nistgmm/nistgmm/federation/proto/v1"
	"github.com/nistgmm/nistgmm/federation/site"
	"github.com/nistgmm/nistgmm/federation/store"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// TestSiteKilledMidRevealComesBack: a site that committed and died before
// revealing comes back with a fresh process (a different fit) and reveals
// what it committed to, from its state directory.
func TestSiteKilledMidRevealComesBack(t *testing.T) {
	const k, d = 2, 3
	f := start(t, newPKI(t, 3), t.TempDir())
	op := f.client("operator")
	info := open(t, op, k, d, 3, time.Minute, time.Minute)
	mixes := honestMixtures(4, k, d, 5)
	stateDir := t.TempDir()
	// The first life: commit, then die before the reveal.
	ctx1, die := context.WithCancel(context.Background())
	first := &site.Client{API: f.client(siteName(0)), Name: siteName(0), State: stateDir, Poll: 20 * time.Millisecond,
		Logf: func(format string, args ...any) {
			if strings.Contains(format, "committed") {
				die()
			}
		}}
	if _, err := first.Participate(ctx1, info, fixed(100, mixes[0])); err == nil || ctx1.Err() == nil {
		t.Fatalf("the first life ended with %v, want cancelled after its commit", err)
	}
	// The other sites commit and reveal meanwhile.
	var wg sync.WaitGroup
	for i := 1; i < 3; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c := &site.Client{API: f.client(siteName(i)), Name: siteName(i), State: t.TempDir(), Poll: 20 * time.Millisecond}
			if _, err := c.Participate(ctxT(t, time.Minute), info, fixed(100, mixes[i])); err != nil {
				t.Error(err)
			}
		}()
	}
	waitPhase(t, op, info.RoundId, pb.Phase_PHASE_REVEAL)
	// The second life fits anew (mixes[3]) but must reveal mixes[0].
	second := &site.Client{API: f.client(siteName(0)), Name: siteName(0), State: stateDir, Poll: 20 * time.Millisecond}
	out, err := second.Participate(ctxT(t, time.Minute), info, fixed(100, mixes[3]))
	if err != nil {
		t.Fatalf("the site that came back: %v", err)
	}
	wg.Wait()
	if out.State == "late" || out.State == "" {
		t.Fatalf("the site that came back ended %q", out.State)
	}
	est, err := op.GetEstimates(ctxT(t, 10*time.Second), &pb.GetEstimatesRequest{RoundId: info.RoundId})
	if err != nil {
		t.Fatal(err)
	}
	ests, err := estimates.DecodeEstimates(strings.NewReader(string(est.EstimatesJson)))
	if err != nil {
		t.Fatal(err)
	}
	if len(ests) != 3 || ests[0].ID != siteName(0) || ests[0].Mixture.Means[0][0] != mixes[0].Means[0][0] {
		t.Fatalf("the round holds %d estimates; the first is %q, want site-00's committed one", len(ests), ests[0].ID)
	}
}

// TestSlowClientDoesNotHold: a connection that never completes its TLS
// handshake is closed at the handshake timeout, and the coordinator serves
// a whole round meanwhile.
func TestSlowClientDoesNotHold(t *testing.T) {
	f := start(t, newPKI(t, 3), t.TempDir(), func(o *coordinator.Options) { o.HandshakeTimeout = time.Second })
	var slow []net.Conn
	for range 20 {
		c, err := net.Dial("tcp", f.addr)
		if err != nil {
			t.Fatal(err)
		}
		c.Write([]byte{0x16, 0x03, 0x01}) // the first bytes of a ClientHello, then nothing
		slow = append(slow, c)
		defer c.Close()
	}
	op := f.client("operator")
	info := open(t, op, 2, 3, 3, time.Minute, time.Minute)
	mixes := honestMixtures(3, 2, 3, 9)
	var wg sync.WaitGroup
	for i := 0; i < 3; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c := &site.Client{API: f.client(siteName(i)), Name: siteName(i), Poll: 20 * time.Millisecond}
			if _, err := c.Participate(ctxT(t, time.Minute), info, fixed(100, mixes[i])); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	for i, c := range slow {
		c.SetReadDeadline(time.Now().Add(15 * time.Second))
		_, err := io.Copy(io.Discard, c)
		var ne net.Error
		if errors.As(err, &ne) && ne.Timeout() {
			t.Fatalf("slow connection %d is still open 15s later: the handshake timeout did not close it", i)
		}
	}
}

// mountTmpfs mounts a tmpfs of size bytes at a fresh directory (root only).
func mountTmpfs(t *testing.T, size string) string {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("mounting a small file system needs root; run as root to test a full disk")
	}
	dir := t.TempDir()
	if err := syscall.Mount("tmpfs", dir, "tmpfs", 0, "size="+size); err != nil {
		t.Skipf("cannot mount a tmpfs here (%v): the full-disk test needs it", err)
	}
	t.Cleanup(func() { syscall.Unmount(dir, syscall.MNT_DETACH) })
	return dir
}

// TestFullDisk: when the state's disk fills, a reveal is refused with a
// clear, retryable error, nothing accepted is lost, and once there is room
// again the round goes on.
func TestFullDisk(t *testing.T) {
	const m, k, d = 6, 2, 40
	disk := mountTmpfs(t, "2m")
	state := filepath.Join(disk, "state")
	f := start(t, newPKI(t, m), state)
	op := f.client("operator")
	info := open(t, op, k, d, m, time.Minute, time.Minute)
	ctx := ctxT(t, time.Minute)
	mixes := honestMixtures(m, k, d, 4)
	subs := make([]sub, m)
	clients := make([]pb.CoordinatorClient, m)
	for i := range subs {
		subs[i].est, _ = federation.MarshalEstimate("", info.RoundId, 100, mixes[i])
		subs[i].nonce, _ = federation.NewNonce()
		clients[i] = f.client(siteName(i))
		if _, err := clients[i].Commit(ctx, &pb.CommitRequest{RoundId: info.RoundId, Commitment: federation.Commitment(subs[i].nonce, subs[i].est)}); err != nil {
			t.Fatal(err)
		}
	}
	waitPhase(t, op, info.RoundId, pb.Phase_PHASE_REVEAL)
	// Fill the disk.
	filler := filepath.Join(disk, "filler")
	fh, err := os.Create(filler)
	if err != nil {
		t.Fatal(err)
	}
	block := make([]byte, 4096)
	for {
		if _, err := fh.Write(block); err != nil {
			break
		}
	}
	fh.Close()
	accepted, refusedAt := 0, -1
	for i := 0; i < m; i++ {
		_, err := clients[i].Reveal(ctx, &pb.RevealRequest{RoundId: info.RoundId, Estimate: subs[i].est, Nonce: subs[i].nonce})
		if err != nil {
			if status.Code(err) != codes.Unavailable || !strings.Contains(err.Error(), "could not be recorded") || !strings.Contains(err.Error(), "no space") {
				t.Fatalf("a reveal on a full disk: %v, want Unavailable saying it could not be recorded, no space", err)
			}
			refusedAt = i
			break
		}
		accepted++
	}
	if refusedAt < 0 {
		t.Fatal("every reveal was accepted on a full disk")
	}
	got, err := op.GetRound(ctx, &pb.GetRoundRequest{RoundId: info.RoundId})
	if err != nil || got.Revealed != uint32(accepted) {
		t.Fatalf("after the refusal the round counts %d reveals (%v), %d were accepted", got.GetRevealed(), err, accepted)
	}
	os.Remove(filler)
	for i := refusedAt; i < m; i++ {
		if _, err := clients[i].Reveal(ctx, &pb.RevealRequest{RoundId: info.RoundId, Estimate: subs[i].est, Nonce: subs[i].nonce}); err != nil {
			t.Fatalf("a reveal once there is room: %v", err)
		}
	}
	got = waitPhase(t, op, info.RoundId, pb.Phase_PHASE_DONE)
	if got.Phase != pb.Phase_PHASE_DONE || got.Revealed != m {
		t.Fatalf("the round ended %v with %d reveals (%s)", got.Phase, got.Revealed, got.Error)
	}
	// And a restart reads it all back.
	f.stop()
	f2 := start(t, f.pki, state)
	got, err = f2.client("operator").GetRound(ctx, &pb.GetRoundRequest{RoundId: info.RoundId})
	if err != nil || got.Phase != pb.Phase_PHASE_DONE || got.Revealed != m {
		t.Fatalf("after a restart: %v, %v", got, err)
	}
}

// TestReadOnlyState: a coordinator on a read-only state directory refuses
// to start with a clear error, and the state is intact once writable.
func TestReadOnlyState(t *testing.T) {
	p := newPKI(t, 3)
	var state string
	var makeRO, makeRW func()
	if os.Geteuid() == 0 {
		disk := mountTmpfs(t, "4m")
		state = filepath.Join(disk, "state")
		makeRO = func() {
			if err := syscall.Mount("", disk, "", syscall.MS_REMOUNT|syscall.MS_RDONLY, ""); err != nil {
				t.Skipf("cannot remount read-only: %v", err)
			}
		}
		makeRW = func() { syscall.Mount("", disk, "", syscall.MS_REMOUNT, "size=4m") }
	} else {
		state = filepath.Join(t.TempDir(), "state")
		makeRO = func() {
			os.Chmod(filepath.Join(state, "federation.db"), 0o400)
			os.Chmod(state, 0o500)
		}
		makeRW = func() {
			os.Chmod(state, 0o700)
			os.Chmod(filepath.Join(state, "federation.db"), 0o600)
		}
	}
	f := start(t, p, state)
	op := f.client("operator")
	info := open(t, op, 2, 3, 3, time.Minute, time.Minute)
	if _, err := f.client(siteName(0)).Commit(ctxT(t, 10*time.Second), &pb.CommitRequest{RoundId: info.RoundId, Commitment: make([]byte, 32)}); err != nil {
		t.Fatal(err)
	}
	f.stop()
	makeRO()
	err := coordinator.ListenAndServe(ctxT(t, 30*time.Second), coordinator.Options{PKI: p, Name: "coordinator", State: state, Listen: "127.0.0.1:0"})
	makeRW()
	if err == nil || !(strings.Contains(err.Error(), "read-only") || strings.Contains(err.Error(), "permission denied")) || !strings.Contains(err.Error(), "federation.db") {
		t.Fatalf("a coordinator on a read-only state: %v, want an error naming the file and the cause", err)
	}
	f2 := start(t, p, state)
	got, err := f2.client("operator").GetRound(ctxT(t, 10*time.Second), &pb.GetRoundRequest{RoundId: info.RoundId})
	if err != nil || got.Committed != 1 {
		t.Fatalf("the state once writable again: %v, %v", got, err)
	}
}

// TestRestartReadsTheStoredReveals: a coordinator started on a store whose
// round was aggregating decodes the stored reveals again and aggregates
// them; a stored reveal that no longer decodes fails that round with the
// site named, and stops nothing else.
func TestRestartReadsTheStoredReveals(t *testing.T) {
	const k, d = 2, 3
	mixes := honestMixtures(4, k, d, 9)
	for _, damaged := range []bool{false, true} {
		st, err := store.Open(t.TempDir(), time.Second)
		if err != nil {
			t.Fatal(err)
		}
		now := time.Now().UTC()
		rec := store.Round{ID: 1, K: k, D: d, Quorum: 4, CommitDeadline: now, RevealDeadline: now, Method: "ared", Seed: 1,
			Phase: coordinator.PhaseAggregating, OpenedAt: now}
		if err := st.PutRound(rec); err != nil {
			t.Fatal(err)
		}
		for i, m := range mixes {
			b, _ := federation.MarshalEstimate("", 1, 100+i, m)
			if damaged && i == 2 {
				b = b[:len(b)/2]
			}
			if _, _, err := st.PutReveal(1, siteName(i), store.Reveal{Estimate: b, Nonce: make([]byte, 32), At: now}); err != nil {
				t.Fatal(err)
			}
		}
		c, err := coordinator.New(coordinator.Config{Store: st})
		if err != nil {
			t.Fatalf("a damaged reveal stopped the coordinator: %v", err)
		}
		ctx, cancel := context.WithCancel(context.Background())
		ran := make(chan error, 1)
		go func() { ran <- c.Run(ctx) }()
		var view coordinator.RoundView
		for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
			if view = c.Snapshot()[0]; view.Phase == coordinator.PhaseDone || view.Phase == coordinator.PhaseFailed {
				break
			}
		}
		cancel()
		<-ran
		st.Close()
		switch {
		case damaged && (view.Phase != coordinator.PhaseFailed || !strings.Contains(view.Error, siteName(2)) || !strings.Contains(view.Error, "no longer decodes")):
			t.Errorf("a damaged stored reveal: phase %s (%s), want failed naming %s", view.Phase, view.Error, siteName(2))
		case !damaged && (view.Phase != coordinator.PhaseDone || view.Report == nil || len(view.Report.IDs) != 4):
			t.Errorf("stored reveals: phase %s (%s), want done over the 4 estimates", view.Phase, view.Error)
		}
	}
}
