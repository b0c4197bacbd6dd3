package main

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"time"

	"github.com/nistgmm/nistgmm/federation/coordinator"
	"github.com/nistgmm/nistgmm/federation/status"
	"github.com/prometheus/client_golang/prometheus"
)

func cmdServe(ctx context.Context, args []string) error {
	fs := newFlagSet("serve", "--pki PKI --state DIR --listen ADDR [--status-listen ADDR] [flags]")
	pkiDir := fs.String("pki", "", "the federation's PKI directory (ca.pem, crl.pem and this coordinator's NAME.pem, NAME-key.pem)")
	name := fs.String("name", "localhost", "the coordinator's certificate name (as given to 'ca issue --server --name')")
	state := fs.String("state", "", "state directory: the store federation.db (one coordinator at a time)")
	listen := fs.String("listen", "127.0.0.1:7443", "gRPC address (API v1, TLS 1.3, client certificates required)")
	statusListen := fs.String("status-listen", "127.0.0.1:7480", "address of the status page (/status) and metrics (/metrics), plain HTTP; \"\" for none")
	maxMessage := fs.Int("max-message", coordinator.DefaultMaxMessage, "largest request in bytes, refused from its length before it is read")
	hold := fs.Duration("hold-aggregation", 0, "wait this long before aggregating a round (fault drills: a window to stop the coordinator in)")
	var sf serverFlags
	sf.register(fs)
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if err := required(fs, "pki", "state", "listen"); err != nil {
		return err
	}
	if *maxMessage < 1<<10 {
		return fmt.Errorf("--max-message %d: want at least 1024", *maxMessage)
	}
	srv, err := sf.server()
	if err != nil {
		return err
	}
	srv.Trim = 0.5
	collectOften()
	logf := func(format string, a ...any) {
		fmt.Fprintf(os.Stderr, "%s %s\n", time.Now().UTC().Format("2006-01-02T15:04:05.000Z"), fmt.Sprintf(format, a...))
	}
	return coordinator.ListenAndServe(ctx, coordinator.Options{
		PKI: *pkiDir, Name: *name, State: *state, Listen: *listen, StatusListen: *statusListen,
		MaxMessage: *maxMessage, Server: srv, HoldAggregation: *hold, Logf: logf,
		Status: func(c *coordinator.Coordinator, reg *prometheus.Registry) http.Handler { return status.Handler(c, reg) },
		Ready: func(a, s string) {
			fmt.Printf("listening %s\n", a)
			if s != "" {
				fmt.Printf("status http://%s/status\n", s)
			}
		},
	})
}
