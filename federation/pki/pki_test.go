package pki

import (
	"crypto/tls"
	"errors"
	"net"
	"os"
	"strings"
	"testing"
	"time"
)

func TestIssueRevokeFiles(t *testing.T) {
	dir := t.TempDir()
	now := time.Now()
	if err := Init(dir, "", now); err != nil {
		t.Fatal(err)
	}
	if err := Init(dir, "", now); err == nil {
		t.Fatal("a second init over an existing authority succeeded")
	}
	if err := Issue(dir, IssueOptions{Name: "site-a", Role: RoleSite}, now); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{caKeyPath(dir), KeyPath(dir, "site-a")} {
		st, err := os.Stat(p)
		if err != nil {
			t.Fatal(err)
		}
		if st.Mode().Perm() != 0o600 {
			t.Errorf("%s has mode %v, want 0600", p, st.Mode().Perm())
		}
	}
	err := Issue(dir, IssueOptions{Name: "site-a", Role: RoleSite}, now)
	if !errors.Is(err, ErrExists) {
		t.Fatalf("a second live certificate under one name: %v, want ErrExists", err)
	}
	if err := Issue(dir, IssueOptions{Name: "../x", Role: RoleSite}, now); err == nil {
		t.Fatal("a name with a path in it was accepted")
	}
	c, err := ReadCert(CertPath(dir, "site-a"))
	if err != nil {
		t.Fatal(err)
	}
	if c.Subject.CommonName != "site-a" || RoleOf(c) != RoleSite {
		t.Fatalf("certificate names %q role %q", c.Subject.CommonName, RoleOf(c))
	}
	ca, _ := ReadCert(CAPath(dir))
	rev, err := NewRevocations(dir, ca)
	if err != nil {
		t.Fatal(err)
	}
	if r, _ := rev.Revoked(c.SerialNumber); r {
		t.Fatal("a fresh certificate is revoked")
	}
	if err := Revoke(dir, "site-a", now); err != nil {
		t.Fatal(err)
	}
	// The CRL file changed: the same Revocations sees it.
	future := time.Now().Add(time.Second)
	_ = os.Chtimes(CRLPath(dir), future, future)
	if r, _ := rev.Revoked(c.SerialNumber); !r {
		t.Fatal("a revoked certificate is not on the list")
	}
	// After revocation the name can be issued again.
	if err := Issue(dir, IssueOptions{Name: "site-a", Role: RoleSite}, now); err != nil {
		t.Fatal(err)
	}
}

// handshake runs one TLS handshake between a server of ServerConfig and a
// client of cfg, returning the server's error.
func handshake(t *testing.T, srv, cli *tls.Config) error {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	b, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	a, err := ln.Accept()
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	done := make(chan error, 1)
	go func() {
		c := tls.Client(b, cli)
		c.SetDeadline(time.Now().Add(10 * time.Second))
		err := c.Handshake()
		if err == nil {
			// TLS 1.3: the client learns of a refusal on its first read.
			_, err = c.Read(make([]byte, 1))
		}
		done <- err
	}()
	s := tls.Server(a, srv)
	s.SetDeadline(time.Now().Add(10 * time.Second))
	err = s.Handshake()
	if err == nil {
		s.Write([]byte{1})
	}
	s.Close()
	<-done
	return err
}

func TestHandshakeRefusals(t *testing.T) {
	dir, other := t.TempDir(), t.TempDir()
	now := time.Now()
	for _, d := range []string{dir, other} {
		if err := Init(d, "", now); err != nil {
			t.Fatal(err)
		}
	}
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(Issue(dir, IssueOptions{Name: "coord", Role: RoleServer, Hosts: []string{"127.0.0.1"}}, now))
	must(Issue(dir, IssueOptions{Name: "good", Role: RoleSite}, now))
	must(Issue(dir, IssueOptions{Name: "gone", Role: RoleSite}, now))
	must(Issue(dir, IssueOptions{Name: "old", Role: RoleSite, NotBefore: now.Add(-48 * time.Hour), NotAfter: now.Add(-time.Hour)}, now))
	must(Issue(other, IssueOptions{Name: "stranger", Role: RoleSite}, now))
	must(Revoke(dir, "gone", now))
	srv, err := ServerConfig(dir, "coord")
	must(err)
	client := func(d, name string) *tls.Config {
		c, err := ClientConfig(dir, "good", "127.0.0.1")
		must(err)
		if name != "" {
			// The client trusts the right CA but presents the named certificate.
			cert, err := tls.LoadX509KeyPair(CertPath(d, name), KeyPath(d, name))
			must(err)
			c.Certificates = []tls.Certificate{cert}
		} else {
			c.Certificates = nil
		}
		return c
	}
	if err := handshake(t, srv, client(dir, "good")); err != nil {
		t.Fatalf("a good certificate was refused: %v", err)
	}
	cases := []struct{ what, dir, name, want string }{
		{"no certificate", dir, "", "didn't provide a certificate"},
		{"unknown CA", other, "stranger", "unknown authority"},
		{"expired", dir, "old", "expired"},
		{"revoked", dir, "gone", "revoked"},
	}
	for _, c := range cases {
		err := handshake(t, srv, client(c.dir, c.name))
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: handshake error %v, want one saying %q", c.what, err, c.want)
		}
	}
	// TLS 1.2 is refused.
	old := client(dir, "good")
	old.MinVersion, old.MaxVersion = tls.VersionTLS12, tls.VersionTLS12
	err = handshake(t, srv, old)
	if err == nil {
		t.Error("a TLS 1.2 client completed the handshake")
	}
}
