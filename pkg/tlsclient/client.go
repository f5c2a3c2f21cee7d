package tlsclient

import (
	"crypto/sha256"
	"crypto/subtle"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"os"
)

// Options says how a client verifies the server. Exactly one way must be chosen, except
// that CAFile and PinnedFingerprint may be combined (both are then checked).
type Options struct {
	// CAFile is a PEM file of the CA certificates to trust instead of the system roots. A
	// self-signed server certificate (DevCertificate) may itself be given here.
	CAFile string
	// PinnedFingerprint is the SHA-256 fingerprint of the server's leaf certificate, in any form
	// ParseFingerprint accepts. Alone, it replaces chain verification entirely.
	PinnedFingerprint string
	// Insecure skips verification of the server. Only for tests and loopback demos.
	Insecure bool
	// ServerName overrides the name that is verified and sent as SNI. Empty means the dialled host.
	ServerName string
	// ALPN lists the application protocols to offer, e.g. "mqtt".
	ALPN []string
	// CertFile and KeyFile are the client's own PEM key pair for mutual TLS (both or neither);
	// see CA.IssueClient. With them the configuration requires TLS 1.3.
	CertFile, KeyFile string
}

// Config returns a client TLS configuration that verifies the server as opts says.
// It fails with ErrNoVerification when opts chooses no verification at all, and with
// ErrConflictingVerification when Insecure is combined with a CA file or a pin.
func Config(opts Options) (*tls.Config, error) {
	if opts.Insecure && (opts.CAFile != "" || opts.PinnedFingerprint != "") {
		return nil, ErrConflictingVerification
	}
	if !opts.Insecure && opts.CAFile == "" && opts.PinnedFingerprint == "" {
		return nil, ErrNoVerification
	}
	conf := &tls.Config{
		ServerName: opts.ServerName,
		NextProtos: append([]string(nil), opts.ALPN...),
		MinVersion: tls.VersionTLS12,
	}
	if err := clientCertificate(conf, opts); err != nil {
		return nil, err
	}
	if opts.Insecure {
		conf.InsecureSkipVerify = true
		return conf, nil
	}
	if opts.CAFile != "" {
		pemData, err := os.ReadFile(opts.CAFile)
		if err != nil {
			return nil, fmt.Errorf("tls client config: read CA file: %w", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pemData) {
			return nil, fmt.Errorf("tls client config: CA file %s holds no PEM certificate", opts.CAFile)
		}
		conf.RootCAs = pool
	}
	if opts.PinnedFingerprint != "" {
		pin, err := ParseFingerprint(opts.PinnedFingerprint)
		if err != nil {
			return nil, fmt.Errorf("tls client config: %w", err)
		}
		// Without a CA file the pin is the only check: the standard chain verification is
		// switched off and VerifyConnection (which, unlike VerifyPeerCertificate, also runs on
		// resumed sessions) compares the leaf against the pin.
		conf.InsecureSkipVerify = opts.CAFile == ""
		conf.VerifyConnection = func(cs tls.ConnectionState) error {
			return checkPin(cs, pin)
		}
	}
	return conf, nil
}

func checkPin(cs tls.ConnectionState, pin [sha256.Size]byte) error {
	if len(cs.PeerCertificates) == 0 {
		return fmt.Errorf("%w: server sent no certificate", ErrPinMismatch)
	}
	got := sha256.Sum256(cs.PeerCertificates[0].Raw)
	if subtle.ConstantTimeCompare(got[:], pin[:]) != 1 {
		return fmt.Errorf("%w: got %s", ErrPinMismatch, formatFingerprint(got))
	}
	return nil
}

// clientCertificate adds the client certificate opts names, if any, to conf.
func clientCertificate(conf *tls.Config, opts Options) error {
	switch {
	case opts.CertFile == "" && opts.KeyFile == "":
		return nil
	case opts.CertFile == "" || opts.KeyFile == "":
		return ErrKeyPair
	}
	cert, err := tls.LoadX509KeyPair(opts.CertFile, opts.KeyFile)
	if err != nil {
		return fmt.Errorf("tls client config: load client key pair: %w", err)
	}
	conf.Certificates = []tls.Certificate{cert}
	// A client certificate means mutual TLS, which michi runs over QUIC only: TLS 1.3.
	conf.MinVersion = tls.VersionTLS13
	return nil
}
