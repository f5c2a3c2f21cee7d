package tlsconf

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"net"
	"os"
	"strings"
	"time"
)

// Validity periods of what the PKI helper creates.
const (
	// CAValidity is how long a CA made by NewCA is valid.
	CAValidity = 10 * 365 * 24 * time.Hour
	// IssuedValidity is how long a certificate issued by a CA is valid unless IssueOptions says
	// otherwise.
	IssuedValidity = 2 * 365 * 24 * time.Hour
)

// CA is a small certificate authority for michi's mutual TLS between edge nodes and the hub: it
// issues the hub's server certificate and one client certificate per edge node, whose
// CommonName is the edge id. Keys are ECDSA P-256.
//
// The operator's flow (what `cloud-hub pki` wraps): NewCA once and WriteFiles it next to the
// hub; IssueServer for the hub and WriteKeyPair; IssueClient per edge and WriteKeyPair, then copy
// the edge's pair and the CA certificate (not its key) to the edge. The hub trusts the CA for
// clients (MutualServerConfig), each edge trusts it for the hub (ClientOptions.CAFile).
type CA struct {
	Cert *x509.Certificate
	Key  crypto.Signer
}

// IssueOptions describes a certificate for CA.Issue.
type IssueOptions struct {
	// CommonName is the subject's CN; for an edge node's client certificate it is the edge id.
	// Required.
	CommonName string
	// Hosts become subject alternative names (IP literals as IP SANs, anything else as DNS
	// SANs); a server certificate needs the names clients dial.
	Hosts []string
	// Server and Client set the extended key usages (server auth, client auth); at least one.
	Server, Client bool
	// Validity defaults to IssuedValidity; the certificate is valid from an hour ago, to
	// tolerate clock skew.
	Validity time.Duration
}

// NewCA creates a self-signed CA named commonName, valid for CAValidity.
func NewCA(commonName string) (*CA, error) {
	if strings.TrimSpace(commonName) == "" {
		return nil, errors.New("new CA: common name is empty")
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("new CA: generate key: %w", err)
	}
	serial, err := newSerial()
	if err != nil {
		return nil, fmt.Errorf("new CA: %w", err)
	}
	now := time.Now()
	tmpl := &x509.Certificate{
		SerialNumber:          serial,
		Subject:               pkix.Name{CommonName: commonName, Organization: []string{"michi"}},
		NotBefore:             now.Add(-time.Hour),
		NotAfter:              now.Add(CAValidity),
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign | x509.KeyUsageDigitalSignature,
		BasicConstraintsValid: true,
		IsCA:                  true,
		MaxPathLenZero:        true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return nil, fmt.Errorf("new CA: create: %w", err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, fmt.Errorf("new CA: parse: %w", err)
	}
	return &CA{Cert: cert, Key: key}, nil
}

// Issue signs a new certificate with a fresh ECDSA P-256 key as o describes. The returned
// chain holds the leaf only (peers trust the CA itself); Leaf is set.
func (ca *CA) Issue(o IssueOptions) (tls.Certificate, error) {
	if strings.TrimSpace(o.CommonName) == "" {
		return tls.Certificate{}, errors.New("issue certificate: common name is empty")
	}
	if !o.Server && !o.Client {
		return tls.Certificate{}, errors.New("issue certificate: neither server nor client usage")
	}
	if o.Validity <= 0 {
		o.Validity = IssuedValidity
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return tls.Certificate{}, fmt.Errorf("issue certificate: generate key: %w", err)
	}
	serial, err := newSerial()
	if err != nil {
		return tls.Certificate{}, fmt.Errorf("issue certificate: %w", err)
	}
	var usages []x509.ExtKeyUsage
	if o.Server {
		usages = append(usages, x509.ExtKeyUsageServerAuth)
	}
	if o.Client {
		usages = append(usages, x509.ExtKeyUsageClientAuth)
	}
	dnsNames, ips := splitHosts(o.Hosts)
	now := time.Now()
	notAfter := now.Add(o.Validity)
	if notAfter.After(ca.Cert.NotAfter) {
		notAfter = ca.Cert.NotAfter // a chain is valid only while its CA is
	}
	tmpl := &x509.Certificate{
		SerialNumber:          serial,
		Subject:               pkix.Name{CommonName: o.CommonName, Organization: []string{"michi"}},
		NotBefore:             now.Add(-time.Hour),
		NotAfter:              notAfter,
		KeyUsage:              x509.KeyUsageDigitalSignature,
		ExtKeyUsage:           usages,
		BasicConstraintsValid: true,
		DNSNames:              dnsNames,
		IPAddresses:           ips,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.Cert, &key.PublicKey, ca.Key)
	if err != nil {
		return tls.Certificate{}, fmt.Errorf("issue certificate: create: %w", err)
	}
	leaf, err := x509.ParseCertificate(der)
	if err != nil {
		return tls.Certificate{}, fmt.Errorf("issue certificate: parse: %w", err)
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: leaf}, nil
}

// IssueServer issues a server certificate (e.g. the hub's) for the given host names and IP
// literals; 127.0.0.1, ::1 and localhost are always added, as DevCertificate does.
func (ca *CA) IssueServer(commonName string, hosts ...string) (tls.Certificate, error) {
	return ca.Issue(IssueOptions{
		CommonName: commonName,
		Hosts:      append(append([]string(nil), hosts...), "127.0.0.1", "::1", "localhost"),
		Server:     true,
	})
}

// IssueClient issues a client certificate whose CommonName is the identity, e.g. an edge id.
func (ca *CA) IssueClient(commonName string) (tls.Certificate, error) {
	return ca.Issue(IssueOptions{CommonName: commonName, Client: true})
}

// Pool returns a certificate pool holding only the CA's certificate.
func (ca *CA) Pool() *x509.CertPool {
	pool := x509.NewCertPool()
	pool.AddCert(ca.Cert)
	return pool
}

// CertPEM returns the CA certificate in PEM form, what edges and the hub trust.
func (ca *CA) CertPEM() []byte {
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: ca.Cert.Raw})
}

