package main

import (
	"bytes"
	"context"
	"crypto/x509"
	"encoding/pem"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestPKIInitAndIssueEdge(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "pki")
	var out bytes.Buffer
	require.NoError(t, run(context.Background(), []string{"pki", "init", "--dir", dir, "--hosts", "hub.example.org,10.1.2.3"}, &out, &out))
	require.Contains(t, out.String(), "cloud-hub --pki-dir "+dir)
	require.NoError(t, run(context.Background(), []string{"pki", "issue-edge", "--dir", dir, "edge-7"}, &out, &out))

	ca := readCert(t, filepath.Join(dir, caCert))
	edge := readCert(t, filepath.Join(dir, "edge-7.crt"))
	hub := readCert(t, filepath.Join(dir, hubCert))
	require.Equal(t, "edge-7", edge.Subject.CommonName)
	roots := x509.NewCertPool()
	roots.AddCert(ca)
	_, err := edge.Verify(x509.VerifyOptions{Roots: roots, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}})
	require.NoError(t, err)
	_, err = hub.Verify(x509.VerifyOptions{Roots: roots, DNSName: "hub.example.org"})
	require.NoError(t, err)
	fi, err := os.Stat(filepath.Join(dir, "edge-7.key"))
	require.NoError(t, err)
	require.Equal(t, os.FileMode(0o600), fi.Mode().Perm())

	// Nothing is overwritten; bad names and missing CAs are explained.
	require.ErrorIs(t, run(context.Background(), []string{"pki", "init", "--dir", dir}, &out, &out), os.ErrExist)
	require.ErrorIs(t, run(context.Background(), []string{"pki", "issue-edge", "--dir", dir, "edge-7"}, &out, &out), os.ErrExist)
	require.ErrorContains(t, run(context.Background(), []string{"pki", "issue-edge", "--dir", dir, "../evil"}, &out, &out), "edge id")
	require.ErrorContains(t, run(context.Background(), []string{"pki", "issue-edge", "--dir", t.TempDir(), "e"}, &out, &out), "pki init")
	require.ErrorContains(t, run(context.Background(), []string{"pki", "issue-edge", "--dir", dir}, &out, &out), "usage")
	require.ErrorContains(t, run(context.Background(), []string{"pki", "rotate"}, &out, &out), "unknown subcommand")
}

func readCert(t *testing.T, file string) *x509.Certificate {
	b, err := os.ReadFile(file)
	require.NoError(t, err)
	blk, _ := pem.Decode(b)
	require.NotNil(t, blk)
	c, err := x509.ParseCertificate(blk.Bytes)
	require.NoError(t, err)
	return c
}

func TestCheckConfig(t *testing.T) {
	dir := t.TempDir()
	cfg := filepath.Join(dir, "hub.yaml")
	require.NoError(t, os.WriteFile(cfg, []byte("http_addr: 127.0.0.1:9999\nstore:\n  db: postgres://michi:secretpw@db:5432/michi\nclient_ca: /etc/ca.crt\ntls_cert: a\ntls_key: b\n"), 0o600))
	t.Setenv(EnvToken, "from-the-environment-123")
	var out, errOut bytes.Buffer
	require.NoError(t, run(context.Background(), []string{"--config", cfg, "--check-config", "--http-addr", "127.0.0.1:8888"}, &out, &errOut))
	s := out.String()
	require.Contains(t, s, "configuration OK")
	require.Contains(t, s, "http_addr: 127.0.0.1:8888", "a flag wins over the file")
	require.Contains(t, s, "token: '********'", "the token is never printed")
	require.NotContains(t, s, "secretpw")
	require.NotContains(t, s, "from-the-environment")

	// Every problem at once.
	err := run(context.Background(), []string{"--check-config", "--http-addr", "nope", "--token", "short"}, &out, &errOut)
	require.ErrorContains(t, err, "http_addr")
	require.ErrorContains(t, err, "tls_cert, tls_key and client_ca")
	require.ErrorContains(t, err, "token")

	require.NoError(t, os.WriteFile(cfg, []byte("colour: red\n"), 0o600))
	require.ErrorContains(t, run(context.Background(), []string{"--config", cfg}, &out, &errOut), "colour")
	require.ErrorContains(t, run(context.Background(), []string{"serve"}, &out, &errOut), "unexpected argument")
}

// syncBuf is a bytes.Buffer safe for the logger and the test to share.
type syncBuf struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuf) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuf) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func TestServeStartsAndStops(t *testing.T) {
	t.Setenv(EnvToken, "")
	dir := t.TempDir()
	var out bytes.Buffer
	require.NoError(t, run(context.Background(), []string{"pki", "init", "--dir", dir}, &out, &out))
	ctx, cancel := context.WithCancel(context.Background())
	logs := &syncBuf{}
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"--pki-dir", dir, "--db", filepath.Join(dir, "hub.db"), "--http-addr", "127.0.0.1:0",
			"--uplink-addr", "127.0.0.1:0"}, &out, logs)
	}()
	re := regexp.MustCompile(`http=(127\.0\.0\.1:\d+)`)
	var addr string
	require.Eventually(t, func() bool {
		m := re.FindStringSubmatch(logs.String())
		if m != nil {
			addr = m[1]
		}
		return m != nil
	}, 10*time.Second, 10*time.Millisecond, logs.String())
	resp, err := http.Get("http://" + addr + "/healthz")
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)
	// No token configured: the authority endpoint is closed.
	resp, err = http.Post("http://"+addr+"/api/v1/hazards", "application/json", strings.NewReader(`{}`))
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusForbidden, resp.StatusCode)
	cancel()
	select {
	case err := <-done:
		require.NoError(t, err)
	case <-time.After(10 * time.Second):
		t.Fatal("hub did not stop")
	}
	require.Contains(t, logs.String(), "hub stopped")
}

