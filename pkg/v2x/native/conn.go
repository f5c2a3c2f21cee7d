package native

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/quic-go/quic-go"
)

// Client defaults, applied where a Dialer field is zero.
const (
	DefaultAlertBuffer  = 64
	DefaultPingInterval = 5 * time.Second
	DefaultWriteTimeout = 2 * time.Second
	// DefaultKeepAlivePeriod and DefaultMaxIdleTimeout fill a zero quic.Config: a vehicle wants
	// to notice a dead edge within seconds, and NAT mappings survive 10 s of silence.
	DefaultKeepAlivePeriod = 10 * time.Second
	DefaultMaxIdleTimeout  = 30 * time.Second
	// DefaultMaxAlertStreams is how many alert streams the server may have open at once.
	DefaultMaxAlertStreams = 128
	// alertReadTimeout bounds reading one alert stream, so a server stalling inside one cannot
	// hold a stream slot for ever.
	alertReadTimeout = 10 * time.Second
	// drainWait bounds how long a client told to go (a fatal Error with last_seq) waits for the
	// alerts still in flight.
	drainWait = time.Second
)

// Dialer holds the client's settings; its zero value is ready to use.
type Dialer struct {
	// Transport, if set, is the quic.Transport (and so the UDP socket) the connection is dialed
	// on; many connections may share one, which saves a socket, a reader goroutine and most
	// receive syscalls per connection (a load generator's thousands of vehicles, say). The
	// caller owns it: it must use connection IDs (quic-go's default) and outlive the
	// connection, and the connection does not close it. nil: a transport and socket of the
	// connection's own.
	Transport *quic.Transport
	// QUIC is the base QUIC configuration; nil means quic-go's defaults with
	// DefaultKeepAlivePeriod and DefaultMaxIdleTimeout. It is not modified. Whatever it says,
	// the server may open no bidirectional streams, EnableDatagrams follows DisableDatagrams, and
	// MaxIncomingUniStreams (the alert streams in flight) defaults to DefaultMaxAlertStreams.
	QUIC *quic.Config
	// DisableDatagrams sends CAMs on a unidirectional stream instead of as QUIC datagrams.
	DisableDatagrams bool
	// AlertBuffer is the capacity of the Alerts channel; default DefaultAlertBuffer. When it is
	// full the client stops reading alert streams, and a server evicts a client that falls
	// behind (CodeSlowConsumer): read Alerts promptly.
	AlertBuffer int
	// PingInterval is the period of the clock pings after the first few; default
	// DefaultPingInterval, negative: only the three pings after the welcome.
	PingInterval time.Duration
	// WriteTimeout bounds a write on the control or telemetry stream; default DefaultWriteTimeout.
	WriteTimeout time.Duration
	// OnError, if set, is called with each non-fatal Error frame the server sends (a CAM or
	// DENM it refused). It runs on the connection's reader goroutine and must not block.
	OnError func(*Error)
	// Now is the client's clock; default time.Now. Tests may skew it.
	Now func() time.Time
}

func (d *Dialer) setDefaults() {
	if d.AlertBuffer <= 0 {
		d.AlertBuffer = DefaultAlertBuffer
	}
	if d.PingInterval == 0 {
		d.PingInterval = DefaultPingInterval
	}
	if d.WriteTimeout <= 0 {
		d.WriteTimeout = DefaultWriteTimeout
	}
	if d.Now == nil {
		d.Now = time.Now
	}
}

func (d *Dialer) quicConfig() *quic.Config {
	var c *quic.Config
	if d.QUIC == nil {
		c = &quic.Config{KeepAlivePeriod: DefaultKeepAlivePeriod, MaxIdleTimeout: DefaultMaxIdleTimeout}
	} else {
		c = d.QUIC.Clone()
	}
	c.EnableDatagrams = !d.DisableDatagrams
	c.MaxIncomingStreams = -1 // the server opens unidirectional streams only
	if c.MaxIncomingUniStreams == 0 {
		c.MaxIncomingUniStreams = DefaultMaxAlertStreams
	}
	c.Allow0RTT = false
	return c
}

