package quicconn

import (
	"context"
	"crypto/tls"
	"errors"
	"net"
	"sync"
	"time"

	"github.com/quic-go/quic-go"
)

// ListenConfig holds the listener's own settings; its zero value means the defaults.
type ListenConfig struct {
	// StreamTimeout bounds how long an accepted QUIC connection may take to open its stream
	// (in practice: to send its first bytes). Zero means DefaultStreamTimeout.
	StreamTimeout time.Duration
	// Linger bounds how long Conn.Close keeps the QUIC connection open for the peer to read what
	// was written before Close. Zero means DefaultLinger; negative closes at once.
	Linger time.Duration
}

// Listener accepts QUIC connections and returns each one's first client-initiated bidirectional
// stream as a net.Conn.
//
// Lock rule: mu guards closed and conns only; nothing is called with mu held except
// sync.WaitGroup.Add and starting a goroutine.
type Listener struct {
	tr      *quic.Transport
	ql      *quic.Listener
	ownedPC net.PacketConn // closed by Close; nil when the caller owns the socket

	streamTimeout time.Duration
	linger        time.Duration

	ctx    context.Context // cancelled by Close, ends the stream waiters
	cancel context.CancelFunc
	ready  chan *Conn // streams accepted, waiting for Accept

	mu     sync.Mutex
	closed bool
	// conns holds every live connection accepted, with or without a stream yet; true marks one
	// whose Conn was closed and which a lingerer will close.
	conns map[*quic.Conn]bool
	wg    sync.WaitGroup // the accept loop, stream waiters and lingerers

	failOnce sync.Once
	failed   chan struct{} // closed when the accept loop ends
	failErr  error         // why, written before failed is closed

	closeOnce sync.Once
}

var _ net.Listener = (*Listener)(nil)

// Listen serves QUIC on pc, which stays the caller's: Close does not close it. tlsConf must hold
// a certificate; ALPN "mqtt" is offered when tlsConf.NextProtos is empty. quicConf may be nil; see
// the package documentation for the defaults filled in.
func Listen(pc net.PacketConn, tlsConf *tls.Config, quicConf *quic.Config) (*Listener, error) {
	return ListenConfig{}.Listen(pc, tlsConf, quicConf)
}

// ListenAddr opens a UDP socket on addr ("127.0.0.1:0" for tests) and serves QUIC on it, like
// Listen; Close closes the socket.
func ListenAddr(addr string, tlsConf *tls.Config, quicConf *quic.Config) (*Listener, error) {
	return ListenConfig{}.ListenAddr(addr, tlsConf, quicConf)
}

// ListenAddr is the package's ListenAddr with lc's settings.
func (lc ListenConfig) ListenAddr(addr string, tlsConf *tls.Config, quicConf *quic.Config) (*Listener, error) {
	if tlsConf == nil {
		return nil, ErrNoTLSConfig
	}
	udpAddr, err := net.ResolveUDPAddr("udp", addr)
	if err != nil {
		return nil, err
	}
	pc, err := net.ListenUDP("udp", udpAddr)
	if err != nil {
		return nil, err
	}
	l, err := lc.listen(pc, tlsConf, quicConf)
	if err != nil {
		_ = pc.Close()
		return nil, err
	}
	l.ownedPC = pc
	return l, nil
}

// Listen is the package's Listen with lc's settings.
func (lc ListenConfig) Listen(pc net.PacketConn, tlsConf *tls.Config, quicConf *quic.Config) (*Listener, error) {
	return lc.listen(pc, tlsConf, quicConf)
}

func (lc ListenConfig) listen(pc net.PacketConn, tlsConf *tls.Config, quicConf *quic.Config) (*Listener, error) {
	tc, err := tlsConfig(tlsConf)
	if err != nil {
		return nil, err
	}
	if len(tc.Certificates) == 0 && tc.GetCertificate == nil && tc.GetConfigForClient == nil {
		return nil, ErrNoCertificate
	}
	tr := &quic.Transport{Conn: pc}
	ql, err := tr.Listen(tc, quicConfig(quicConf, true))
	if err != nil {
		_ = tr.Close()
		return nil, err
	}
	ctx, cancel := context.WithCancel(context.Background())
	l := &Listener{
		tr:            tr,
		ql:            ql,
		streamTimeout: orDefault(lc.StreamTimeout, DefaultStreamTimeout),
		linger:        orDefault(lc.Linger, DefaultLinger),
		ctx:           ctx,
		cancel:        cancel,
		ready:         make(chan *Conn),
		conns:         make(map[*quic.Conn]bool),
		failed:        make(chan struct{}),
	}
	l.wg.Add(1)
	go l.acceptLoop()
	return l, nil
}

