package tlsconf

import (
	"crypto/tls"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// writePEM writes cert's PEM files into a temporary directory and returns their paths.
func writePEM(t *testing.T, cert tls.Certificate) (certFile, keyFile string) {
	t.Helper()
	certPEM, keyPEM, err := EncodePEM(cert)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	certFile, keyFile = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	if err := os.WriteFile(certFile, certPEM, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(keyFile, keyPEM, 0o600); err != nil {
		t.Fatal(err)
	}
	return certFile, keyFile
}

func TestServerConfigGenerated(t *testing.T) {
	conf, fp, generated, err := ServerConfig("", "", "mqtt")
	if err != nil {
		t.Fatal(err)
	}
	if !generated {
		t.Error("generated = false for empty file names")
	}
	if len(conf.Certificates) != 1 || conf.Certificates[0].Leaf == nil {
		t.Fatalf("certificates = %+v", conf.Certificates)
	}
	if fp != Fingerprint(conf.Certificates[0].Leaf) {
		t.Errorf("fingerprint %s is not the served certificate's", fp)
	}
	if strings.Join(conf.NextProtos, ",") != "mqtt" {
		t.Errorf("NextProtos = %v", conf.NextProtos)
	}
	if conf.MinVersion < tls.VersionTLS12 {
		t.Errorf("MinVersion = %x", conf.MinVersion)
	}
}

func TestServerConfigFromFiles(t *testing.T) {
	cert, err := DevCertificate("edge.example")
	if err != nil {
		t.Fatal(err)
	}
	certFile, keyFile := writePEM(t, cert)
	conf, fp, generated, err := ServerConfig(certFile, keyFile, "mqtt", "michi-v2x/1")
	if err != nil {
		t.Fatal(err)
	}
	if generated {
		t.Error("generated = true when files were given")
	}
	if fp != Fingerprint(cert.Leaf) {
		t.Errorf("fingerprint = %s, want %s", fp, Fingerprint(cert.Leaf))
	}
	if len(conf.NextProtos) != 2 {
		t.Errorf("NextProtos = %v", conf.NextProtos)
	}
}

func TestServerConfigErrors(t *testing.T) {
	cert, err := DevCertificate()
	if err != nil {
		t.Fatal(err)
	}
	certFile, keyFile := writePEM(t, cert)
	if _, _, _, err := ServerConfig(certFile, ""); !errors.Is(err, ErrKeyPair) {
		t.Errorf("cert without key: err = %v, want ErrKeyPair", err)
	}
	if _, _, _, err := ServerConfig("", keyFile); !errors.Is(err, ErrKeyPair) {
		t.Errorf("key without cert: err = %v, want ErrKeyPair", err)
	}
	if _, _, _, err := ServerConfig(certFile+".missing", keyFile); err == nil {
		t.Error("missing certificate file: want error")
	}
	if _, _, _, err := ServerConfig(keyFile, certFile); err == nil {
		t.Error("swapped files: want error")
	}
}
