package tlsconf

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"strings"
	"time"
)

// DevCertificateValidity is how long a DevCertificate is valid.
const DevCertificateValidity = 365 * 24 * time.Hour

// DevCertificate returns a self-signed ECDSA P-256 certificate for development, valid from an
// hour ago (to tolerate clock skew) for DevCertificateValidity. Its subject alternative names are
// the given hosts (IP literals become IP SANs, anything else DNS SANs) plus 127.0.0.1, ::1 and
// localhost. It can serve (server auth) and identify a client (client auth). The returned
// certificate's Leaf is set.
func DevCertificate(hosts ...string) (tls.Certificate, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return tls.Certificate{}, fmt.Errorf("dev certificate: generate key: %w", err)
	}
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 127))
	if err != nil {
		return tls.Certificate{}, fmt.Errorf("dev certificate: serial: %w", err)
	}

	var dnsNames []string
	var ips []net.IP
	seen := map[string]bool{}
	for _, h := range append(hosts, "127.0.0.1", "::1", "localhost") {
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
	cn := "michi development"
	if len(hosts) > 0 && strings.TrimSpace(hosts[0]) != "" {
		cn = strings.TrimSpace(hosts[0])
	}

	now := time.Now()
	tmpl := &x509.Certificate{
		SerialNumber:          serial,
		Subject:               pkix.Name{CommonName: cn, Organization: []string{"michi development"}},
		NotBefore:             now.Add(-time.Hour),
		NotAfter:              now.Add(DevCertificateValidity),
		KeyUsage:              x509.KeyUsageDigitalSignature,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth},
		BasicConstraintsValid: true,
		DNSNames:              dnsNames,
		IPAddresses:           ips,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return tls.Certificate{}, fmt.Errorf("dev certificate: create: %w", err)
	}
	leaf, err := x509.ParseCertificate(der)
	if err != nil {
		return tls.Certificate{}, fmt.Errorf("dev certificate: parse: %w", err)
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: leaf}, nil
}

// EncodePEM returns the certificate chain and the private key of cert in PEM form ("CERTIFICATE"
// blocks and one "PRIVATE KEY" PKCS #8 block), ready to be written to the files ServerConfig reads.
func EncodePEM(cert tls.Certificate) (certPEM, keyPEM []byte, err error) {
	if len(cert.Certificate) == 0 {
		return nil, nil, fmt.Errorf("encode pem: certificate is empty")
	}
	for _, der := range cert.Certificate {
		certPEM = append(certPEM, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})...)
	}
	key, err := x509.MarshalPKCS8PrivateKey(cert.PrivateKey)
	if err != nil {
		return nil, nil, fmt.Errorf("encode pem: private key: %w", err)
	}
	return certPEM, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: key}), nil
}
