package tlsconf

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"errors"
	"net"
	"strings"
	"testing"
	"time"
)

func TestDevCertificate(t *testing.T) {
	cert, err := DevCertificate("edge-1.example", "192.0.2.7", "localhost", " ")
	if err != nil {
		t.Fatal(err)
	}
	leaf := cert.Leaf
	if leaf == nil {
		t.Fatal("Leaf not set")
	}
	key, ok := cert.PrivateKey.(*ecdsa.PrivateKey)
	if !ok || key.Curve != elliptic.P256() {
		t.Fatalf("key = %T, want ECDSA P-256", cert.PrivateKey)
	}
	if leaf.PublicKeyAlgorithm != x509.ECDSA {
		t.Fatalf("public key algorithm = %v", leaf.PublicKeyAlgorithm)
	}
	for _, host := range []string{"edge-1.example", "192.0.2.7", "127.0.0.1", "::1", "localhost"} {
		if err := leaf.VerifyHostname(host); err != nil {
			t.Errorf("VerifyHostname(%q): %v", host, err)
		}
	}
	if got := strings.Join(leaf.DNSNames, ","); got != "edge-1.example,localhost" {
		t.Errorf("DNS SANs = %q (duplicates or blanks kept?)", got)
	}
	if len(leaf.IPAddresses) != 3 {
		t.Errorf("IP SANs = %v, want 3", leaf.IPAddresses)
	}
	validity := leaf.NotAfter.Sub(leaf.NotBefore)
	if validity < DevCertificateValidity || validity > DevCertificateValidity+2*time.Hour {
		t.Errorf("validity = %v, want about a year", validity)
	}
	if !leaf.NotBefore.Before(time.Now()) {
		t.Errorf("NotBefore %v is not in the past", leaf.NotBefore)
	}
	if err := leaf.CheckSignature(leaf.SignatureAlgorithm, leaf.RawTBSCertificate, leaf.Signature); err != nil {
		t.Errorf("not self-signed: %v", err)
	}
	other, err := DevCertificate()
	if err != nil {
		t.Fatal(err)
	}
	if other.Leaf.SerialNumber.Cmp(leaf.SerialNumber) == 0 {
		t.Error("two certificates share a serial number")
	}
	if other.Leaf.Subject.CommonName != "michi development" {
		t.Errorf("CN without hosts = %q", other.Leaf.Subject.CommonName)
	}
}

func TestEncodePEMRoundTrip(t *testing.T) {
	cert, err := DevCertificate()
	if err != nil {
		t.Fatal(err)
	}
	certPEM, keyPEM, err := EncodePEM(cert)
	if err != nil {
		t.Fatal(err)
	}
	back, err := tls.X509KeyPair(certPEM, keyPEM)
	if err != nil {
		t.Fatal(err)
	}
	if Fingerprint(back.Leaf) != Fingerprint(cert.Leaf) {
		t.Error("fingerprint changed across PEM round trip")
	}
	if _, _, err := EncodePEM(tls.Certificate{}); err == nil {
		t.Error("EncodePEM of an empty certificate: want error")
	}
}

func TestFingerprint(t *testing.T) {
	cert, err := DevCertificate()
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(cert.Leaf.Raw)
	fp := Fingerprint(cert.Leaf)
	want := strings.ToUpper(hex.EncodeToString(sum[0:1]) + ":" + hex.EncodeToString(sum[1:2]))
	if len(fp) != 95 || !strings.HasPrefix(fp, want) {
		t.Fatalf("Fingerprint = %q, want 95 chars starting %q", fp, want)
	}
	plain := hex.EncodeToString(sum[:])
	if strings.ReplaceAll(fp, ":", "") != strings.ToUpper(plain) {
		t.Fatalf("Fingerprint %q is not the colon form of %s", fp, plain)
	}

	for _, in := range []string{
		fp,
		strings.ToLower(fp),
		plain,
		"sha256:" + plain,
		"SHA256 Fingerprint=" + fp,
		"  " + strings.ReplaceAll(fp, ":", " ") + "\n",
	} {
		got, err := ParseFingerprint(in)
		if err != nil {
			t.Errorf("ParseFingerprint(%q): %v", in, err)
			continue
		}
		if got != sum {
			t.Errorf("ParseFingerprint(%q) = %x, want %x", in, got, sum)
		}
	}
	for _, in := range []string{"", "AB:CD", plain[:62], plain + "00", strings.Replace(plain, plain[:2], "zz", 1)} {
		if _, err := ParseFingerprint(in); !errors.Is(err, ErrBadFingerprint) {
			t.Errorf("ParseFingerprint(%q) error = %v, want ErrBadFingerprint", in, err)
		}
	}
}

// The certificate must actually work for TLS 1.3 with both roles, since the uplink uses it for mutual TLS.
func TestDevCertificateServesAndIdentifiesClients(t *testing.T) {
	server, err := DevCertificate()
	if err != nil {
		t.Fatal(err)
	}
	client, err := DevCertificate("vehicle-7")
	if err != nil {
		t.Fatal(err)
	}
	clientPool := x509.NewCertPool()
	clientPool.AddCert(client.Leaf)
	serverConf := &tls.Config{
		Certificates: []tls.Certificate{server},
		ClientAuth:   tls.RequireAndVerifyClientCert,
		ClientCAs:    clientPool,
		MinVersion:   tls.VersionTLS13,
	}
	serverPool := x509.NewCertPool()
	serverPool.AddCert(server.Leaf)
	clientConf := &tls.Config{Certificates: []tls.Certificate{client}, RootCAs: serverPool, MinVersion: tls.VersionTLS13}
	cs, err := handshake(t, serverConf, clientConf, "127.0.0.1")
	if err != nil {
		t.Fatal(err)
	}
	if cs.Version != tls.VersionTLS13 {
		t.Errorf("version = %x", cs.Version)
	}
}

// handshake runs one TLS handshake over TCP on 127.0.0.1:0 and returns the client's view of it.
// The server side's error, if any, is reported only when the client succeeded.
func handshake(t *testing.T, serverConf, clientConf *tls.Config, dialHost string) (tls.ConnectionState, error) {
	t.Helper()
	ln, err := tls.Listen("tcp", "127.0.0.1:0", serverConf)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	serverErr := make(chan error, 1)
	go func() {
		c, err := ln.Accept()
		if err != nil {
			serverErr <- err
			return
		}
		defer c.Close()
		c.SetDeadline(time.Now().Add(10 * time.Second))
		serverErr <- c.(*tls.Conn).Handshake()
	}()

	_, port, _ := net.SplitHostPort(ln.Addr().String())
	d := &net.Dialer{Timeout: 10 * time.Second}
	c, err := tls.DialWithDialer(d, "tcp", net.JoinHostPort(dialHost, port), clientConf)
	if err != nil {
		<-serverErr
		return tls.ConnectionState{}, err
	}
	defer c.Close()
	cs := c.ConnectionState()
	if err := <-serverErr; err != nil {
		t.Fatalf("server handshake: %v", err)
	}
	return cs, nil
}
