package tlsclient

import (
	"crypto/tls"
	"errors"
	"strings"
	"testing"
)

// The handshakes (pin, CA file, insecure, mutual TLS) are tested in internal/tlsconf, which
// builds the servers' certificates and serves them; here, what Config decides before any.
func TestConfigChoosesVerification(t *testing.T) {
	pin := strings.Repeat("AB:", 31) + "AB"
	for _, tc := range []struct {
		name string
		opts Options
		want error
	}{
		{"none", Options{ServerName: "x", ALPN: []string{"mqtt"}}, ErrNoVerification},
		{"insecure and pin", Options{Insecure: true, PinnedFingerprint: pin}, ErrConflictingVerification},
		{"insecure and CA", Options{Insecure: true, CAFile: "ca.pem"}, ErrConflictingVerification},
		{"bad pin", Options{PinnedFingerprint: "12:34"}, ErrBadFingerprint},
		{"cert without key", Options{Insecure: true, CertFile: "c.pem"}, ErrKeyPair},
	} {
		if _, err := Config(tc.opts); !errors.Is(err, tc.want) {
			t.Errorf("%s: err = %v, want %v", tc.name, err, tc.want)
		}
	}
	conf, err := Config(Options{PinnedFingerprint: pin, ALPN: []string{"mqtt"}})
	if err != nil {
		t.Fatal(err)
	}
	if !conf.InsecureSkipVerify || conf.VerifyConnection == nil || conf.MinVersion != tls.VersionTLS12 || conf.NextProtos[0] != "mqtt" {
		t.Errorf("a pin alone: want the chain check off, the pin checked, TLS ≥ 1.2, ALPN mqtt; got %+v", conf)
	}
}

func TestParseFingerprintForms(t *testing.T) {
	want := strings.Repeat("0A:", 31) + "0A"
	for _, in := range []string{want, strings.ToLower(want), strings.ReplaceAll(want, ":", ""), "sha256:" + want, "SHA256 Fingerprint=" + want} {
		sum, err := ParseFingerprint(in)
		if err != nil {
			t.Fatalf("ParseFingerprint(%q): %v", in, err)
		}
		if got := formatFingerprint(sum); got != want {
			t.Errorf("ParseFingerprint(%q) formats as %s, want %s", in, got, want)
		}
	}
}