// Accept waits for the next client stream. After Close it returns an error wrapping
// net.ErrClosed.
func (l *Listener) Accept() (net.Conn, error) {
	select {
	case c := <-l.ready:
		return c, nil
	case <-l.failed:
		return nil, &net.OpError{Op: "accept", Net: "quic", Addr: l.Addr(), Err: l.failErr}
	}
}

// Addr returns the UDP address the listener serves on.
func (l *Listener) Addr() net.Addr { return l.ql.Addr() }

// Close stops accepting and closes every connection the listener accepted with CodeNoError:
// a connection whose Conn has been closed already gets the rest of its linger to deliver what was
// written before (so a broker that closes its clients and then its listener, as mochi-mqtt does,
// still gets its last packets out), the others are closed at once. Close then waits for the
// listener's goroutines and closes the UDP socket if ListenAddr opened it. It is idempotent.
func (l *Listener) Close() error {
	var err error
	l.closeOnce.Do(func() {
		l.mu.Lock()
		l.closed = true
		conns := make([]*quic.Conn, 0, len(l.conns))
		for qc, lingering := range l.conns {
			if !lingering {
				conns = append(conns, qc)
			}
		}
		l.mu.Unlock()

		_ = l.ql.Close() // ends acceptLoop once it has drained quic-go's queue
		l.cancel()       // ends the stream waiters
		for _, qc := range conns {
			_ = qc.CloseWithError(CodeNoError, "")
		}
		l.wg.Wait()
		l.fail(net.ErrClosed)
		err = l.tr.Close()
		if l.ownedPC != nil {
			if cerr := l.ownedPC.Close(); err == nil {
				err = cerr
			}
		}
	})
	return err
}

func (l *Listener) fail(err error) {
	l.failOnce.Do(func() {
		l.failErr = err
		close(l.failed)
	})
}

// acceptLoop accepts QUIC connections until the QUIC listener is closed. After Close it goes on
// accepting the connections quic-go had queued, only to close them properly.
func (l *Listener) acceptLoop() {
	defer l.wg.Done()
	for {
		qc, err := l.ql.Accept(context.Background())
		if err != nil {
			if errors.Is(err, quic.ErrServerClosed) {
				err = net.ErrClosed
			}
			l.fail(err)
			return
		}
		if !l.track(qc) {
			_ = qc.CloseWithError(CodeNoError, "")
			continue
		}
		l.wg.Add(1) // the counter is at least 1 (this goroutine), so Add may race with Wait
		go l.awaitStream(qc)
	}
}

// track registers qc for Close, and forgets it once it has ended. It reports false when the
// listener is closing.
func (l *Listener) track(qc *quic.Conn) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		return false
	}
	l.conns[qc] = false
	context.AfterFunc(qc.Context(), func() {
		l.mu.Lock()
		delete(l.conns, qc)
		l.mu.Unlock()
	})
	return true
}

// awaitStream waits, bounded by the stream timeout, for qc's first bidirectional stream and hands
// it to Accept.
func (l *Listener) awaitStream(qc *quic.Conn) {
	defer l.wg.Done()
	ctx, cancel := context.WithTimeout(l.ctx, l.streamTimeout)
	str, err := qc.AcceptStream(ctx)
	cancel()
	if err != nil {
		if l.ctx.Err() == nil { // timed out, or the connection failed
			_ = qc.CloseWithError(CodeNoStream, "no stream opened")
		}
		return
	}
	c := newConn(qc, str, l.linger, l.spawn)
	select {
	case l.ready <- c:
	case <-l.ctx.Done():
		// Close closes qc.
	}
}

// spawn runs f, the lingering Close of qc, in a goroutine Close waits for, unless the listener
// is closing.
func (l *Listener) spawn(qc *quic.Conn, f func()) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		return false
	}
	if _, live := l.conns[qc]; live {
		l.conns[qc] = true
	}
	l.wg.Add(1)
	go func() {
		defer l.wg.Done()
		f()
	}()
	return true
}
