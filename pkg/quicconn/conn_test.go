package quicconn

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/quic-go/quic-go"

	"github.com/michi-v2x/michi/internal/testutil"
)

// inStreamRead reports an error unless some goroutine is inside a QUIC stream's Read, which the
// tests below use to know that a Read is pending.
func inStreamRead() error {
	buf := make([]byte, 1<<20)
	buf = buf[:runtime.Stack(buf, true)]
	if !bytes.Contains(buf, []byte("quic-go.(*ReceiveStream).Read(")) {
		return errors.New("no goroutine is in a stream Read yet")
	}
	return nil
}

func port(a net.Addr) int { return a.(*net.UDPAddr).Port }

// echo copies everything c reads back to it until EOF, then closes c.
func echo(c net.Conn) {
	_, _ = io.Copy(c, c)
	_ = c.Close()
}

func TestEcho(t *testing.T) {
	l := newListener(t, ListenConfig{})
	client := dial(t, l)
	// The server sees the stream once the client sends on it.
	if _, err := client.Write([]byte("hello over quic")); err != nil {
		t.Fatal(err)
	}
	server := accept(t, l)
	go echo(server)

	got := make([]byte, len("hello over quic"))
	if _, err := io.ReadFull(client, got); err != nil {
		t.Fatal(err)
	}
	if string(got) != "hello over quic" {
		t.Fatalf("echo = %q", got)
	}

	if client.RemoteAddr().String() != l.Addr().String() {
		t.Errorf("client RemoteAddr = %v, listener at %v", client.RemoteAddr(), l.Addr())
	}
	// The client's socket is bound to the wildcard address; the ports must agree.
	if port(server.RemoteAddr()) != port(client.LocalAddr()) {
		t.Errorf("server RemoteAddr = %v, client LocalAddr = %v", server.RemoteAddr(), client.LocalAddr())
	}
	if server.LocalAddr().String() != l.Addr().String() {
		t.Errorf("server LocalAddr = %v, listener at %v", server.LocalAddr(), l.Addr())
	}
	if _, ok := client.RemoteAddr().(*net.UDPAddr); !ok {
		t.Errorf("RemoteAddr is %T, want *net.UDPAddr", client.RemoteAddr())
	}
	for name, c := range map[string]net.Conn{"client": client, "server": server} {
		cs := c.(*Conn).ConnectionState()
		if cs.NegotiatedProtocol != ALPN || !cs.HandshakeComplete {
			t.Errorf("%s: ALPN %q, handshake complete %v", name, cs.NegotiatedProtocol, cs.HandshakeComplete)
		}
	}

	// The client closes; the echo ends with EOF and closes its side; the client's connection is done.
	if err := client.Close(); err != nil {
		t.Fatal(err)
	}
	if err := client.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	within(t, 10*time.Second, "server connection closed", server.(*Conn).QUIC().Context().Done())
}

