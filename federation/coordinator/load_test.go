package coordinator_test

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nistgmm/nistgmm/federated/estimates"
	"github.com/nistgmm/nistgmm/federation"
	"github.com/nistgmm/nistgmm/federation/coordinator"
	"github.com/nistgmm/nistgmm/federation/pki"
	pb "github.com/nistgmm/nistgmm/federation/proto/v1"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// procStatus reads a field of a process's /proc/PID/status in bytes
// (Linux): VmHWM is the peak resident memory, RssAnon and RssFile the
// resident anonymous memory and mapped file pages now.
func procStatus(pid int, field string) int64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return -1
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, field+":"); ok {
			kb, _ := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			return kb << 10
		}
	}
	return -1
}

// rssPeaks are a process's peaks of memory, sampled: resident anonymous
// memory, mapped file pages, and the kernel's own peak of their sum
// (VmHWM, which only grows, so its last sample before the process ends).
type rssPeaks struct {
	mu              sync.Mutex
	anon, file, hwm int64
}

func (p *rssPeaks) get() (anon, file, hwm int64) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.anon, p.file, p.hwm
}

// watchRSS samples a process's memory every 20 ms until stop is closed.
// It is how the peak of 'nistgmm aggregate' is read: a child's ru_maxrss
// counts the parent's memory too, since Go starts processes by vfork,
// whose exec records the parent's peak as the child's.
func watchRSS(pid int, stop <-chan struct{}) *rssPeaks {
	p := &rssPeaks{}
	go func() {
		t := time.NewTicker(20 * time.Millisecond)
		defer t.Stop()
		for {
			a, f, h := procStatus(pid, "RssAnon"), procStatus(pid, "RssFile"), procStatus(pid, "VmHWM")
			p.mu.Lock()
			p.anon, p.file, p.hwm = max(p.anon, a), max(p.file, f), max(p.hwm, h)
			p.mu.Unlock()
			select {
			case <-stop:
				return
			case <-t.C:
			}
		}
	}()
	return p
}

// BenchmarkFederationLoad runs one round of many sites against the
// coordinator as a process, every site with its own certificate and
// connection, and compares the time from the last reveal to the published
// result with 'nistgmm aggregate' on the same estimates file:
//
//	go test -run '^$' -bench FederationLoad -benchtime 1x ./federation/coordinator
//
// Each is preceded by a round of as many sites with estimates of K = 2 in
// d = 2 (a few kilobytes in all), whose coordinator peak is the constant of
// the memory target: "memory/target" is the coordinator's peak over twice
// the estimates' size plus that constant (at most 1 meets the target).
func BenchmarkFederationLoad(b *testing.B) {
	for _, c := range []struct{ m, k, d int }{{1000, 5, 10}, {200, 10, 50}} {
		b.Run(fmt.Sprintf("sites=%d,K=%d,d=%d", c.m, c.k, c.d), func(b *testing.B) {
			for range b.N {
				constant, _ := loadRound(b, c.m, 2, 2, false)
				peak, estimates := loadRound(b, c.m, c.k, c.d, true)
				b.ReportMetric(float64(constant)/(1<<20), "MB-constant")
				b.ReportMetric(float64(peak)/float64(2*estimates+constant), "memory/target")
			}
		})
	}
}