// serve runs the hub with args until stop is called or the test ends and returns its HTTP
// address and its log.
func serve(t *testing.T, args ...string) (addr string, logs *syncBuf, stop func()) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	logs = &syncBuf{}
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, append(args, "--http-addr", "127.0.0.1:0", "--uplink-addr", "127.0.0.1:0"), io.Discard, logs)
	}()
	stop = sync.OnceFunc(func() {
		cancel()
		require.NoError(t, <-done)
	})
	t.Cleanup(stop)
	re := regexp.MustCompile(`http=(127\.0\.0\.1:\d+)`)
	require.Eventually(t, func() bool {
		select {
		case err := <-done:
			done <- err
			return true
		default:
		}
		if m := re.FindStringSubmatch(logs.String()); m != nil {
			addr = m[1]
		}
		return addr != ""
	}, 10*time.Second, 10*time.Millisecond)
	require.NotEmpty(t, addr, logs.String())
	return addr, logs, stop
}

// A hub started with --data-dir and no PKI generates a development PKI there once, says so
// loudly with the next step, and an edge certificate issued from it chains to its CA.
func TestDevelopmentPKIInTheDataDir(t *testing.T) {
	t.Setenv(EnvToken, "")
	data := filepath.Join(t.TempDir(), "hub")
	pki := filepath.Join(data, "pki")

	var out bytes.Buffer
	require.NoError(t, run(context.Background(), []string{"--data-dir", data, "--check-config"}, &out, io.Discard))
	require.Contains(t, out.String(), "client_ca: "+filepath.Join(pki, caCert))
	require.Contains(t, out.String(), "db: "+filepath.Join(data, "michi-hub.db"))
	require.NoDirExists(t, data, "--check-config writes nothing")

	_, logs, stop := serve(t, "--data-dir", data)
	require.Contains(t, logs.String(), "DEVELOPMENT PKI")
	require.Contains(t, logs.String(), "generated=true")
	require.Contains(t, logs.String(), "cloud-hub pki issue-edge --dir "+pki+" EDGE-ID")
	stop()
	require.FileExists(t, filepath.Join(data, "michi-hub.db"))
	require.NoError(t, run(context.Background(), []string{"pki", "issue-edge", "--dir", pki, "edge-a"}, &out, &out))
	roots := x509.NewCertPool()
	roots.AddCert(readCert(t, filepath.Join(pki, caCert)))
	_, err := readCert(t, filepath.Join(pki, "edge-a.crt")).Verify(x509.VerifyOptions{Roots: roots, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}})
	require.NoError(t, err)
	caBefore, err := os.ReadFile(filepath.Join(pki, caCert))
	require.NoError(t, err)

	// The second start uses the same CA, so the edge's certificate stays good.
	_, logs, _ = serve(t, "--data-dir", data)
	require.Contains(t, logs.String(), "generated=false")
	caAfter, err := os.ReadFile(filepath.Join(pki, caCert))
	require.NoError(t, err)
	require.Equal(t, caBefore, caAfter)
}

// A data dir with certificates given is only a data dir: no development PKI is made.
func TestDataDirWithAPKIMakesNone(t *testing.T) {
	t.Setenv(EnvToken, "")
	dir := t.TempDir()
	pki := filepath.Join(dir, "real-pki")
	require.NoError(t, run(context.Background(), []string{"pki", "init", "--dir", pki}, io.Discard, io.Discard))
	data := filepath.Join(dir, "data")
	for _, args := range [][]string{
		{"--pki-dir", pki},
		{"--tls-cert", filepath.Join(pki, hubCert), "--tls-key", filepath.Join(pki, hubKey), "--client-ca", filepath.Join(pki, caCert)},
	} {
		_, logs, stop := serve(t, append(args, "--data-dir", data)...)
		stop()
		require.NotContains(t, logs.String(), "DEVELOPMENT PKI", args)
		require.NoDirExists(t, filepath.Join(data, "pki"), args)
		require.FileExists(t, filepath.Join(data, "michi-hub.db"))
	}
}

// Without any PKI and without a data dir the hub does not start, and says what to do.
func TestNoPKIGivesTheNextStep(t *testing.T) {
	t.Chdir(t.TempDir())
	err := run(context.Background(), nil, io.Discard, io.Discard)
	require.ErrorContains(t, err, "cloud-hub pki init --dir pki")
	require.ErrorContains(t, err, "--data-dir DIR for a development PKI")
	entries, _ := os.ReadDir(".")
	require.Empty(t, entries, "nothing written")
}
