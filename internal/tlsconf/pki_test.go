package tlsconf

import (
	"crypto/x509"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"
)

func TestCAIssuesVerifiableCertificates(t *testing.T) {
	ca, err := NewCA("michi test CA")
	if err != nil {
		t.Fatal(err)
	}
	if !ca.Cert.IsCA || ca.Cert.Subject.CommonName != "michi test CA" {
		t.Fatalf("CA certificate: IsCA=%v CN=%q", ca.Cert.IsCA, ca.Cert.Subject.CommonName)
	}
	server, err := ca.IssueServer("hub", "hub.example", "192.0.2.1")
	if err != nil {
		t.Fatal(err)
	}
	client, err := ca.IssueClient("edge-7")
	if err != nil {
		t.Fatal(err)
	}

	if _, err := server.Leaf.Verify(x509.VerifyOptions{
		DNSName: "hub.example", Roots: ca.Pool(), KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}); err != nil {
		t.Errorf("server certificate does not verify: %v", err)
	}
	for _, host := range []string{"hub.example", "192.0.2.1", "127.0.0.1", "::1", "localhost"} {
		if err := server.Leaf.VerifyHostname(host); err != nil {
			t.Errorf("server VerifyHostname(%q): %v", host, err)
		}
	}
	if _, err := client.Leaf.Verify(x509.VerifyOptions{
		Roots: ca.Pool(), KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
	}); err != nil {
		t.Errorf("client certificate does not verify: %v", err)
	}
	// A client certificate cannot serve, a server certificate cannot identify a client.
	if _, err := client.Leaf.Verify(x509.VerifyOptions{
		Roots: ca.Pool(), KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}); err == nil {
		t.Error("client certificate verifies for server auth")
	}
	if id, err := CertificateIdentity(client); err != nil || id != "edge-7" {
		t.Errorf("CertificateIdentity = %q, %v", id, err)
	}
	validity := client.Leaf.NotAfter.Sub(client.Leaf.NotBefore)
	if validity < IssuedValidity || validity > IssuedValidity+2*time.Hour {
		t.Errorf("issued validity %v", validity)
	}

	other, err := NewCA("other CA")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := client.Leaf.Verify(x509.VerifyOptions{
		Roots: other.Pool(), KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
	}); err == nil {
		t.Error("certificate verifies against a foreign CA")
	}
}

func TestIssueRejectsBadOptions(t *testing.T) {
	ca, err := NewCA("ca")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ca.Issue(IssueOptions{CommonName: " ", Client: true}); err == nil {
		t.Error("empty common name accepted")
	}
	if _, err := ca.Issue(IssueOptions{CommonName: "x"}); err == nil {
		t.Error("certificate without usage accepted")
	}
	if _, err := NewCA(""); err == nil {
		t.Error("CA without name accepted")
	}
	long, err := ca.Issue(IssueOptions{CommonName: "x", Client: true, Validity: 2 * CAValidity})
	if err != nil {
		t.Fatal(err)
	}
	if long.Leaf.NotAfter.After(ca.Cert.NotAfter) {
		t.Error("issued certificate outlives its CA")
	}
}

func TestCAFilesRoundTripAndNeverOverwrite(t *testing.T) {
	dir := t.TempDir()
	ca, err := NewCA("ca")
	if err != nil {
		t.Fatal(err)
	}
	certFile, keyFile := filepath.Join(dir, "ca.pem"), filepath.Join(dir, "ca-key.pem")
	if err := ca.WriteFiles(certFile, keyFile); err != nil {
		t.Fatal(err)
	}
	if st, err := os.Stat(keyFile); err != nil || st.Mode().Perm() != 0o600 {
		t.Errorf("key file mode: %v, %v", st.Mode(), err)
	}
	if err := ca.WriteFiles(certFile, filepath.Join(dir, "new-key.pem")); !errors.Is(err, os.ErrExist) {
		t.Errorf("second WriteFiles: %v, want os.ErrExist", err)
	}
	if _, err := os.Stat(filepath.Join(dir, "new-key.pem")); !os.IsNotExist(err) {
		t.Error("a refused WriteFiles left a key file behind")
	}

	back, err := LoadCA(certFile, keyFile)
	if err != nil {
		t.Fatal(err)
	}
	if !back.Cert.Equal(ca.Cert) {
		t.Fatal("CA certificate changed across files")
	}
	// The loaded CA issues certificates the original's pool accepts.
	edge, err := back.IssueClient("edge-1")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := edge.Leaf.Verify(x509.VerifyOptions{Roots: ca.Pool(), KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}}); err != nil {
		t.Fatalf("certificate from the loaded CA: %v", err)
	}
	edgeCert, edgeKey := filepath.Join(dir, "edge-1.pem"), filepath.Join(dir, "edge-1-key.pem")
	if err := WriteKeyPair(edge, edgeCert, edgeKey); err != nil {
		t.Fatal(err)
	}
	if err := WriteKeyPair(edge, edgeCert, edgeKey); !errors.Is(err, os.ErrExist) {
		t.Errorf("second WriteKeyPair: %v, want os.ErrExist", err)
	}

	// A leaf is not a CA.
	if _, err := LoadCA(edgeCert, edgeKey); err == nil {
		t.Error("LoadCA accepted a leaf certificate")
	}
	if _, err := LoadCA(filepath.Join(dir, "missing.pem"), keyFile); err == nil {
		t.Error("LoadCA of a missing file: want error")
	}
	if _, err := ParseCA(ca.CertPEM(), []byte("junk")); err == nil {
		t.Error("ParseCA with a junk key: want error")
	}
}
