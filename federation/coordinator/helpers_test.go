package coordinator_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net/http"
	"testing"
	"time"

	"github.com/nistgmm/nistgmm/federated/mixture"
	"github.com/nistgmm/nistgmm/federated/server"
	"github.com/nistgmm/nistgmm/federation/coordinator"
	"github.com/nistgmm/nistgmm/federation/pki"
	pb "github.com/nistgmm/nistgmm/federation/proto/v1"
	"github.com/nistgmm/nistgmm/federation/site"
	"github.com/prometheus/client_golang/prometheus"
	"gonum.org/v1/gonum/mat"
	"google.golang.org/grpc"
)

// fixture is a PKI with a coordinator certificate, an operator and sites.
type fixture struct {
	t     testing.TB
	pki   string
	state string
	addr  string
	// statusAddr is the status listener's address, when one was asked for.
	statusAddr string
	cancel     context.CancelFunc
	done       chan error
}

func newPKI(t *testing.T, sites int) string {
	t.Helper()
	dir := t.TempDir()
	now := time.Now()
	if err := pki.Init(dir, "", now); err != nil {
		t.Fatal(err)
	}
	if err := pki.Issue(dir, pki.IssueOptions{Name: "coordinator", Role: pki.RoleServer, Hosts: []string{"127.0.0.1"}}, now); err != nil {
		t.Fatal(err)
	}
	if err := pki.Issue(dir, pki.IssueOptions{Name: "operator", Role: pki.RoleOperator}, now); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < sites; i++ {
		if err := pki.Issue(dir, pki.IssueOptions{Name: siteName(i), Role: pki.RoleSite}, now); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func siteName(i int) string { return fmt.Sprintf("site-%02d", i) }

type serveOpt func(*coordinator.Options)

// start runs a coordinator in this process on a loopback port.
func start(t *testing.T, pkiDir, state string, opts ...serveOpt) *fixture {
	t.Helper()
	f := &fixture{t: t, pki: pkiDir, state: state, done: make(chan error, 1)}
	ready := make(chan struct{})
	o := coordinator.Options{PKI: pkiDir, Name: "coordinator", State: state, Listen: "127.0.0.1:0",
		Logf:  func(format string, args ...any) { t.Logf("coordinator: "+format, args...) },
		Ready: func(a, s string) { f.addr, f.statusAddr = a, s; close(ready) }}
	for _, opt := range opts {
		opt(&o)
	}
	ctx, cancel := context.WithCancel(context.Background())
	f.cancel = cancel
	go func() { f.done <- coordinator.ListenAndServe(ctx, o) }()
	select {
	case <-ready:
	case err := <-f.done:
		cancel()
		t.Fatalf("coordinator did not start: %v", err)
	case <-time.After(20 * time.Second):
		cancel()
		t.Fatal("coordinator did not start within 20s")
	}
	t.Cleanup(f.stop)
	return f
}

func (f *fixture) stop() {
	if f.cancel == nil {
		return
	}
	f.cancel()
	f.cancel = nil
	select {
	case <-f.done:
	case <-time.After(20 * time.Second):
		f.t.Error("coordinator did not stop within 20s")
	}
}

func withStatus(h func(c *coordinator.Coordinator, reg *prometheus.Registry) http.Handler) serveOpt {
	return func(o *coordinator.Options) { o.StatusListen = "127.0.0.1:0"; o.Status = h }
}

// client connects as name.
func (f *fixture) client(name string) pb.CoordinatorClient {
	f.t.Helper()
	conn, err := site.Dial(f.pki, name, f.addr, "coordinator", 0)
	if err != nil {
		f.t.Fatal(err)
	}
	f.t.Cleanup(func() { conn.Close() })
	return pb.NewCoordinatorClient(conn)
}

func (f *fixture) conn(name string) *grpc.ClientConn {
	f.t.Helper()
	conn, err := site.Dial(f.pki, name, f.addr, "coordinator", 0)
	if err != nil {
		f.t.Fatal(err)
	}
	f.t.Cleanup(func() { conn.Close() })
	return conn
}

func ctxT(t testing.TB, d time.Duration) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)
	return ctx
}

// open opens a round of K and d for quorum sites.
func open(t *testing.T, op pb.CoordinatorClient, k, d, quorum int, commitFor, revealFor time.Duration) *pb.RoundInfo {
	t.Helper()
	now := time.Now()
	info, err := op.OpenRound(ctxT(t, 10*time.Second), &pb.OpenRoundRequest{Config: &pb.RoundConfig{K: uint32(k), D: uint32(d), Quorum: uint32(quorum),
		CommitDeadlineUnixMs: now.Add(commitFor).UnixMilli(), RevealDeadlineUnixMs: now.Add(commitFor + revealFor).UnixMilli(), Seed: 1}})
	if err != nil {
		t.Fatal(err)
	}
	return info
}

// honestMixtures draws m estimates near one mixture of order k in
// dimension d: means scattered by noise, unit covariances scaled.
func honestMixtures(m, k, d int, seed uint64) []*mixture.Mixture {
	rng := rand.New(rand.NewPCG(seed, 3))
	centres := make([][]float64, k)
	for c := range centres {
		centres[c] = make([]float64, d)
		for j := range centres[c] {
			centres[c][j] = 10 * rng.NormFloat64()
		}
	}
	out := make([]*mixture.Mixture, m)
	for i := range out {
		mix := &mixture.Mixture{}
		for c := 0; c < k; c++ {
			mix.Weights = append(mix.Weights, 1/float64(k))
			mu := make([]float64, d)
			for j := range mu {
				mu[j] = centres[c][j] + 0.1*rng.NormFloat64()
			}
			mix.Means = append(mix.Means, mu)
			cov := mat.NewSymDense(d, nil)
			s := 1 + 0.05*rng.Float64()
			for j := 0; j < d; j++ {
				cov.SetSym(j, j, s)
			}
			mix.Covs = append(mix.Covs, cov)
		}
		out[i] = mix
	}
	return out
}

// fixed is an Estimator that hands over a given mixture.
func fixed(n int, m *mixture.Mixture) site.Estimator {
	return func(context.Context, *pb.RoundInfo, *server.Report) (int, *mixture.Mixture, error) {
		return n, m, nil
	}
}

func waitPhase(t *testing.T, c pb.CoordinatorClient, id uint64, want pb.Phase) *pb.RoundInfo {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		info, err := c.GetRound(ctxT(t, 10*time.Second), &pb.GetRoundRequest{RoundId: id})
		if err == nil && info.Phase >= want {
			return info
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("round %d did not reach phase %v within 60s", id, want)
	return nil
}