func TestManyConcurrentConnections(t *testing.T) {
	const clients = 32
	const size = 32 << 10
	l := newListener(t, ListenConfig{})
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			go echo(c)
		}
	}()

	var wg sync.WaitGroup
	errs := make(chan error, clients)
	for i := range clients {
		wg.Go(func() {
			c := dial(t, l)
			payload := make([]byte, size)
			_, _ = rand.Read(payload)
			go func() { _, _ = c.Write(payload) }()
			got := make([]byte, size)
			if _, err := io.ReadFull(c, got); err != nil {
				errs <- fmt.Errorf("client %d: %w", i, err)
				return
			}
			if !bytes.Equal(got, payload) {
				errs <- fmt.Errorf("client %d: echo differs", i)
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

func TestSilentClientDoesNotBlockOthers(t *testing.T) {
	// A stream timeout far beyond the test: the others must not wait for it.
	l := newListener(t, ListenConfig{StreamTimeout: time.Hour})
	_, clientTLS := testTLS(t)
	clientTLS = clientTLS.Clone()
	clientTLS.NextProtos = []string{ALPN}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for range 3 {
		silent, err := quic.DialAddr(ctx, l.Addr().String(), clientTLS, nil)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { silent.CloseWithError(0, "") })
	}
	// A client that opens a stream but has sent nothing is just as silent to the server.
	_ = dial(t, l)

	talker := dial(t, l)
	if _, err := talker.Write([]byte("ping")); err != nil {
		t.Fatal(err)
	}
	server := accept(t, l)
	if port(server.RemoteAddr()) != port(talker.LocalAddr()) {
		t.Fatalf("accepted %v, want the talking client %v", server.RemoteAddr(), talker.LocalAddr())
	}
	buf := make([]byte, 4)
	if _, err := io.ReadFull(server, buf); err != nil || string(buf) != "ping" {
		t.Fatalf("read %q, %v", buf, err)
	}
}

func TestSilentClientIsClosedAfterStreamTimeout(t *testing.T) {
	l := newListener(t, ListenConfig{StreamTimeout: 100 * time.Millisecond})
	_, clientTLS := testTLS(t)
	clientTLS = clientTLS.Clone()
	clientTLS.NextProtos = []string{ALPN}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	silent, err := quic.DialAddr(ctx, l.Addr().String(), clientTLS, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer silent.CloseWithError(0, "")
	within(t, 10*time.Second, "silent connection closed", silent.Context().Done())
	appErr, ok := errors.AsType[*quic.ApplicationError](context.Cause(silent.Context()))
	if !ok || !appErr.Remote || appErr.ErrorCode != CodeNoStream {
		t.Fatalf("silent client closed with %v, want remote application error %d", context.Cause(silent.Context()), CodeNoStream)
	}
}

// connPair returns a connected client and server Conn.
func connPair(t *testing.T, lc ListenConfig) (client, server *Conn) {
	t.Helper()
	l := newListener(t, lc)
	c := dial(t, l)
	if _, err := c.Write([]byte{0}); err != nil {
		t.Fatal(err)
	}
	s := accept(t, l)
	if _, err := io.ReadFull(s, make([]byte, 1)); err != nil {
		t.Fatal(err)
	}
	return c.(*Conn), s.(*Conn)
}

func TestCloseUnblocksPendingRead(t *testing.T) {
	for _, side := range []string{"server", "client"} {
		t.Run(side, func(t *testing.T) {
			client, server := connPair(t, ListenConfig{})
			closer, peer := server, client
			if side == "client" {
				closer, peer = client, server
			}
			readErr := make(chan error, 1)
			go func() {
				_, err := closer.Read(make([]byte, 10))
				readErr <- err
			}()
			testutil.CheckFor(t, 5*time.Second, inStreamRead)
			if err := closer.Close(); err != nil {
				t.Fatal(err)
			}
			if err := within(t, 5*time.Second, "pending Read after Close", readErr); !errors.Is(err, net.ErrClosed) {
				t.Fatalf("Read after Close: %v, want net.ErrClosed", err)
			}
			if _, err := closer.Write([]byte("x")); !errors.Is(err, net.ErrClosed) {
				t.Errorf("Write after Close: %v", err)
			}
			if err := closer.SetDeadline(time.Now()); !errors.Is(err, net.ErrClosed) {
				t.Errorf("SetDeadline after Close: %v", err)
			}
			// The peer sees a clean end.
			peerErr := make(chan error, 1)
			go func() {
				_, err := peer.Read(make([]byte, 10))
				peerErr <- err
			}()
			if err := within(t, 5*time.Second, "peer Read", peerErr); err != io.EOF {
				t.Fatalf("peer Read: %v, want io.EOF", err)
			}
		})
	}
}

// Data written just before Close reaches a peer that reads it only later: Close does not tear
// the connection down under it.
func TestCloseDeliversWrittenData(t *testing.T) {
	// A long linger: the server's connection must end because the client finished, not by timer.
	client, server := connPair(t, ListenConfig{Linger: time.Hour})
	payload := make([]byte, 256<<10)
	_, _ = rand.Read(payload)
	if _, err := server.Write(payload); err != nil {
		t.Fatal(err)
	}
	if err := server.Close(); err != nil {
		t.Fatal(err)
	}
	got, err := io.ReadAll(client)
	if err != nil {
		t.Fatalf("ReadAll: %v after %d bytes", err, len(got))
	}
	if !bytes.Equal(got, payload) {
		t.Fatalf("got %d bytes, want the %d written", len(got), len(payload))
	}
	select {
	case <-server.QUIC().Context().Done():
		t.Fatal("server closed the QUIC connection before the client finished")
	default:
	}
	client.Close()
	within(t, 10*time.Second, "server connection closed after the client finished", server.QUIC().Context().Done())
	within(t, 10*time.Second, "client connection closed", client.QUIC().Context().Done())
}

func TestCloseReleasesBlockedWrite(t *testing.T) {
	client, server := connPair(t, ListenConfig{})
	// The client reads nothing, so the server's Write blocks on flow control.
	const size = 64 << 20
	writeErr := make(chan error, 1)
	go func() {
		_, err := server.Write(make([]byte, size))
		writeErr <- err
	}()
	testutil.CheckFor(t, 10*time.Second, func() error {
		if server.writeMu.TryLock() {
			server.writeMu.Unlock()
			return errors.New("Write not started")
		}
		if server.QUIC().ConnectionStats().BytesSent < 256<<10 {
			return errors.New("Write not yet blocked on flow control")
		}
		return nil
	})
	server.Close()
	if err := within(t, 5*time.Second, "blocked Write after Close", writeErr); !errors.Is(err, net.ErrClosed) {
		t.Fatalf("Write: %v, want net.ErrClosed", err)
	}
	// The client gets the part that was written, then the end.
	n, err := io.Copy(io.Discard, client)
	if err != nil || n == 0 || n >= size {
		t.Fatalf("client read %d bytes, %v; want part of the %d and io.EOF", n, err, size)
	}
}

func TestDeadlines(t *testing.T) {
	client, server := connPair(t, ListenConfig{})
	if err := server.SetReadDeadline(time.Now().Add(20 * time.Millisecond)); err != nil {
		t.Fatal(err)
	}
	_, err := server.Read(make([]byte, 1))
	if !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("Read past deadline: %v, want os.ErrDeadlineExceeded", err)
	}
	if ne, ok := errors.AsType[net.Error](err); !ok || !ne.Timeout() {
		t.Fatalf("Read past deadline: %v is not a net.Error timeout", err)
	}
	// Clearing the deadline makes the connection usable again.
	if err := server.SetDeadline(time.Time{}); err != nil {
		t.Fatal(err)
	}
	if _, err := client.Write([]byte("late")); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 4)
	if _, err := io.ReadFull(server, buf); err != nil || string(buf) != "late" {
		t.Fatalf("read %q, %v", buf, err)
	}
	if err := client.SetWriteDeadline(time.Now().Add(-time.Second)); err != nil {
		t.Fatal(err)
	}
	if _, err := client.Write([]byte("x")); !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("Write past deadline: %v", err)
	}
}

// quic-go lets a client move to a new address (a vehicle changing networks) without the server
// doing anything: the same Conn goes on, and RemoteAddr reports the new address.
func TestClientMigrationIsTransparentToTheServer(t *testing.T) {
	// The new path's socket, closed after the connections (cleanups run last-in first-out).
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	tr := &quic.Transport{Conn: pc}
	t.Cleanup(func() { tr.Close(); pc.Close() })

	client, server := connPair(t, ListenConfig{})
	before := server.RemoteAddr().String()
	path, err := client.QUIC().AddPath(tr)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := path.Probe(ctx); err != nil {
		t.Fatalf("probe: %v", err)
	}
	if err := path.Switch(); err != nil {
		t.Fatalf("switch: %v", err)
	}
	// client.LocalAddr is not consulted: in quic-go v0.65 the client's path switch replaces the
	// socket without synchronisation, so reading it now would race (see the package doc).

	if _, err := client.Write([]byte("from the new path")); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, len("from the new path"))
	if _, err := io.ReadFull(server, buf); err != nil {
		t.Fatal(err)
	}
	// The server moves to the new path once it has validated it (its PATH_CHALLENGE answered),
	// which can come after the first data from there.
	for deadline := time.Now().Add(5 * time.Second); server.RemoteAddr().String() != pc.LocalAddr().String(); {
		if time.Now().After(deadline) {
			t.Fatalf("server RemoteAddr = %v (was %v), want the new path %v", server.RemoteAddr(), before, pc.LocalAddr())
		}
		time.Sleep(10 * time.Millisecond)
	}
	if _, err := server.Write([]byte("ok")); err != nil {
		t.Fatal(err)
	}
	if _, err := io.ReadFull(client, buf[:2]); err != nil || string(buf[:2]) != "ok" {
		t.Fatalf("reply on the new path: %q, %v", buf[:2], err)
	}
}
