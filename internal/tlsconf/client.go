package tlsconf

import (
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"

	"github.com/michi-v2x/michi/pkg/tlsclient"
)

// The client half lives in pkg/tlsclient, which the SDK imports; these names are that package's,
// for the servers' code and tools that build both halves from here.

// ClientOptions says how a client verifies the server (tlsclient.Options).
type ClientOptions = tlsclient.Options

// ClientConfig returns a client TLS configuration that verifies the server as opts says
// (tlsclient.Config).
func ClientConfig(opts ClientOptions) (*tls.Config, error) { return tlsclient.Config(opts) }

// Fingerprint returns the SHA-256 of cert's DER as "AB:CD:…" (tlsclient.Fingerprint).
func Fingerprint(cert *x509.Certificate) string { return tlsclient.Fingerprint(cert) }

// ParseFingerprint parses a SHA-256 fingerprint in any common form (tlsclient.ParseFingerprint).
func ParseFingerprint(s string) ([sha256.Size]byte, error) { return tlsclient.ParseFingerprint(s) }
