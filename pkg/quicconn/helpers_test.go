package quicconn

import (
	"context"
	"crypto/tls"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/michi-v2x/michi/internal/tlsconf"
)

var (
	certOnce             sync.Once
	serverTLS, clientTLS *tls.Config
	certErr              error
)

// testTLS returns a server configuration with a generated certificate and a client
// configuration pinning it, both without ALPN so that the package default applies.
func testTLS(t testing.TB) (server, client *tls.Config) {
	t.Helper()
	certOnce.Do(func() {
		var fp string
		serverTLS, fp, _, certErr = tlsconf.ServerConfig("", "")
		if certErr != nil {
			return
		}
		clientTLS, certErr = tlsconf.ClientConfig(tlsconf.ClientOptions{PinnedFingerprint: fp})
	})
	if certErr != nil {
		t.Fatal(certErr)
	}
	return serverTLS, clientTLS
}

// newListener starts a listener on 127.0.0.1:0 and closes it when the test ends.
func newListener(t testing.TB, lc ListenConfig) *Listener {
	t.Helper()
	server, _ := testTLS(t)
	l, err := lc.ListenAddr("127.0.0.1:0", server, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	return l
}

// dial connects to l and closes the connection when the test ends.
func dial(t testing.TB, l *Listener) net.Conn {
	t.Helper()
	_, client := testTLS(t)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, err := Dial(ctx, l.Addr().String(), client, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// accept returns the listener's next connection or fails the test after a timeout.
func accept(t testing.TB, l *Listener) net.Conn {
	t.Helper()
	type result struct {
		c   net.Conn
		err error
	}
	ch := make(chan result, 1)
	go func() {
		c, err := l.Accept()
		ch <- result{c, err}
	}()
	select {
	case r := <-ch:
		if r.err != nil {
			t.Fatal(r.err)
		}
		t.Cleanup(func() { r.c.Close() })
		return r.c
	case <-time.After(10 * time.Second):
		t.Fatal("Accept did not return")
		return nil
	}
}

// within fails the test unless ch delivers within d, and returns what it delivered.
func within[T any](t testing.TB, d time.Duration, what string, ch <-chan T) T {
	t.Helper()
	select {
	case v := <-ch:
		return v
	case <-time.After(d):
		t.Fatalf("%s: nothing after %v", what, d)
		var zero T
		return zero
	}
}
