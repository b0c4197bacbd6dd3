// Package pki is the federation's certificate authority: one ECDSA P-256
// CA per federation, a certificate per site (and per operator), one for the
// coordinator, and a revocation list, all as PEM files in one directory.
//
// Layout of a PKI directory:
//
//	ca.pem, ca-key.pem       the authority (the key never leaves this directory)
//	NAME.pem, NAME-key.pem   a site's, operator's or coordinator's certificate and key
//	crl.pem                  the authority's signed list of revoked certificates
//	index.json               every certificate issued: name, serial, role, revoked
//
// A site's id in the federation is its certificate's CommonName. The
// authority refuses to issue a second live certificate under one name, so
// that two sites can never submit under one id.
package pki

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"time"
)

// Role says what a certificate lets its holder do.
type Role string

const (
	// RoleSite submits estimates under its CommonName.
	RoleSite Role = "site"
	// RoleOperator opens rounds, reads estimates and takes backups.
	RoleOperator Role = "operator"
	// RoleServer is the coordinator's certificate.
	RoleServer Role = "server"
)

// Default validities.
const (
	CAValidity   = 10 * 365 * 24 * time.Hour
	CertValidity = 2 * 365 * 24 * time.Hour
)

// Entry is one issued certificate in the index.
type Entry struct {
	Name      string    `json:"name"`
	Serial    string    `json:"serial"` // decimal
	Role      Role      `json:"role"`
	NotAfter  time.Time `json:"not_after"`
	Revoked   bool      `json:"revoked"`
	RevokedAt time.Time `json:"revoked_at,omitzero"`
}

// Index lists every certificate the authority issued.
type Index struct {
	Entries []Entry `json:"entries"`
}

// ErrExists is returned when a name already has a live certificate.
var ErrExists = errors.New("already has a certificate that is not revoked")

var nameRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$`)

// CheckName reports whether name can be a certificate's name (and so a
// file name and a site id): letters, digits, '.', '_' and '-', at most 63.
func CheckName(name string) error {
	if !nameRE.MatchString(name) || name == "ca" || name == "crl" || name == "index" {
		return fmt.Errorf("name %q: want 1 to 63 letters, digits, '.', '_' or '-', starting with a letter or digit, and not ca, crl or index", name)
	}
	return nil
}

// Paths of a PKI directory's files.
func CAPath(dir string) string         { return filepath.Join(dir, "ca.pem") }
func caKeyPath(dir string) string      { return filepath.Join(dir, "ca-key.pem") }
func CRLPath(dir string) string        { return filepath.Join(dir, "crl.pem") }
func CertPath(dir, name string) string { return filepath.Join(dir, name+".pem") }
func KeyPath(dir, name string) string  { return filepath.Join(dir, name+"-key.pem") }
func indexPath(dir string) string      { return filepath.Join(dir, "index.json") }
func pemBlock(typ string, der []byte) []byte {
	return pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der})
}

// Init creates the authority in dir (made 0700 if missing). It refuses to
// overwrite an existing authority.
func Init(dir, commonName string, now time.Time) error {
	if commonName == "" {
		commonName = "nistgmm federation CA"
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("pki: %w", err)
	}
	if _, err := os.Stat(CAPath(dir)); err == nil {
		return fmt.Errorf("pki: %s already holds an authority (%s); use another directory", dir, CAPath(dir))
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return fmt.Errorf("pki: generating the CA key: %w", err)
	}
	serial, err := newSerial()
	if err != nil {
		return err
	}
	skid, err := keyID(&key.PublicKey)
	if err != nil {
		return err
	}
	tmpl := &x509.Certificate{
		SerialNumber:          serial,
		Subject:               pkix.Name{CommonName: commonName, Organization: []string{"nistgmm federation"}},
		NotBefore:             now.Add(-5 * time.Minute),
		NotAfter:              now.Add(CAValidity),
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign | x509.KeyUsageDigitalSignature,
		BasicConstraintsValid: true,
		IsCA:                  true,
		MaxPathLenZero:        true,
		SubjectKeyId:          skid,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return fmt.Errorf("pki: signing the CA certificate: %w", err)
	}
	if err := writeKey(caKeyPath(dir), key); err != nil {
		return err
	}
	if err := writeFile(CAPath(dir), pemBlock("CERTIFICATE", der), 0o644); err != nil {
		return err
	}
	if err := saveIndex(dir, &Index{Entries: []Entry{}}); err != nil {
		return err
	}
	ca, err := x509.ParseCertificate(der)
	if err != nil {
		return fmt.Errorf("pki: %w", err)
	}
	return writeCRL(dir, ca, key, nil, now)
}

// IssueOptions are the choices of one certificate.
type IssueOptions struct {
	Name string
	Role Role
	// Hosts are the coordinator's DNS names and IP addresses (RoleServer);
	// Name is always among them.
	Hosts []string
	// NotBefore and NotAfter bound the validity; zero means now - 5 minutes
	// and now + CertValidity.
	NotBefore, NotAfter time.Time
}

// Issue signs a certificate and key for opt.Name and writes them as
// NAME.pem and NAME-key.pem (0600). A name with a live certificate is
// refused with ErrExists: revoke it first.
func Issue(dir string, opt IssueOptions, now time.Time) error {
	if err := CheckName(opt.Name); err != nil {
		return fmt.Errorf("pki: %w", err)
	}
	switch opt.Role {
	case RoleSite, RoleOperator, RoleServer:
	default:
		return fmt.Errorf("pki: role %q: want site, operator or server", opt.Role)
	}
	ca, caKey, err := loadCA(dir)
	if err != nil {
		return err
	}
	idx, err := loadIndex(dir)
	if err != nil {
		return err
	}
	for _, e := range idx.Entries {
		if e.Name == opt.Name && !e.Revoked {
			return fmt.Errorf("pki: %q %w (serial %s); revoke it with 'nistgmm ca revoke --name %s' before issuing another", opt.Name, ErrExists, e.Serial, opt.Name)
		}
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return fmt.Errorf("pki: generating a key: %w", err)
	}
	serial, err := newSerial()
	if err != nil {
		return err
	}
	skid, err := keyID(&key.PublicKey)
	if err != nil {
		return err
	}
	nb, na := opt.NotBefore, opt.NotAfter
	if nb.IsZero() {
		nb = now.Add(-5 * time.Minute)
	}
	if na.IsZero() {
		na = now.Add(CertValidity)
	}
	if na.After(ca.NotAfter) {
		na = ca.NotAfter
	}
	tmpl := &x509.Certificate{
		SerialNumber:   serial,
		Subject:        pkix.Name{CommonName: opt.Name, OrganizationalUnit: []string{string(opt.Role)}, Organization: []string{"nistgmm federation"}},
		NotBefore:      nb,
		NotAfter:       na,
		KeyUsage:       x509.KeyUsageDigitalSignature,
		SubjectKeyId:   skid,
		AuthorityKeyId: ca.SubjectKeyId,
	}
	if opt.Role == RoleServer {
		tmpl.ExtKeyUsage = []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}
		hosts := append([]string{opt.Name}, opt.Hosts...)
		for _, h := range hosts {
			if ip := net.ParseIP(h); ip != nil {
				tmpl.IPAddresses = append(tmpl.IPAddresses, ip)
			} else if h != "" {
				tmpl.DNSNames = append(tmpl.DNSNames, h)
			}
		}
	} else {
		tmpl.ExtKeyUsage = []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca, &key.PublicKey, caKey)
	if err != nil {
		return fmt.Errorf("pki: signing %q: %w", opt.Name, err)
	}
	if err := writeKey(KeyPath(dir, opt.Name), key); err != nil {
		return err
	}
	if err := writeFile(CertPath(dir, opt.Name), pemBlock("CERTIFICATE", der), 0o644); err != nil {
		return err
	}
	idx.Entries = append(idx.Entries, Entry{Name: opt.Name, Serial: serial.String(), Role: opt.Role, NotAfter: na})
	return saveIndex(dir, idx)
}

// Revoke revokes every live certificate of name and re-signs the CRL.
// Coordinators reading the directory refuse the certificate at the next
// handshake.
func Revoke(dir, name string, now time.Time) error {
	ca, caKey, err := loadCA(dir)
	if err != nil {
		return err
	}
	idx, err := loadIndex(dir)
	if err != nil {
		return err
	}
	found := false
	for i := range idx.Entries {
		if idx.Entries[i].Name == name && !idx.Entries[i].Revoked {
			idx.Entries[i].Revoked, idx.Entries[i].RevokedAt = true, now
			found = true
		}
	}
	if !found {
		return fmt.Errorf("pki: no live certificate named %q in %s", name, dir)
	}
	if err := saveIndex(dir, idx); err != nil {
		return err
	}
	return writeCRL(dir, ca, caKey, idx, now)
}

// List returns the index, ordered by name.
func List(dir string) (*Index, error) {
	idx, err := loadIndex(dir)
	if err != nil {
		return nil, err
	}
	sort.SliceStable(idx.Entries, func(i, j int) bool { return idx.Entries[i].Name < idx.Entries[j].Name })
	return idx, nil
}

func writeCRL(dir string, ca *x509.Certificate, key crypto.Signer, idx *Index, now time.Time) error {
	var revoked []x509.RevocationListEntry
	if idx != nil {
		for _, e := range idx.Entries {
			if !e.Revoked {
				continue
			}
			sn, ok := new(big.Int).SetString(e.Serial, 10)
			if !ok {
				return fmt.Errorf("pki: index entry %q has a bad serial %q", e.Name, e.Serial)
			}
			revoked = append(revoked, x509.RevocationListEntry{SerialNumber: sn, RevocationTime: e.RevokedAt})
		}
	}
	number, err := newSerial()
	if err != nil {
		return err
	}
	der, err := x509.CreateRevocationList(rand.Reader, &x509.RevocationList{
		Number:                    number,
		ThisUpdate:                now,
		NextUpdate:                now.Add(CAValidity),
		RevokedCertificateEntries: revoked,
	}, ca, key)
	if err != nil {
		return fmt.Errorf("pki: signing the revocation list: %w", err)
	}
	return writeFile(CRLPath(dir), pemBlock("X509 CRL", der), 0o644)
}

func loadCA(dir string) (*x509.Certificate, *ecdsa.PrivateKey, error) {
	ca, err := ReadCert(CAPath(dir))
	if err != nil {
		return nil, nil, fmt.Errorf("pki: %s has no authority (run 'nistgmm ca init --dir %s'): %w", dir, dir, err)
	}
	b, err := os.ReadFile(caKeyPath(dir))
	if err != nil {
		return nil, nil, fmt.Errorf("pki: the CA key: %w", err)
	}
	blk, _ := pem.Decode(b)
	if blk == nil {
		return nil, nil, fmt.Errorf("pki: %s is not PEM", caKeyPath(dir))
	}
	key, err := x509.ParseECPrivateKey(blk.Bytes)
	if err != nil {
		return nil, nil, fmt.Errorf("pki: %s: %w", caKeyPath(dir), err)
	}
	return ca, key, nil
}

// ReadCert reads the first certificate of a PEM file.
func ReadCert(path string) (*x509.Certificate, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	for {
		var blk *pem.Block
		blk, b = pem.Decode(b)
		if blk == nil {
			return nil, fmt.Errorf("%s holds no PEM certificate", path)
		}
		if blk.Type == "CERTIFICATE" {
			c, err := x509.ParseCertificate(blk.Bytes)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", path, err)
			}
			return c, nil
		}
	}
}

func loadIndex(dir string) (*Index, error) {
	b, err := os.ReadFile(indexPath(dir))
	if err != nil {
		return nil, fmt.Errorf("pki: %w", err)
	}
	var idx Index
	if err := json.Unmarshal(b, &idx); err != nil {
		return nil, fmt.Errorf("pki: %s: %w", indexPath(dir), err)
	}
	return &idx, nil
}

func saveIndex(dir string, idx *Index) error {
	b, err := json.MarshalIndent(idx, "", " ")
	if err != nil {
		return fmt.Errorf("pki: %w", err)
	}
	return writeFile(indexPath(dir), append(b, '\n'), 0o644)
}

func writeKey(path string, key *ecdsa.PrivateKey) error {
	der, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		return fmt.Errorf("pki: %w", err)
	}
	return writeFile(path, pemBlock("EC PRIVATE KEY", der), 0o600)
}

// writeFile writes through a temporary file in the same directory, synced
// and renamed, with mode perm set before any byte is written.
func writeFile(path string, data []byte, perm os.FileMode) error {
	f, err := os.CreateTemp(filepath.Dir(path), ".tmp-"+filepath.Base(path))
	if err != nil {
		return fmt.Errorf("pki: %w", err)
	}
	tmp := f.Name()
	defer os.Remove(tmp)
	if err := f.Chmod(perm); err != nil {
		f.Close()
		return fmt.Errorf("pki: %w", err)
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		return fmt.Errorf("pki: writing %s: %w", path, err)
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return fmt.Errorf("pki: %w", err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("pki: %w", err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return fmt.Errorf("pki: %w", err)
	}
	return nil
}

func newSerial() (*big.Int, error) {
	n, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 127))
	if err != nil {
		return nil, fmt.Errorf("pki: serial: %w", err)
	}
	return n.Add(n, big.NewInt(1)), nil
}

func keyID(pub *ecdsa.PublicKey) ([]byte, error) {
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		return nil, fmt.Errorf("pki: %w", err)
	}
	// The SHA-1 of the key is the usual choice (RFC 5280 4.2.1.2); any
	// unique value works.
	h := x509SHA1(der)
	return h[:], nil
}