// EncodePEM returns the CA's certificate and private key (PKCS #8) in PEM form.
func (ca *CA) EncodePEM() (certPEM, keyPEM []byte, err error) {
	key, err := x509.MarshalPKCS8PrivateKey(ca.Key)
	if err != nil {
		return nil, nil, fmt.Errorf("encode CA: private key: %w", err)
	}
	return ca.CertPEM(), pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: key}), nil
}

// ParseCA reads a CA from its PEM certificate and key, as written by EncodePEM or WriteFiles.
// It checks that the certificate is a CA and that the key belongs to it.
func ParseCA(certPEM, keyPEM []byte) (*CA, error) {
	pair, err := tls.X509KeyPair(certPEM, keyPEM)
	if err != nil {
		return nil, fmt.Errorf("parse CA: %w", err)
	}
	cert := pair.Leaf
	if cert == nil {
		if cert, err = x509.ParseCertificate(pair.Certificate[0]); err != nil {
			return nil, fmt.Errorf("parse CA: %w", err)
		}
	}
	if !cert.IsCA || cert.KeyUsage&x509.KeyUsageCertSign == 0 {
		return nil, fmt.Errorf("parse CA: %q is not a CA certificate", cert.Subject.CommonName)
	}
	signer, ok := pair.PrivateKey.(crypto.Signer)
	if !ok {
		return nil, fmt.Errorf("parse CA: key of type %T cannot sign", pair.PrivateKey)
	}
	return &CA{Cert: cert, Key: signer}, nil
}

// LoadCA reads a CA from the PEM files written by WriteFiles.
func LoadCA(certFile, keyFile string) (*CA, error) {
	certPEM, err := os.ReadFile(certFile)
	if err != nil {
		return nil, fmt.Errorf("load CA: %w", err)
	}
	keyPEM, err := os.ReadFile(keyFile)
	if err != nil {
		return nil, fmt.Errorf("load CA: %w", err)
	}
	return ParseCA(certPEM, keyPEM)
}

// WriteFiles writes the CA's certificate (mode 0644) and private key (mode 0600). It never
// overwrites: when either file exists it fails with an error wrapping os.ErrExist, since
// replacing a CA silently would lock every edge out.
func (ca *CA) WriteFiles(certFile, keyFile string) error {
	certPEM, keyPEM, err := ca.EncodePEM()
	if err != nil {
		return err
	}
	return writePair(certFile, certPEM, keyFile, keyPEM)
}

// WriteKeyPair writes an issued certificate chain (mode 0644) and its private key (mode 0600)
// in PEM form, for ServerConfig, MutualServerConfig or ClientOptions.CertFile/KeyFile. Like
// CA.WriteFiles it never overwrites an existing file (os.ErrExist).
func WriteKeyPair(cert tls.Certificate, certFile, keyFile string) error {
	certPEM, keyPEM, err := EncodePEM(cert)
	if err != nil {
		return err
	}
	return writePair(certFile, certPEM, keyFile, keyPEM)
}

func writePair(certFile string, certPEM []byte, keyFile string, keyPEM []byte) error {
	for _, f := range []string{certFile, keyFile} {
		if _, err := os.Lstat(f); err == nil {
			return fmt.Errorf("write %s: %w", f, os.ErrExist)
		}
	}
	if err := writeExclusive(keyFile, keyPEM, 0o600); err != nil {
		return err
	}
	if err := writeExclusive(certFile, certPEM, 0o644); err != nil {
		_ = os.Remove(keyFile)
		return err
	}
	return nil
}

func writeExclusive(name string, data []byte, mode os.FileMode) error {
	f, err := os.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_EXCL, mode)
	if err != nil {
		return fmt.Errorf("write %s: %w", name, err)
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		os.Remove(name)
		return fmt.Errorf("write %s: %w", name, err)
	}
	if err := f.Sync(); err != nil {
		f.Close()
		os.Remove(name)
		return fmt.Errorf("write %s: %w", name, err)
	}
	if err := f.Close(); err != nil {
		os.Remove(name)
		return fmt.Errorf("write %s: %w", name, err)
	}
	return nil
}

func newSerial() (*big.Int, error) {
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 127))
	if err != nil {
		return nil, fmt.Errorf("serial: %w", err)
	}
	return serial, nil
}

// splitHosts turns host names and IP literals into de-duplicated DNS and IP SANs.
func splitHosts(hosts []string) (dnsNames []string, ips []net.IP) {
	seen := map[string]bool{}
	for _, h := range hosts {
		h = strings.TrimSpace(h)
		if h == "" {
			continue
		}
		if ip := net.ParseIP(h); ip != nil {
			if key := ip.String(); !seen[key] {
				seen[key] = true
				ips = append(ips, ip)
			}
			continue
		}
		if key := strings.ToLower(h); !seen[key] {
			seen[key] = true
			dnsNames = append(dnsNames, h)
		}
	}
	return dnsNames, ips
}