// loadRound runs one round and returns the coordinator's peak resident
// memory and the estimates' size (float64s), both in bytes; with report,
// it reports its measures as the benchmark's metrics.
func loadRound(b *testing.B, m, k, d int, report bool) (peak, estimateBytes int64) {
	b.StopTimer()
	bin := nistgmmBinary(b)
	dir := b.TempDir()
	pkiDir := filepath.Join(dir, "pki")
	now := time.Now()
	must := func(err error) {
		if err != nil {
			b.Fatal(err)
		}
	}
	must(pki.Init(pkiDir, "", now))
	must(pki.Issue(pkiDir, pki.IssueOptions{Name: "coordinator", Role: pki.RoleServer, Hosts: []string{"127.0.0.1"}}, now))
	must(pki.Issue(pkiDir, pki.IssueOptions{Name: "operator", Role: pki.RoleOperator}, now))
	for i := 0; i < m; i++ {
		must(pki.Issue(pkiDir, pki.IssueOptions{Name: fmt.Sprintf("site-%04d", i), Role: pki.RoleSite}, now))
	}
	mixes := honestMixtures(m, k, d, 21)
	ests := make([]estimates.Estimate, m)
	for i := range ests {
		ests[i] = estimates.Estimate{ID: fmt.Sprintf("site-%04d", i), N: 500, Mixture: mixes[i]}
	}
	doc, err := federation.EstimatesDocument(ests)
	must(err)
	estFile := filepath.Join(dir, "est.json")
	must(os.WriteFile(estFile, doc, 0o644))
	floatBytes := int64(m) * int64(k+k*d+k*d*d) * 8

	addr := freePort(b)
	cmd := exec.Command(bin, "serve", "--pki", pkiDir, "--name", "coordinator", "--state", filepath.Join(dir, "state"), "--listen", addr, "--status-listen", "")
	logFile, err := os.Create(filepath.Join(dir, "coordinator.log"))
	must(err)
	defer logFile.Close()
	cmd.Stderr = logFile
	out, err := cmd.StdoutPipe()
	must(err)
	must(cmd.Start())
	defer func() { cmd.Process.Kill(); cmd.Wait() }()
	buf := make([]byte, 256)
	if _, err := out.Read(buf); err != nil || !strings.HasPrefix(string(buf), "listening") {
		b.Fatalf("the coordinator did not start: %v %q", err, buf)
	}
	f := &fixture{t: b, pki: pkiDir, addr: addr}
	op := f.client("operator")
	ctx := ctxT(b, 20*time.Minute)
	info, err := op.OpenRound(ctx, &pb.OpenRoundRequest{Config: &pb.RoundConfig{K: uint32(k), D: uint32(d), Quorum: uint32(m),
		CommitDeadlineUnixMs: time.Now().Add(15 * time.Minute).UnixMilli(), RevealDeadlineUnixMs: time.Now().Add(30 * time.Minute).UnixMilli(), Seed: 1}})
	must(err)
	id := info.RoundId
	clients := make([]pb.CoordinatorClient, m)
	subs := make([]sub, m)
	for i := range clients {
		clients[i] = f.client(fmt.Sprintf("site-%04d", i))
		subs[i].est, _ = federation.MarshalEstimate("", id, 500, mixes[i])
		subs[i].nonce, _ = federation.NewNonce()
	}
	// parallel runs fn for every site on 64 workers.
	parallel := func(fn func(i int) error) time.Duration {
		start := time.Now()
		work := make(chan int)
		var wg sync.WaitGroup
		var once sync.Once
		var first error
		for range 64 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := range work {
					if err := fn(i); err != nil {
						once.Do(func() { first = err })
					}
				}
			}()
		}
		for i := 0; i < m; i++ {
			work <- i
		}
		close(work)
		wg.Wait()
		must(first)
		return time.Since(start)
	}
	// Connect first (handshakes are not submissions).
	parallel(func(i int) error {
		_, err := clients[i].GetRound(ctx, &pb.GetRoundRequest{RoundId: id})
		return err
	})
	stopWatch := make(chan struct{})
	coordPeaks := watchRSS(cmd.Process.Pid, stopWatch)
	b.StartTimer()
	commitTime := parallel(func(i int) error {
		_, err := clients[i].Commit(ctx, &pb.CommitRequest{RoundId: id, Commitment: federation.Commitment(subs[i].nonce, subs[i].est)})
		return err
	})
	for {
		got, err := op.GetRound(ctx, &pb.GetRoundRequest{RoundId: id})
		must(err)
		if got.Phase == pb.Phase_PHASE_REVEAL {
			break
		}
		time.Sleep(5 * time.Millisecond)
	}
	var lastMu sync.Mutex
	var last time.Time
	revealTime := parallel(func(i int) error {
		_, err := clients[i].Reveal(ctx, &pb.RevealRequest{RoundId: id, Estimate: subs[i].est, Nonce: subs[i].nonce})
		lastMu.Lock()
		if t := time.Now(); t.After(last) {
			last = t
		}
		lastMu.Unlock()
		return err
	})
	// The result is asked for every 5 ms; GetResult, whose refusal is a
	// line, rather than GetRound, which lists every site's standing and at
	// 1,000 sites took CPU from the aggregation it was measuring.
	var published time.Time
	var res *pb.GetResultResponse
	for {
		res, err = op.GetResult(ctx, &pb.GetResultRequest{RoundId: id})
		if err == nil {
			published = time.Now()
			break
		}
		if status.Code(err) != codes.FailedPrecondition || strings.Contains(err.Error(), coordinator.PhaseFailed) {
			b.Fatalf("the round has no result: %v", err)
		}
		time.Sleep(5 * time.Millisecond)
	}
	b.StopTimer()
	close(stopWatch)
	peak = procStatus(cmd.Process.Pid, "VmHWM")
	latency := published.Sub(last)
	if !report {
		return peak, floatBytes
	}

	aggFile := filepath.Join(dir, "agg.json")
	agg := exec.Command(bin, "aggregate", "--estimates", estFile, "--seed", "1", "--out", aggFile)
	var aggOut strings.Builder
	agg.Stdout, agg.Stderr = &aggOut, &aggOut
	start := time.Now()
	must(agg.Start())
	stopAgg := make(chan struct{})
	aggPeaks := watchRSS(agg.Process.Pid, stopAgg)
	if err := agg.Wait(); err != nil {
		b.Fatalf("aggregate: %v\n%s", err, aggOut.String())
	}
	aggSecs := time.Since(start).Seconds()
	close(stopAgg)
	local, err := os.ReadFile(aggFile)
	must(err)
	if !bytes.Equal(local, res.ReportJson) {
		b.Errorf("the round's result differs from aggregate's on the same estimates")
	}

	// The coordinator's own measure of the aggregation, from its log.
	logged, err := os.ReadFile(logFile.Name())
	must(err)
	if _, after, ok := strings.Cut(string(logged), fmt.Sprintf("aggregated %d estimates in ", m)); ok {
		if secs, err := strconv.ParseFloat(strings.TrimSuffix(strings.Fields(after)[0], "s"), 64); err == nil {
			b.ReportMetric(secs, "s-aggregation-in-coordinator")
		}
	}
	b.ReportMetric(latency.Seconds(), "s-last-reveal-to-result")
	b.ReportMetric(aggSecs, "s-aggregate-cmd")
	b.ReportMetric(latency.Seconds()/aggSecs, "latency/aggregate")
	b.ReportMetric(float64(m)/commitTime.Seconds(), "commits/s")
	b.ReportMetric(float64(m)/revealTime.Seconds(), "reveals/s")
	b.ReportMetric(float64(peak)/(1<<20), "MB-coordinator-peak")
	anon, file, _ := coordPeaks.get()
	b.ReportMetric(float64(anon)/(1<<20), "MB-coordinator-peak-anon")
	b.ReportMetric(float64(file)/(1<<20), "MB-coordinator-peak-file")
	anon, _, aggPeak := aggPeaks.get()
	b.ReportMetric(float64(aggPeak)/(1<<20), "MB-aggregate-peak")
	b.ReportMetric(float64(anon)/(1<<20), "MB-aggregate-peak-anon")
	b.ReportMetric(float64(floatBytes)/(1<<20), "MB-estimates")
	b.ReportMetric(float64(len(doc))/(1<<20), "MB-estimates-json")
	return peak, floatBytes
}
