package tlsconf

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"os"
)

// ErrNoClientCertificate is returned by PeerIdentity when the peer presented no verified
// certificate, i.e. the server was not configured with RequireAndVerifyClientCert.
var ErrNoClientCertificate = errors.New("tlsconf: peer presented no verified certificate")

// MutualServerConfig returns a server configuration for mutual TLS: it serves the PEM key pair
// in certFile/keyFile and requires every client to present a certificate that chains to a CA in
// clientCAFile (tls.RequireAndVerifyClientCert). There is no generated fallback: mutual TLS
// needs a PKI (see CA). TLS 1.3 is the minimum.
func MutualServerConfig(certFile, keyFile, clientCAFile string, alpn ...string) (*tls.Config, error) {
	if certFile == "" || keyFile == "" {
		return nil, ErrKeyPair
	}
	if clientCAFile == "" {
		return nil, errors.New("tls mutual server config: a client CA file is required")
	}
	cert, err := tls.LoadX509KeyPair(certFile, keyFile)
	if err != nil {
		return nil, fmt.Errorf("tls mutual server config: load key pair: %w", err)
	}
	pool, err := loadPool(clientCAFile)
	if err != nil {
		return nil, fmt.Errorf("tls mutual server config: %w", err)
	}
	return MutualServerTLS(cert, pool, alpn...), nil
}

// MutualServerTLS is MutualServerConfig from values in memory: serve cert, require clients
// verified against clientCAs.
func MutualServerTLS(cert tls.Certificate, clientCAs *x509.CertPool, alpn ...string) *tls.Config {
	return &tls.Config{
		Certificates: []tls.Certificate{cert},
		ClientAuth:   tls.RequireAndVerifyClientCert,
		ClientCAs:    clientCAs,
		NextProtos:   append([]string(nil), alpn...),
		MinVersion:   tls.VersionTLS13,
	}
}

// MutualClientTLS returns a client configuration for mutual TLS from values in memory: present
// cert, verify the server against roots (names included). The file-based equivalent is
// ClientConfig with ClientOptions{CAFile, CertFile, KeyFile}.
func MutualClientTLS(cert tls.Certificate, roots *x509.CertPool, alpn ...string) *tls.Config {
	return &tls.Config{
		Certificates: []tls.Certificate{cert},
		RootCAs:      roots,
		NextProtos:   append([]string(nil), alpn...),
		MinVersion:   tls.VersionTLS13,
	}
}

// PeerIdentity returns the CommonName of the peer's verified leaf certificate: on a server with
// RequireAndVerifyClientCert, the client's identity (an edge id on the uplink). It fails with
// ErrNoClientCertificate when no chain was verified, and when the CommonName is empty.
func PeerIdentity(cs tls.ConnectionState) (string, error) {
	if len(cs.VerifiedChains) == 0 || len(cs.VerifiedChains[0]) == 0 {
		return "", ErrNoClientCertificate
	}
	cn := cs.VerifiedChains[0][0].Subject.CommonName
	if cn == "" {
		return "", fmt.Errorf("%w: the certificate has no CommonName", ErrNoClientCertificate)
	}
	return cn, nil
}

// CertificateIdentity returns the CommonName of cert's leaf, the identity a server will see
// through PeerIdentity.
func CertificateIdentity(cert tls.Certificate) (string, error) {
	leaf := cert.Leaf
	if leaf == nil {
		if len(cert.Certificate) == 0 {
			return "", errors.New("certificate identity: certificate is empty")
		}
		var err error
		if leaf, err = x509.ParseCertificate(cert.Certificate[0]); err != nil {
			return "", fmt.Errorf("certificate identity: %w", err)
		}
	}
	return leaf.Subject.CommonName, nil
}

func loadPool(file string) (*x509.CertPool, error) {
	pemData, err := os.ReadFile(file)
	if err != nil {
		return nil, fmt.Errorf("read CA file: %w", err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pemData) {
		return nil, fmt.Errorf("CA file %s holds no PEM certificate", file)
	}
	return pool, nil
}
