package pki

import (
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"os"
	"slices"
	"sync"
	"time"
)

func x509SHA1(der []byte) [20]byte {
	s := sha256.Sum256(der)
	var out [20]byte
	copy(out[:], s[:20])
	return out
}

// Revocations answers whether a serial number is revoked, reading the
// directory's CRL again whenever the file changes, so that 'ca revoke'
// takes effect at the next handshake without a restart.
type Revocations struct {
	path string
	ca   *x509.Certificate

	mu      sync.Mutex
	modTime time.Time
	size    int64
	revoked map[string]bool
	loadErr error
}

// NewRevocations reads the CRL of dir, checked against the authority ca.
func NewRevocations(dir string, ca *x509.Certificate) (*Revocations, error) {
	r := &Revocations{path: CRLPath(dir), ca: ca}
	if err := r.refresh(); err != nil {
		return nil, err
	}
	return r, nil
}

func (r *Revocations) refresh() error {
	st, err := os.Stat(r.path)
	if err != nil {
		return fmt.Errorf("pki: revocation list: %w", err)
	}
	if r.revoked != nil && st.ModTime().Equal(r.modTime) && st.Size() == r.size {
		return r.loadErr
	}
	b, err := os.ReadFile(r.path)
	if err != nil {
		return fmt.Errorf("pki: revocation list: %w", err)
	}
	blk, _ := pem.Decode(b)
	if blk == nil || blk.Type != "X509 CRL" {
		return fmt.Errorf("pki: %s is not a PEM revocation list", r.path)
	}
	crl, err := x509.ParseRevocationList(blk.Bytes)
	if err != nil {
		return fmt.Errorf("pki: %s: %w", r.path, err)
	}
	if err := crl.CheckSignatureFrom(r.ca); err != nil {
		return fmt.Errorf("pki: %s is not signed by the federation's authority: %w", r.path, err)
	}
	rev := map[string]bool{}
	for _, e := range crl.RevokedCertificateEntries {
		rev[e.SerialNumber.String()] = true
	}
	r.revoked, r.modTime, r.size, r.loadErr = rev, st.ModTime(), st.Size(), nil
	return nil
}

// Revoked reports whether serial is on the list. A list that cannot be
// read counts every certificate as revoked (fail closed).
func (r *Revocations) Revoked(serial *big.Int) (bool, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if err := r.refresh(); err != nil {
		return true, err
	}
	return r.revoked[serial.String()], nil
}

// ErrRevoked is the handshake's error for a revoked certificate.
var ErrRevoked = errors.New("certificate revoked")

// ServerConfig is the coordinator's TLS configuration: TLS 1.3 only, a
// client certificate of the federation's CA required and verified, and
// revoked certificates refused during the handshake.
func ServerConfig(dir, name string) (*tls.Config, error) {
	ca, err := ReadCert(CAPath(dir))
	if err != nil {
		return nil, fmt.Errorf("pki: %w", err)
	}
	cert, err := tls.LoadX509KeyPair(CertPath(dir, name), KeyPath(dir, name))
	if err != nil {
		return nil, fmt.Errorf("pki: the coordinator's certificate %q: %w (issue it with 'nistgmm ca issue --server --name %s')", name, err, name)
	}
	rev, err := NewRevocations(dir, ca)
	if err != nil {
		return nil, err
	}
	pool := x509.NewCertPool()
	pool.AddCert(ca)
	return &tls.Config{
		MinVersion:       tls.VersionTLS13,
		Certificates:     []tls.Certificate{cert},
		ClientAuth:       tls.RequireAndVerifyClientCert,
		ClientCAs:        pool,
		VerifyConnection: VerifyPeer(rev, RoleSite, RoleOperator),
	}, nil
}

// VerifyPeer checks, after the chain is verified, that the peer's
// certificate is not revoked, has a name, and has one of the roles.
func VerifyPeer(rev *Revocations, roles ...Role) func(tls.ConnectionState) error {
	return func(cs tls.ConnectionState) error {
		if len(cs.VerifiedChains) == 0 || len(cs.VerifiedChains[0]) == 0 {
			return errors.New("no verified certificate")
		}
		leaf := cs.VerifiedChains[0][0]
		revoked, err := rev.Revoked(leaf.SerialNumber)
		if err != nil {
			return err
		}
		if revoked {
			return fmt.Errorf("%w: %q (serial %s)", ErrRevoked, leaf.Subject.CommonName, leaf.SerialNumber)
		}
		if CheckName(leaf.Subject.CommonName) != nil {
			return fmt.Errorf("certificate name %q is not a site id", leaf.Subject.CommonName)
		}
		if !slices.Contains(roles, RoleOf(leaf)) {
			return fmt.Errorf("certificate %q has role %q, want one of %v", leaf.Subject.CommonName, RoleOf(leaf), roles)
		}
		return nil
	}
}

// RoleOf is the role the authority wrote in a certificate.
func RoleOf(c *x509.Certificate) Role {
	if len(c.Subject.OrganizationalUnit) == 1 {
		return Role(c.Subject.OrganizationalUnit[0])
	}
	return ""
}

// ClientConfig is a site's (or operator's) TLS configuration: its own
// certificate, the federation's CA as the only root, TLS 1.3.
// serverName is the name in the coordinator's certificate.
func ClientConfig(dir, name, serverName string) (*tls.Config, error) {
	ca, err := ReadCert(CAPath(dir))
	if err != nil {
		return nil, fmt.Errorf("pki: %w", err)
	}
	cert, err := tls.LoadX509KeyPair(CertPath(dir, name), KeyPath(dir, name))
	if err != nil {
		return nil, fmt.Errorf("pki: certificate %q: %w (issue it with 'nistgmm ca issue --name %s')", name, err, name)
	}
	pool := x509.NewCertPool()
	pool.AddCert(ca)
	return &tls.Config{
		MinVersion:   tls.VersionTLS13,
		Certificates: []tls.Certificate{cert},
		RootCAs:      pool,
		ServerName:   serverName,
	}, nil
}