// Dial connects to the michi-v2x/1 server at addr with Dialer's defaults; see Dialer.Dial.
func Dial(ctx context.Context, addr string, tlsConf *tls.Config, hello Hello) (*Conn, error) {
	return Dialer{}.Dial(ctx, addr, tlsConf, hello)
}

// Dial connects to the michi-v2x/1 server at addr ("host:port", UDP), opens the control stream,
// sends hello and waits for the welcome. ctx bounds all of that, not the returned connection.
//
// tlsConf decides how the server is verified (michi's internal/tlsconf builds one from a CA
// file, a pinned fingerprint or an explicit insecure flag); it is cloned, its NextProtos
// replaced by ALPN, and its ServerName defaults to addr's host. hello.ClientTimeNS is set to the
// current time when zero.
//
// When the server refuses the hello, the error is an *Error from the server (Remote set):
// errors.Is(err, CodeUnauthorized), CodeBusy, …; other failures wrap ErrHandshake.
//
// The connection has its own UDP socket and quic.Transport, closed when it ends, unless
// Dialer.Transport names a shared one. Its transport uses connection IDs, so the connection
// survives a change of the client's address (NAT rebinding, or a migration the application
// starts through Conn.QUIC).
func (d Dialer) Dial(ctx context.Context, addr string, tlsConf *tls.Config, hello Hello) (*Conn, error) {
	d.setDefaults()
	if tlsConf == nil {
		return nil, fmt.Errorf("%w: a *tls.Config is required", ErrHandshake)
	}
	tc := tlsConf.Clone()
	tc.NextProtos = []string{ALPN}
	if tc.ServerName == "" {
		if host, _, err := net.SplitHostPort(addr); err == nil {
			tc.ServerName = host
		}
	}
	raddr, err := net.ResolveUDPAddr("udp", addr)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrHandshake, err)
	}
	tr, release := d.Transport, func() {}
	if tr == nil {
		pc, err := net.ListenUDP("udp", nil)
		if err != nil {
			return nil, fmt.Errorf("%w: %w", ErrHandshake, err)
		}
		tr = &quic.Transport{Conn: pc}
		release = func() {
			_ = tr.Close()
			_ = pc.Close()
		}
	}
	qc, err := tr.Dial(ctx, raddr, tc, d.quicConfig())
	if err != nil {
		release()
		return nil, fmt.Errorf("%w: %w", ErrHandshake, err)
	}
	c := newConn(d, qc)
	if err := c.handshake(ctx, hello); err != nil {
		_ = qc.CloseWithError(quic.ApplicationErrorCode(CodeNone), "")
		release()
		return nil, err
	}
	c.start(release)
	return c, nil
}

// Conn is a client connection of michi-v2x/1. Its methods are safe for concurrent use.
//
// It runs a few goroutines: the control-stream reader, the pinger, the telemetry sender and the
// alert acceptor (plus one short-lived reader per alert stream). All of them have ended when
// Done is closed.
type Conn struct {
	d       Dialer
	qc      *quic.Conn
	ctrl    *quic.Stream
	welcome Welcome
	// datagrams: CAMs go as datagrams (both sides support them and the server said so).
	datagrams bool
	clock     clockEstimator

	ctrlMu     sync.Mutex // serialises writes on the control stream
	ctrlReader *Reader    // owned by readControl after the handshake

	alerts   chan *Alert
	versions versionFilter
	// handled counts alert frames read and delivered (or dropped as stale); handledSig is
	// signalled at each, for a drain waiting for the server's last_seq.
	handled    atomic.Uint64
	handledSig chan struct{}

	tel telemetry

	wg   sync.WaitGroup // every goroutine the Conn started
	done chan struct{}

	errMu sync.Mutex
	err   error // why the connection ended; the first reason recorded wins

	stats connStats
}

type connStats struct {
	camsSent, camDatagrams, camStream, camsSuperseded atomic.Uint64
	denmsSent, alerts, alertsStale, errorsReceived    atomic.Uint64
}

