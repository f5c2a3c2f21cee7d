package quicconn

import (
	"context"
	"crypto/tls"
	"errors"
	"io"
	"net"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/quic-go/quic-go"
)

// Conn is one QUIC connection's single bidirectional stream as a net.Conn. It is safe for
// concurrent use as a net.Conn is: one Read and any number of Writes (serialised) at a time, and
// Close or the deadline setters from any goroutine.
type Conn struct {
	qc     *quic.Conn
	str    *quic.Stream
	linger time.Duration
	// spawn runs f, the lingering close of qc, in a goroutine its owner (a Listener) waits for,
	// or reports false when the owner is closing. Nil for a dialled connection.
	spawn func(qc *quic.Conn, f func()) bool

	// writeMu serialises Writes and the stream's Close, which quic-go forbids concurrently.
	writeMu sync.Mutex
	// deadlineMu orders the deadline setters against Close, so that a deadline set concurrently
	// with Close cannot re-arm a Read that Close has released.
	deadlineMu sync.Mutex
	closed     atomic.Bool
	closeOnce  sync.Once
	// peerDone is closed when the final size of the peer's side is known: it sent FIN or a reset.
	peerDone chan struct{}
}

var _ net.Conn = (*Conn)(nil)

func newConn(qc *quic.Conn, str *quic.Stream, linger time.Duration, spawn func(*quic.Conn, func()) bool) *Conn {
	c := &Conn{qc: qc, str: str, linger: linger, spawn: spawn, peerDone: make(chan struct{})}
	var once sync.Once
	// Called at once if the final size is known already, else later from quic-go's event loop
	// (must not block).
	str.SetReceiveFinalSizeCallback(func(int64) { once.Do(func() { close(c.peerDone) }) })
	return c
}

// Read reads from the stream. After Close it returns net.ErrClosed; after everything the peer
// wrote, io.EOF; ErrPeerClosed when the peer closed before its side of the stream ended.
func (c *Conn) Read(p []byte) (int, error) {
	if c.closed.Load() {
		return 0, net.ErrClosed
	}
	n, err := c.str.Read(p)
	if err != nil {
		err = c.readErr(err)
	}
	return n, err
}

// Write writes to the stream. Concurrent Writes are serialised.
func (c *Conn) Write(p []byte) (int, error) {
	c.writeMu.Lock()
	defer c.writeMu.Unlock()
	if c.closed.Load() {
		return 0, net.ErrClosed
	}
	n, err := c.str.Write(p)
	if err != nil {
		err = c.writeErr(err)
	}
	return n, err
}

// Close ends the stream and then the connection; see the package documentation for the order.
// It returns at once, without waiting for the peer, and is idempotent.
func (c *Conn) Close() error {
	c.closeOnce.Do(func() {
		c.deadlineMu.Lock()
		c.closed.Store(true)
		// Release a pending Read and a Write blocked on flow control now. The read side is not
		// cancelled (no STOP_SENDING): the peer would reset its side at once, ending the linger
		// before it has read what was written here.
		past := time.Unix(1, 0)
		_ = c.str.SetReadDeadline(past)
		_ = c.str.SetWriteDeadline(past)
		c.deadlineMu.Unlock()

		// A Write in progress finishes promptly (what it handed to QUIC so far is kept), then
		// the FIN follows the data.
		c.writeMu.Lock()
		_ = c.str.Close()
		c.writeMu.Unlock()

		switch {
		case c.spawn == nil: // a dialled connection: nobody to wait for the goroutine
			go c.lingerThenClose()
		case !c.spawn(c.qc, c.lingerThenClose): // the listener is closing: no linger
			_ = c.qc.CloseWithError(CodeNoError, "")
		}
	})
	return nil
}

// lingerThenClose closes the QUIC connection once the peer has finished its side of the stream,
// the connection has ended, or the linger time has passed.
func (c *Conn) lingerThenClose() {
	if c.linger > 0 {
		t := time.NewTimer(c.linger)
		select {
		case <-c.peerDone:
		case <-c.qc.Context().Done():
		case <-t.C:
		}
		t.Stop()
	}
	_ = c.qc.CloseWithError(CodeNoError, "")
}

// LocalAddr returns the local address of the QUIC connection.
func (c *Conn) LocalAddr() net.Addr { return c.qc.LocalAddr() }

// RemoteAddr returns the peer's current address; it changes when the client migrates.
func (c *Conn) RemoteAddr() net.Addr { return c.qc.RemoteAddr() }

// SetDeadline sets the read and write deadlines of the stream.
func (c *Conn) SetDeadline(t time.Time) error {
	c.deadlineMu.Lock()
	defer c.deadlineMu.Unlock()
	if c.closed.Load() {
		return net.ErrClosed
	}
	return c.str.SetDeadline(t)
}

