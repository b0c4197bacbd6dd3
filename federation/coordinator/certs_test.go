package coordinator_test

import (
	"crypto/tls"
	"os"
	"testing"
	"time"

	"github.com/nistgmm/nistgmm/federation/pki"
	pb "github.com/nistgmm/nistgmm/federation/proto/v1"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/status"
)

// TestCertificatesRefusedOverGRPC: through the coordinator's gRPC port, a
// caller with no certificate, one of another authority, an expired one or
// a revoked one gets no answer; revocation takes effect without a restart.
func TestCertificatesRefusedOverGRPC(t *testing.T) {
	p := newPKI(t, 3)
	other := t.TempDir()
	now := time.Now()
	if err := pki.Init(other, "", now); err != nil {
		t.Fatal(err)
	}
	if err := pki.Issue(other, pki.IssueOptions{Name: "site-00", Role: pki.RoleSite}, now); err != nil {
		t.Fatal(err)
	}
	if err := pki.Issue(p, pki.IssueOptions{Name: "old", Role: pki.RoleSite, NotBefore: now.Add(-48 * time.Hour), NotAfter: now.Add(-time.Hour)}, now); err != nil {
		t.Fatal(err)
	}
	f := start(t, p, t.TempDir())
	call := func(dir, name string) error {
		cfg, err := pki.ClientConfig(p, "site-00", "coordinator")
		if err != nil {
			t.Fatal(err)
		}
		cfg.Certificates = nil
		if name != "" {
			cert, err := tls.LoadX509KeyPair(pki.CertPath(dir, name), pki.KeyPath(dir, name))
			if err != nil {
				t.Fatal(err)
			}
			cfg.Certificates = []tls.Certificate{cert}
		}
		conn, err := grpc.NewClient(f.addr, grpc.WithTransportCredentials(credentials.NewTLS(cfg)))
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		_, err = pb.NewCoordinatorClient(conn).GetRound(ctxT(t, 10*time.Second), &pb.GetRoundRequest{})
		return err
	}
	if err := call(p, "site-01"); status.Code(err) != codes.NotFound { // no round yet: the call got through
		t.Fatalf("a good certificate: %v, want NotFound (no round)", err)
	}
	for _, c := range []struct{ what, dir, name string }{
		{"no certificate", p, ""},
		{"another authority's certificate under a known name", other, "site-00"},
		{"an expired certificate", p, "old"},
	} {
		if err := call(c.dir, c.name); status.Code(err) != codes.Unavailable {
			t.Errorf("%s: %v, want the connection refused (Unavailable)", c.what, err)
		}
	}
	if err := pki.Revoke(p, "site-01", time.Now()); err != nil {
		t.Fatal(err)
	}
	later := time.Now().Add(2 * time.Second)
	if err := osChtimes(pki.CRLPath(p), later); err != nil {
		t.Fatal(err)
	}
	if err := call(p, "site-01"); status.Code(err) != codes.Unavailable {
		t.Fatalf("a certificate revoked while the coordinator runs: %v, want refused", err)
	}
}

func osChtimes(path string, t time.Time) error { return os.Chtimes(path, t, t) }
