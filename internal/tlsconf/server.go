package tlsconf

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"os"
)

// ServerConfig returns a server TLS configuration offering the given ALPN protocols.
//
// With certFile and keyFile set it loads that PEM key pair. With both empty it generates a
// DevCertificate for this machine's hostname (plus the loopback names) and reports
// generated=true: the caller should log the fingerprint, since clients that do not skip
// verification have to pin it. Giving only one of the two files is an error (ErrKeyPair).
//
// fingerprint is Fingerprint of the served leaf certificate.
func ServerConfig(certFile, keyFile string, alpn ...string) (conf *tls.Config, fingerprint string, generated bool, err error) {
	var cert tls.Certificate
	switch {
	case certFile == "" && keyFile == "":
		var hosts []string
		if h, herr := os.Hostname(); herr == nil && h != "" {
			hosts = append(hosts, h)
		}
		cert, err = DevCertificate(hosts...)
		if err != nil {
			return nil, "", false, err
		}
		generated = true
	case certFile == "" || keyFile == "":
		return nil, "", false, ErrKeyPair
	default:
		cert, err = tls.LoadX509KeyPair(certFile, keyFile)
		if err != nil {
			return nil, "", false, fmt.Errorf("tls server config: load key pair: %w", err)
		}
	}
	if cert.Leaf == nil {
		leaf, err := x509.ParseCertificate(cert.Certificate[0])
		if err != nil {
			return nil, "", false, fmt.Errorf("tls server config: parse certificate: %w", err)
		}
		cert.Leaf = leaf
	}
	conf = &tls.Config{
		Certificates: []tls.Certificate{cert},
		NextProtos:   append([]string(nil), alpn...),
		MinVersion:   tls.VersionTLS12,
	}
	return conf, Fingerprint(cert.Leaf), generated, nil
}