// ConnStats are a connection's counters.
type ConnStats struct {
	CAMsSent       uint64 // CAM frames handed to QUIC
	CAMDatagrams   uint64 // of which as datagrams
	CAMStream      uint64 // of which on the telemetry stream
	CAMsSuperseded uint64 // CAMs replaced by a newer one before they could be sent
	DENMsSent      uint64
	Alerts         uint64 // alerts delivered on the Alerts channel
	AlertsStale    uint64 // alerts dropped: an equal or newer version had been delivered
	Errors         uint64 // non-fatal Error frames received
}

func newConn(d Dialer, qc *quic.Conn) *Conn {
	c := &Conn{
		d:          d,
		qc:         qc,
		alerts:     make(chan *Alert, d.AlertBuffer),
		handledSig: make(chan struct{}, 1),
		done:       make(chan struct{}),
	}
	c.tel.wake = make(chan struct{}, 1)
	return c
}

// handshake opens the control stream, sends hello and reads the welcome.
func (c *Conn) handshake(ctx context.Context, hello Hello) error {
	ctrl, err := c.qc.OpenStreamSync(ctx)
	if err != nil {
		return c.handshakeErr(err)
	}
	c.ctrl = ctrl
	stop := context.AfterFunc(ctx, func() { _ = ctrl.SetDeadline(time.Now()) })
	defer stop()
	if hello.ClientTimeNS == 0 {
		hello.ClientTimeNS = c.d.Now().UnixNano()
	}
	if err := c.writeControl(ctx, &hello); err != nil {
		return c.handshakeErr(err)
	}
	r := NewReader(ctrl)
	f, err := r.ReadFrame()
	received := c.d.Now().UnixNano()
	if err != nil {
		return c.handshakeErr(err)
	}
	switch f := f.(type) {
	case *Welcome:
		c.welcome = *f
	case *ErrorFrame:
		return f.Err()
	default:
		return fmt.Errorf("%w: got a %s frame instead of the welcome", ErrHandshake, f.Type())
	}
	if !stop() { // ctx ended while the welcome arrived: the deadline may have been set
		return fmt.Errorf("%w: %w", ErrHandshake, ctx.Err())
	}
	_ = ctrl.SetDeadline(time.Time{})
	// The welcome answers the hello as a pong answers a ping: a first, rough clock sample.
	c.clock.add(hello.ClientTimeNS, c.welcome.ServerTimeNS, received)
	c.datagrams = c.welcome.Datagrams && c.qc.ConnectionState().SupportsDatagrams.Remote && !c.d.DisableDatagrams
	c.ctrlReader = r
	return nil
}

// handshakeErr explains a failure before the welcome: the server's close code when it closed
// the connection (it refused the hello before we read its Error frame), else ErrHandshake.
func (c *Conn) handshakeErr(err error) error {
	for _, e := range []error{err, context.Cause(c.qc.Context())} {
		if pe, ok := errors.AsType[*Error](closeError(e)); ok && pe.Code != CodeNone {
			return pe
		}
	}
	if pe, ok := errors.AsType[*Error](err); ok {
		return pe
	}
	return fmt.Errorf("%w: %w", ErrHandshake, err)
}

// closeError translates the cause of a closed QUIC connection: an application close by the
// server becomes an *Error with its code; anything else is returned as it is. nil for a
// connection that is still open.
func closeError(cause error) error {
	if cause == nil {
		return nil
	}
	if ae, ok := errors.AsType[*quic.ApplicationError](cause); ok && ae.Remote {
		return &Error{Code: Code(ae.ErrorCode), Reason: ae.ErrorMessage, Remote: true}
	}
	return cause
}

// closedByServer reports whether err is the server closing the connection.
func closedByServer(err error) bool {
	ae, ok := errors.AsType[*quic.ApplicationError](err)
	return ok && ae.Remote
}