// SetReadDeadline sets the stream's read deadline.
func (c *Conn) SetReadDeadline(t time.Time) error {
	c.deadlineMu.Lock()
	defer c.deadlineMu.Unlock()
	if c.closed.Load() {
		return net.ErrClosed
	}
	return c.str.SetReadDeadline(t)
}

// SetWriteDeadline sets the stream's write deadline.
func (c *Conn) SetWriteDeadline(t time.Time) error {
	c.deadlineMu.Lock()
	defer c.deadlineMu.Unlock()
	if c.closed.Load() {
		return net.ErrClosed
	}
	return c.str.SetWriteDeadline(t)
}

// ConnectionState returns the TLS state of the connection, like (*tls.Conn).ConnectionState,
// so that code inspecting client certificates or ALPN handles TLS and QUIC alike.
func (c *Conn) ConnectionState() tls.ConnectionState { return c.qc.ConnectionState().TLS }

// QUIC returns the underlying QUIC connection, for statistics (RTT, losses) and for a client
// that wants to migrate. Closing it directly skips the linger.
func (c *Conn) QUIC() *quic.Conn { return c.qc }

// readErr translates a quic-go read error into what a net.Conn user expects.
func (c *Conn) readErr(err error) error {
	if err == io.EOF {
		return err
	}
	if c.closed.Load() {
		return net.ErrClosed
	}
	// A clean end of the peer's side is the stream's FIN, reported by quic-go as io.EOF after the
	// last byte. A connection closed, or a stream reset, before that has lost data on the way.
	if appErr, ok := errors.AsType[*quic.ApplicationError](err); ok && appErr.Remote && appErr.ErrorCode == CodeNoError {
		return ErrPeerClosed
	}
	if strErr, ok := errors.AsType[*quic.StreamError](err); ok && strErr.Remote && strErr.ErrorCode == quic.StreamErrorCode(CodeNoError) {
		return ErrPeerClosed // the peer closed while one of its Writes was blocked
	}
	return deadlineErr(err)
}

func (c *Conn) writeErr(err error) error {
	if c.closed.Load() {
		return net.ErrClosed
	}
	return deadlineErr(err)
}

// deadlineErr turns quic-go's deadline error into os.ErrDeadlineExceeded, as net.Conn
// implementations of the standard library return. Idle and handshake timeouts are connection
// failures and stay as they are.
func deadlineErr(err error) error {
	ne, ok := errors.AsType[net.Error](err)
	if !ok || !ne.Timeout() {
		return err
	}
	if _, idle := errors.AsType[*quic.IdleTimeoutError](err); idle {
		return err
	}
	if _, hs := errors.AsType[*quic.HandshakeTimeoutError](err); hs {
		return err
	}
	return os.ErrDeadlineExceeded
}

// Dial connects to a QUIC server at addr and opens the connection's one bidirectional stream, as
// an EMQX-style MQTT-over-QUIC client does. tlsConf is required (see internal/tlsconf for one that
// verifies the server); ALPN "mqtt" is offered when it names no protocol, and the host part of
// addr is the name verified unless tlsConf.ServerName is set. quicConf may be nil.
// ctx bounds the handshake and the opening of the stream, not the returned connection.
// The server learns of the stream when the first bytes are written to it.
//
// The connection has a UDP socket and a quic.Transport of its own, both closed when it ends.
// Unlike quic-go's DialAddr, whose single-use transport uses zero-length connection IDs, this
// transport issues connection IDs, so the connection can migrate (see Conn.QUIC).
func Dial(ctx context.Context, addr string, tlsConf *tls.Config, quicConf *quic.Config) (net.Conn, error) {
	tc, err := tlsConfig(tlsConf)
	if err != nil {
		return nil, err
	}
	raddr, err := net.ResolveUDPAddr("udp", addr)
	if err != nil {
		return nil, err
	}
	if tc.ServerName == "" {
		if host, _, err := net.SplitHostPort(addr); err == nil {
			tc.ServerName = host
		}
	}
	pc, err := net.ListenUDP("udp", nil)
	if err != nil {
		return nil, err
	}
	tr := &quic.Transport{Conn: pc}
	release := func() {
		_ = tr.Close()
		_ = pc.Close()
	}
	qc, err := tr.Dial(ctx, raddr, tc, quicConfig(quicConf, false))
	if err != nil {
		release()
		return nil, err
	}
	context.AfterFunc(qc.Context(), release)
	str, err := qc.OpenStreamSync(ctx)
	if err != nil {
		_ = qc.CloseWithError(CodeNoError, "")
		return nil, err
	}
	return newConn(qc, str, DefaultLinger, nil), nil
}
