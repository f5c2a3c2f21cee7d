package tlsconf

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestClientConfigChoosesVerification(t *testing.T) {
	cert, err := DevCertificate()
	if err != nil {
		t.Fatal(err)
	}
	certFile, _ := writePEM(t, cert)
	fp := Fingerprint(cert.Leaf)
	for _, tc := range []struct {
		name string
		opts ClientOptions
		want error
	}{
		{"none", ClientOptions{ServerName: "x", ALPN: []string{"mqtt"}}, ErrNoVerification},
		{"insecure and pin", ClientOptions{Insecure: true, PinnedFingerprint: fp}, ErrConflictingVerification},
		{"insecure and CA", ClientOptions{Insecure: true, CAFile: certFile}, ErrConflictingVerification},
		{"bad pin", ClientOptions{PinnedFingerprint: "12:34"}, ErrBadFingerprint},
	} {
		if _, err := ClientConfig(tc.opts); !errors.Is(err, tc.want) {
			t.Errorf("%s: err = %v, want %v", tc.name, err, tc.want)
		}
	}

	if _, err := ClientConfig(ClientOptions{CAFile: filepath.Join(t.TempDir(), "missing.pem")}); err == nil {
		t.Error("missing CA file: want error")
	}
	empty := filepath.Join(t.TempDir(), "empty.pem")
	if err := os.WriteFile(empty, []byte("not pem\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := ClientConfig(ClientOptions{CAFile: empty}); err == nil {
		t.Error("CA file without certificates: want error")
	}

	conf, err := ClientConfig(ClientOptions{Insecure: true, ServerName: "edge", ALPN: []string{"mqtt"}})
	if err != nil {
		t.Fatal(err)
	}
	if !conf.InsecureSkipVerify || conf.ServerName != "edge" || strings.Join(conf.NextProtos, ",") != "mqtt" {
		t.Errorf("insecure config = %+v", conf)
	}
}

func TestClientConfigPinnedHandshake(t *testing.T) {
	serverConf, fp, _, err := ServerConfig("", "")
	if err != nil {
		t.Fatal(err)
	}

	t.Run("match", func(t *testing.T) {
		conf, err := ClientConfig(ClientOptions{PinnedFingerprint: strings.ToLower(strings.ReplaceAll(fp, ":", ""))})
		if err != nil {
			t.Fatal(err)
		}
		// The dialled name is not in the certificate: a pin does not depend on names.
		cs, err := handshake(t, serverConf, conf, "127.0.0.1")
		if err != nil {
			t.Fatalf("pinned handshake: %v", err)
		}
		if Fingerprint(cs.PeerCertificates[0]) != fp {
			t.Error("connected to a different certificate")
		}
	})

	t.Run("mismatch", func(t *testing.T) {
		other, err := DevCertificate()
		if err != nil {
			t.Fatal(err)
		}
		conf, err := ClientConfig(ClientOptions{PinnedFingerprint: Fingerprint(other.Leaf)})
		if err != nil {
			t.Fatal(err)
		}
		_, err = handshake(t, serverConf, conf, "127.0.0.1")
		if !errors.Is(err, ErrPinMismatch) {
			t.Fatalf("err = %v, want ErrPinMismatch", err)
		}
	})

	t.Run("pin and CA both checked", func(t *testing.T) {
		certFile, _ := writePEM(t, serverConf.Certificates[0])
		conf, err := ClientConfig(ClientOptions{CAFile: certFile, PinnedFingerprint: fp})
		if err != nil {
			t.Fatal(err)
		}
		if conf.InsecureSkipVerify {
			t.Fatal("chain verification switched off although a CA file was given")
		}
		if _, err := handshake(t, serverConf, conf, "127.0.0.1"); err != nil {
			t.Fatalf("CA + pin: %v", err)
		}
		other, err := DevCertificate()
		if err != nil {
			t.Fatal(err)
		}
		conf, err = ClientConfig(ClientOptions{CAFile: certFile, PinnedFingerprint: Fingerprint(other.Leaf)})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := handshake(t, serverConf, conf, "127.0.0.1"); !errors.Is(err, ErrPinMismatch) {
			t.Fatalf("CA + wrong pin: err = %v, want ErrPinMismatch", err)
		}
	})
}

func TestClientConfigCAFileHandshake(t *testing.T) {
	serverCert, err := DevCertificate("edge.example")
	if err != nil {
		t.Fatal(err)
	}
	serverConf := &tls.Config{Certificates: []tls.Certificate{serverCert}}
	caFile, _ := writePEM(t, serverCert)

	conf, err := ClientConfig(ClientOptions{CAFile: caFile})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := handshake(t, serverConf, conf, "127.0.0.1"); err != nil {
		t.Fatalf("trusted CA, IP SAN: %v", err)
	}

	conf, err = ClientConfig(ClientOptions{CAFile: caFile, ServerName: "edge.example"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := handshake(t, serverConf, conf, "127.0.0.1"); err != nil {
		t.Fatalf("trusted CA, ServerName override: %v", err)
	}

	conf, err = ClientConfig(ClientOptions{CAFile: caFile, ServerName: "elsewhere.example"})
	if err != nil {
		t.Fatal(err)
	}
	var hostErr x509.HostnameError
	if _, err := handshake(t, serverConf, conf, "127.0.0.1"); !errors.As(err, &hostErr) {
		t.Fatalf("name not in certificate: err = %v, want x509.HostnameError", err)
	}

	stranger, err := DevCertificate()
	if err != nil {
		t.Fatal(err)
	}
	strangerFile, _ := writePEM(t, stranger)
	conf, err = ClientConfig(ClientOptions{CAFile: strangerFile})
	if err != nil {
		t.Fatal(err)
	}
	var unknown x509.UnknownAuthorityError
	if _, err := handshake(t, serverConf, conf, "127.0.0.1"); !errors.As(err, &unknown) {
		t.Fatalf("untrusted server: err = %v, want x509.UnknownAuthorityError", err)
	}
}

func TestClientConfigInsecureHandshake(t *testing.T) {
	serverConf, _, _, err := ServerConfig("", "")
	if err != nil {
		t.Fatal(err)
	}
	conf, err := ClientConfig(ClientOptions{Insecure: true, ServerName: "anything.invalid"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := handshake(t, serverConf, conf, "127.0.0.1"); err != nil {
		t.Fatalf("insecure handshake: %v", err)
	}
}
