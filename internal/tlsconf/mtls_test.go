package tlsconf

import (
	"crypto/tls"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// pki writes a CA, a server pair for 127.0.0.1 and a client pair for "edge-1" into a temporary
// directory.
func pki(t *testing.T) (ca *CA, caFile, serverCert, serverKey, clientCert, clientKey string) {
	t.Helper()
	ca, err := NewCA("test CA")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	caFile = filepath.Join(dir, "ca.pem")
	if err := ca.WriteFiles(caFile, filepath.Join(dir, "ca-key.pem")); err != nil {
		t.Fatal(err)
	}
	server, err := ca.IssueServer("hub")
	if err != nil {
		t.Fatal(err)
	}
	serverCert, serverKey = filepath.Join(dir, "hub.pem"), filepath.Join(dir, "hub-key.pem")
	if err := WriteKeyPair(server, serverCert, serverKey); err != nil {
		t.Fatal(err)
	}
	client, err := ca.IssueClient("edge-1")
	if err != nil {
		t.Fatal(err)
	}
	clientCert, clientKey = filepath.Join(dir, "edge.pem"), filepath.Join(dir, "edge-key.pem")
	if err := WriteKeyPair(client, clientCert, clientKey); err != nil {
		t.Fatal(err)
	}
	return ca, caFile, serverCert, serverKey, clientCert, clientKey
}

func TestMutualTLSFromFiles(t *testing.T) {
	_, caFile, serverCert, serverKey, clientCert, clientKey := pki(t)
	serverConf, err := MutualServerConfig(serverCert, serverKey, caFile, "michi-uplink/1")
	if err != nil {
		t.Fatal(err)
	}
	if serverConf.ClientAuth != tls.RequireAndVerifyClientCert || serverConf.MinVersion != tls.VersionTLS13 {
		t.Fatalf("server config: ClientAuth=%v MinVersion=%x", serverConf.ClientAuth, serverConf.MinVersion)
	}
	clientConf, err := ClientConfig(ClientOptions{CAFile: caFile, CertFile: clientCert, KeyFile: clientKey, ALPN: []string{"michi-uplink/1"}})
	if err != nil {
		t.Fatal(err)
	}
	if len(clientConf.Certificates) != 1 || clientConf.MinVersion != tls.VersionTLS13 {
		t.Fatalf("client config: %d certificates, MinVersion %x", len(clientConf.Certificates), clientConf.MinVersion)
	}

	identity := make(chan string, 1)
	serverConf.VerifyConnection = func(cs tls.ConnectionState) error {
		id, err := PeerIdentity(cs)
		identity <- id
		return err
	}
	if _, err := handshake(t, serverConf, clientConf, "127.0.0.1"); err != nil {
		t.Fatalf("mutual handshake: %v", err)
	}
	if id := <-identity; id != "edge-1" {
		t.Fatalf("PeerIdentity = %q, want edge-1", id)
	}
}

func TestMutualTLSRefusesStrangers(t *testing.T) {
	ca, caFile, serverCert, serverKey, _, _ := pki(t)
	serverConf, err := MutualServerConfig(serverCert, serverKey, caFile)
	if err != nil {
		t.Fatal(err)
	}
	stranger, err := NewCA("stranger CA")
	if err != nil {
		t.Fatal(err)
	}
	foreign, err := stranger.IssueClient("edge-1")
	if err != nil {
		t.Fatal(err)
	}
	for name, conf := range map[string]*tls.Config{
		"foreign CA":     MutualClientTLS(foreign, ca.Pool()),
		"no certificate": {RootCAs: ca.Pool(), MinVersion: tls.VersionTLS13},
		// Go's client offers a certificate only when its issuer is one the server asks for;
		// a hostile client sends it regardless.
		"foreign CA, sent anyway": {
			RootCAs:    ca.Pool(),
			MinVersion: tls.VersionTLS13,
			GetClientCertificate: func(*tls.CertificateRequestInfo) (*tls.Certificate, error) {
				return &foreign, nil
			},
		},
	} {
		t.Run(name, func(t *testing.T) {
			if err := serverHandshake(t, serverConf, conf); err == nil {
				t.Fatal("server accepted the client")
			}
		})
	}
}

// serverHandshake runs one handshake over TCP on 127.0.0.1:0 and returns the server side's
// error (in TLS 1.3 the client may finish before the server has checked its certificate).
func serverHandshake(t *testing.T, serverConf, clientConf *tls.Config) error {
	t.Helper()
	ln, err := tls.Listen("tcp", "127.0.0.1:0", serverConf)
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	clientDone := make(chan struct{})
	go func() {
		defer close(clientDone)
		c, err := tls.Dial("tcp", ln.Addr().String(), clientConf)
		if err != nil {
			return
		}
		defer c.Close()
		_, _ = c.Read(make([]byte, 1)) // the server's alert or close
	}()
	c, err := ln.Accept()
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(10 * time.Second))
	err = c.(*tls.Conn).Handshake()
	c.Close()
	<-clientDone
	return err
}

func TestMutualConfigErrors(t *testing.T) {
	_, caFile, serverCert, serverKey, clientCert, _ := pki(t)
	if _, err := MutualServerConfig(serverCert, "", caFile); !errors.Is(err, ErrKeyPair) {
		t.Errorf("missing key: %v", err)
	}
	if _, err := MutualServerConfig(serverCert, serverKey, ""); err == nil {
		t.Error("missing client CA: want error")
	}
	junk := filepath.Join(t.TempDir(), "junk.pem")
	if err := os.WriteFile(junk, []byte("junk"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := MutualServerConfig(serverCert, serverKey, junk); err == nil {
		t.Error("client CA file without certificates: want error")
	}
	if _, err := MutualServerConfig(serverCert, junk, caFile); err == nil {
		t.Error("junk key: want error")
	}
	if _, err := ClientConfig(ClientOptions{CAFile: caFile, CertFile: clientCert}); !errors.Is(err, ErrKeyPair) {
		t.Errorf("client certificate without key: %v", err)
	}
	if _, err := ClientConfig(ClientOptions{CAFile: caFile, CertFile: clientCert, KeyFile: junk}); err == nil {
		t.Error("client junk key: want error")
	}
	if _, err := PeerIdentity(tls.ConnectionState{}); !errors.Is(err, ErrNoClientCertificate) {
		t.Errorf("PeerIdentity without chains: %v", err)
	}
	if _, err := CertificateIdentity(tls.Certificate{}); err == nil {
		t.Error("CertificateIdentity of an empty certificate: want error")
	}
}
