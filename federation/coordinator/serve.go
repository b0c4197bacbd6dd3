package coordinator

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"time"

	"github.com/nistgmm/nistgmm/federated/server"
	"github.com/nistgmm/nistgmm/federation/pki"
	pb "github.com/nistgmm/nistgmm/federation/proto/v1"
	"github.com/nistgmm/nistgmm/federation/store"
	"github.com/prometheus/client_golang/prometheus"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/keepalive"
)

// DefaultMaxMessage is the largest request the coordinator reads: an
// estimate of K = 10 in dimension 500 is 20 MB of covariances.
const DefaultMaxMessage = 32 << 20

// Options are the settings of a running coordinator.
type Options struct {
	PKI    string // the federation's PKI directory (ca.pem, crl.pem, NAME.pem, NAME-key.pem)
	Name   string // the coordinator's certificate name
	State  string // state directory
	Listen string // gRPC address
	// StatusListen serves /status and /metrics over plain HTTP ("" for none).
	StatusListen string
	// MaxMessage bounds a request's size, checked from its length prefix
	// before the body is read; 0 means DefaultMaxMessage.
	MaxMessage int
	// HandshakeTimeout bounds a connection's TLS handshake; 0 means 10s.
	HandshakeTimeout time.Duration
	// LockTimeout is how long to wait for another coordinator's lock on
	// the state directory; 0 means 1s.
	LockTimeout     time.Duration
	Server          *server.Server
	HoldAggregation time.Duration
	Logf            func(format string, args ...any)
	// Status builds the status page's handler from the coordinator and
	// the metrics' registry (nil: /metrics only).
	Status func(c *Coordinator, reg *prometheus.Registry) http.Handler
	// Ready is called with the bound addresses once both listen.
	Ready func(grpcAddr, statusAddr string)
}

// ListenAndServe opens the state, listens and serves until ctx ends.
func ListenAndServe(ctx context.Context, o Options) error {
	if o.MaxMessage == 0 {
		o.MaxMessage = DefaultMaxMessage
	}
	if o.HandshakeTimeout == 0 {
		o.HandshakeTimeout = 10 * time.Second
	}
	if o.LockTimeout == 0 {
		o.LockTimeout = time.Second
	}
	if o.Logf == nil {
		o.Logf = func(string, ...any) {}
	}
	tlsCfg, err := pki.ServerConfig(o.PKI, o.Name)
	if err != nil {
		return err
	}
	st, err := store.Open(o.State, o.LockTimeout)
	if err != nil {
		return err
	}
	defer st.Close()
	reg := prometheus.NewRegistry()
	metrics := NewMetrics(reg)
	c, err := New(Config{Store: st, Server: o.Server, HoldAggregation: o.HoldAggregation, Logf: o.Logf, Metrics: metrics})
	if err != nil {
		return err
	}
	lis, err := net.Listen("tcp", o.Listen)
	if err != nil {
		return fmt.Errorf("--listen: %w", err)
	}
	gs := grpc.NewServer(
		grpc.Creds(credentials.NewTLS(tlsCfg)),
		grpc.MaxRecvMsgSize(o.MaxMessage),
		grpc.ConnectionTimeout(o.HandshakeTimeout),
		grpc.MaxConcurrentStreams(64),
		// TLS holds a whole record decrypted already: a read buffer of
		// 32 KB per connection on top of it is a copy (32 MB for 1,000 sites).
		grpc.ReadBufferSize(0),
		grpc.KeepaliveParams(keepalive.ServerParameters{MaxConnectionIdle: 5 * time.Minute, Time: time.Minute, Timeout: 20 * time.Second}),
		grpc.KeepaliveEnforcementPolicy(keepalive.EnforcementPolicy{MinTime: 10 * time.Second, PermitWithoutStream: true}),
	)
	pb.RegisterCoordinatorServer(gs, c)
	var hs *http.Server
	statusAddr := ""
	if o.StatusListen != "" {
		slis, err := net.Listen("tcp", o.StatusListen)
		if err != nil {
			lis.Close()
			return fmt.Errorf("--status-listen: %w", err)
		}
		statusAddr = slis.Addr().String()
		var h http.Handler
		if o.Status != nil {
			h = o.Status(c, reg)
		}
		if h == nil {
			h = MetricsOnly(reg)
		}
		hs = &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
		go func() {
			if err := hs.Serve(slis); err != nil && !errors.Is(err, http.ErrServerClosed) {
				o.Logf("status: %v", err)
			}
		}()
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	runErr := make(chan error, 1)
	go func() { runErr <- c.Run(ctx) }()
	serveErr := make(chan error, 1)
	go func() { serveErr <- gs.Serve(lis) }()
	o.Logf("coordinator on %s (API v1, TLS 1.3 mutual), state %s%s", lis.Addr(), st.Path(), prefixed(", status on http://", statusAddr+"/status"))
	if o.Ready != nil {
		o.Ready(lis.Addr().String(), statusAddr)
	}
	var err2 error
	select {
	case <-ctx.Done():
	case err2 = <-serveErr:
	}
	cancel()
	stopped := make(chan struct{})
	go func() { gs.GracefulStop(); close(stopped) }()
	select {
	case <-stopped:
	case <-time.After(5 * time.Second):
		gs.Stop()
	}
	if hs != nil {
		sctx, scancel := context.WithTimeout(context.Background(), 2*time.Second)
		hs.Shutdown(sctx)
		scancel()
	}
	<-runErr
	return err2
}