// start runs the connection's goroutines and its closer.
func (c *Conn) start(release func()) {
	c.wg.Add(4)
	go c.readControl()
	go c.ping()
	go c.sendTelemetry()
	go c.acceptAlerts()
	go func() { // the closer: not in wg, it waits for wg
		<-c.qc.Context().Done()
		c.setErr(closeError(context.Cause(c.qc.Context())))
		c.wg.Wait()
		release()
		close(c.done)
		close(c.alerts) // after done: a client ranging over Alerts finds Err set at the end
	}()
}

// setErr records why the connection ended, unless a reason was recorded before.
func (c *Conn) setErr(err error) {
	c.errMu.Lock()
	if c.err == nil {
		c.err = err
	}
	c.errMu.Unlock()
}

func (c *Conn) getErr() error {
	c.errMu.Lock()
	defer c.errMu.Unlock()
	return c.err
}

// fail ends the connection because of err, telling the server code.
func (c *Conn) fail(code Code, err error) {
	c.setErr(err)
	_ = c.qc.CloseWithError(quic.ApplicationErrorCode(code), truncReason(err.Error()))
}

// Welcome returns the server's welcome.
func (c *Conn) Welcome() Welcome { return c.welcome }

// Datagrams reports whether CAMs are sent as QUIC datagrams (rather than on a stream).
func (c *Conn) Datagrams() bool { return c.datagrams }

// ClockOffset returns the estimated offset of the server's clock from the client's (server −
// client), from the ping with the shortest round trip of the last 8 (the welcome at first).
func (c *Conn) ClockOffset() time.Duration {
	off, _ := c.clock.estimate()
	return off
}

// RTT returns the round-trip time of the ping the clock offset comes from.
func (c *Conn) RTT() time.Duration {
	_, rtt := c.clock.estimate()
	return rtt
}

// Alerts returns the channel of alerts received, in the order their streams completed. A
// hazard version (action_id, reference_time) is delivered at most once and never after a newer
// version of the same hazard. The channel is closed when the connection has ended.
func (c *Conn) Alerts() <-chan *Alert { return c.alerts }

// Done is closed when the connection has ended and every goroutine it started has returned.
func (c *Conn) Done() <-chan struct{} { return c.done }

// Err returns why the connection ended, nil while it is open: ErrClosed after Close; an *Error
// with Remote set when the server closed it (CodeNone for a normal close, CodeShuttingDown,
// CodeSlowConsumer, …); otherwise quic-go's error, such as *quic.IdleTimeoutError.
func (c *Conn) Err() error {
	select {
	case <-c.done:
		return c.getErr()
	default:
		return nil
	}
}

// Stats returns the connection's counters.
func (c *Conn) Stats() ConnStats {
	s := &c.stats
	return ConnStats{
		CAMsSent: s.camsSent.Load(), CAMDatagrams: s.camDatagrams.Load(), CAMStream: s.camStream.Load(),
		CAMsSuperseded: s.camsSuperseded.Load(), DENMsSent: s.denmsSent.Load(), Alerts: s.alerts.Load(),
		AlertsStale: s.alertsStale.Load(), Errors: s.errorsReceived.Load(),
	}
}

// QUIC returns the underlying QUIC connection, for its statistics (RTT, losses) and for a client
// that migrates (quic.Conn.AddPath). Closing it directly skips the Bye.
func (c *Conn) QUIC() *quic.Conn { return c.qc }

// Close says Bye, closes the connection and waits until its goroutines have ended. It is
// idempotent; Err then returns ErrClosed (unless the connection had ended before).
func (c *Conn) Close() error {
	select {
	case <-c.done:
		return nil
	default:
	}
	c.setErr(ErrClosed)
	// Bye is a courtesy: skipped when another write holds the control stream, and given little
	// time. The CONNECTION_CLOSE with CodeNone that follows says the same.
	if c.ctrlMu.TryLock() {
		if b, err := EncodeFrame(&Bye{Reason: "client closed"}); err == nil {
			_ = c.ctrl.SetWriteDeadline(time.Now().Add(100 * time.Millisecond))
			_, _ = c.ctrl.Write(b)
		}
		c.ctrlMu.Unlock()
	}
	_ = c.qc.CloseWithError(quic.ApplicationErrorCode(CodeNone), "bye")
	<-c.done
	return nil
}
