package client

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"sync"
	"time"

	"github.com/michi-v2x/michi/internal/tlsconf"
	"github.com/michi-v2x/michi/pkg/geo"
	"github.com/michi-v2x/michi/pkg/v2x"
)

// Client is one vehicle's connection to an edge node over one transport. It is safe for
// concurrent use. It keeps itself connected (reconnecting with backoff, then restoring its
// subscriptions or hello) until Close is called or the context given to Dial ends.
//
// Locking: Client.mu guards the current session, the vehicle's tile and its own reports. It is
// never held while calling into a session; a session may take Client.mu (currentTile) while it
// holds its own lock, never the reverse.
type Client struct {
	opts Options
	ep   endpoint
	tls  *tls.Config // nil on plaintext transports
	dial func(ctx context.Context) (session, error)
	log  *slog.Logger

	ctx    context.Context // the client's life; cancelled with ErrClosed by Close
	cancel context.CancelCauseFunc
	done   chan struct{}
	err    error // why the client ended; written before done is closed

	mu   sync.Mutex
	sess session       // nil while reconnecting
	up   chan struct{} // closed while sess != nil
	tile string        // the vehicle's zoom-SubscribeZoom tile, "" before the first SendState
	seq  uint16        // last sequence number of an own report
	own  map[v2x.ActionID]ownReport

	alerts *alertQueue
	dedup  *dedup
	stats  counters
}

// ownReport remembers a report this client made, so that an update keeps its detection time.
type ownReport struct{ detection, expiry time.Time }

// session is one connection over one transport. Sessions deliver alerts through Client.deliver.
type session interface {
	sendCAM(ctx context.Context, m *v2x.CAM) error
	sendDENM(ctx context.Context, m *v2x.DENM) error
	// follow brings the session's subscriptions to the client's current tile (MQTT); a no-op
	// where the server tracks the vehicle's position itself (native).
	follow(ctx context.Context) error
	lost() <-chan struct{} // closed when the session has ended for any reason
	cause() error          // why it ended, once lost is closed
	close()                // ends the session; idempotent
}

// State is the vehicle's state, sent as a CAM.
type State struct {
	Pos        geo.Point
	SpeedMPS   float64   // negative or NaN: unavailable
	HeadingDeg float64   // clockwise from north; NaN: unavailable
	At         time.Time // generation time; zero: now
}

// Hazard is an event the vehicle reports, sent as a DENM (see v2x.DENMSpec for the fields).
type Hazard struct {
	// ActionID is zero for a new event: the client then assigns {StationID, next sequence
	// number}. To update or terminate an earlier report, pass the ActionID Report returned.
	ActionID           v2x.ActionID
	Cause, SubCause    uint8
	Pos                geo.Point
	HeadingDeg         float64 // event heading, used when HasHeading
	HasHeading         bool
	Detection          time.Time     // zero: now, or the original detection time of an update
	Validity           time.Duration // zero: 600 s
	AwarenessRadiusM   float64
	TrafficDirection   v2x.TrafficDirection
	InformationQuality uint8
	Termination        *v2x.Termination // set to cancel (0) or negate (1) the event
}

// Dial connects to the edge node at opts.URL and returns a running client. It fails when the
// options are invalid or the first connection attempt fails (bounded by opts.DialTimeout and
// ctx), so that a wrong address or certificate shows at once; after that the client reconnects
// by itself. ctx bounds the client's whole life: when it ends, the client closes, as by Close.
func Dial(ctx context.Context, opts Options) (*Client, error) {
	if err := opts.Validate(); err != nil {
		return nil, err
	}
	ep, _ := parseURL(opts.URL) // checked by Validate
	c := &Client{
		opts:   opts,
		ep:     ep,
		log:    opts.Log.With("transport", ep.transport, "addr", ep.host, "source", opts.SourceUUID),
		done:   make(chan struct{}),
		up:     make(chan struct{}),
		seq:    uint16(rand.Uint32()),
		own:    make(map[v2x.ActionID]ownReport),
		alerts: newAlertQueue(opts.AlertBuffer),
		dedup:  newDedup(),
	}
	if ep.secure() {
		conf, err := tlsconf.ClientConfig(tlsconf.ClientOptions{
			CAFile: opts.TLS.CAFile, PinnedFingerprint: opts.TLS.PinnedFingerprint, Insecure: opts.TLS.Insecure,
			ServerName: opts.TLS.ServerName, ALPN: alpn(ep.transport),
		})
		if err != nil {
			return nil, fmt.Errorf("client: tls: %w", err)
		}
		c.tls = conf
	}
	switch ep.transport {
	case TransportQUIC:
		c.dial = c.dialNative
	default:
		c.dial = c.dialMQTT
	}
	c.ctx, c.cancel = context.WithCancelCause(ctx)
	s, err := c.connect()
	if err != nil {
		c.cancel(ErrClosed)
		return nil, err
	}
	c.install(s)
	c.stats.connects.Add(1)
	c.log.Info("connected")
	go c.run(s)
	return c, nil
}

func alpn(transport string) []string {
	switch transport {
	case TransportMQTTQUIC:
		return []string{"mqtt"}
	case TransportQUIC:
		return []string{nativeALPN}
	}
	return nil
}

// Transport is the transport the client uses ("mqtt-tcp", "mqtt-ws", "mqtt-quic", "quic", …).
func (c *Client) Transport() string { return c.ep.transport }

// Options returns the client's options with the defaults applied.
func (c *Client) Options() Options { return c.opts }

// Alerts delivers the hazards relevant to the vehicle, each version once. It is bounded
// (Options.AlertBuffer): when the application does not keep up the oldest alert is dropped and
// counted (Stats.AlertsDropped). It is closed when the client ends.
func (c *Client) Alerts() <-chan Alert { return c.alerts.ch }

// Done is closed when the client has ended (Close, or the Dial context ended) and every
// goroutine it started has returned.
func (c *Client) Done() <-chan struct{} { return c.done }

// Err is nil while the client runs; afterwards ErrClosed after Close, the cause of the Dial
// context's end (context.Canceled, context.DeadlineExceeded), or the *ConnectError of a refusal
// that reconnecting cannot overcome (see ConnectError.Retryable).
func (c *Client) Err() error {
	select {
	case <-c.done:
		return c.err
	default:
		return nil
	}
}

// Connected reports whether the client has a session now (false while reconnecting).
func (c *Client) Connected() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.sess != nil
}

// Stats returns the client's counters.
func (c *Client) Stats() Stats { return c.stats.snapshot() }

// Close ends the client: it leaves the server (MQTT DISCONNECT, native close), closes Alerts and
// returns once every goroutine it started has returned. It is idempotent and returns nil.
func (c *Client) Close() error {
	c.cancel(ErrClosed)
	<-c.done
	return nil
}

// SendState sends the vehicle's state as a CAM: over MQTT a QoS 0 publish on
// {root}/inQueue/v2x/cam/{source}/{zoom-22 quadkey}, over native QUIC a datagram. When the state
// moves the vehicle into another zoom-SubscribeZoom tile, an MQTT client moves its alert
// subscriptions too (subscribes the new tiles, then unsubscribes the old ones) before SendState
// returns; the first SendState makes the first subscriptions. It fails with ErrNotConnected at
// once while the client reconnects (the new tile is still remembered and used on reconnection),
// and with an error wrapping v2x.ErrInvalid for a state that is not valid.
func (c *Client) SendState(ctx context.Context, s State) error {
	if c.ctx.Err() != nil {
		return ErrClosed
	}
	if !s.Pos.Valid() {
		return fmt.Errorf("client: send state: position %v: %w", s.Pos, v2x.ErrInvalid)
	}
	m := v2x.NewCAM(v2x.CAMSpec{
		SourceUUID: c.opts.SourceUUID, StationID: c.opts.StationID, StationType: c.opts.StationType,
		Pos: s.Pos, SpeedMPS: s.SpeedMPS, HeadingDeg: s.HeadingDeg, At: s.At,
	})
	if err := m.Validate(); err != nil {
		return fmt.Errorf("client: send state: %w", err)
	}
	tile := geo.Quadkey(s.Pos, c.opts.SubscribeZoom)
	c.mu.Lock()
	c.tile = tile
	sess := c.sess
	c.mu.Unlock()
	if sess == nil {
		return ErrNotConnected
	}
	if err := sess.sendCAM(ctx, m); err != nil {
		return fmt.Errorf("client: send state: %w", err)
	}
	c.stats.statesSent.Add(1)
	if err := sess.follow(ctx); err != nil {
		return fmt.Errorf("client: follow tile %s: %w", tile, err)
	}
	return nil
}

// Report sends a hazard the vehicle observed as a DENM and returns its action id (keep it to
// update or terminate the report). Over MQTT it is a QoS 1 publish on
// {root}/inQueue/v2x/denm/{source}/{zoom-22 quadkey of the event} and Report returns when the
// edge has acknowledged it; over native QUIC it is a frame on the control stream. While the client
// reconnects, Report waits for the connection until ctx ends.
func (c *Client) Report(ctx context.Context, h Hazard) (v2x.ActionID, error) {
	if c.ctx.Err() != nil {
		return v2x.ActionID{}, ErrClosed
	}
	if !h.Pos.Valid() {
		return v2x.ActionID{}, fmt.Errorf("client: report: position %v: %w", h.Pos, v2x.ErrInvalid)
	}
	now := time.Now()
	id, det := c.ownReport(h, now)
	m := v2x.NewDENM(v2x.DENMSpec{
		SourceUUID: c.opts.SourceUUID, StationID: c.opts.StationID, StationType: c.opts.StationType,
		ActionID: id, Cause: h.Cause, SubCause: h.SubCause, Pos: h.Pos,
		HeadingDeg: h.HeadingDeg, HasHeading: h.HasHeading, Detection: det, Reference: now,
		Validity: h.Validity, AwarenessRadiusM: h.AwarenessRadiusM, TrafficDirection: h.TrafficDirection,
		InformationQuality: h.InformationQuality, Termination: h.Termination, At: now,
	})
	if err := m.Validate(); err != nil {
		return id, fmt.Errorf("client: report: %w", err)
	}
	sess, err := c.waitSession(ctx)
	if err != nil {
		return id, fmt.Errorf("client: report: %w", err)
	}
	if err := sess.sendDENM(ctx, m); err != nil {
		return id, fmt.Errorf("client: report: %w", err)
	}
	c.stats.reportsSent.Add(1)
	return id, nil
}

// ownReport assigns the action id and detection time of a report and remembers them.
func (c *Client) ownReport(h Hazard, now time.Time) (v2x.ActionID, time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	id := h.ActionID
	if id == (v2x.ActionID{}) {
		c.seq++
		id = v2x.ActionID{OriginatingStationID: c.opts.StationID, SequenceNumber: c.seq}
	} else if id.OriginatingStationID == 0 {
		id.OriginatingStationID = c.opts.StationID
	}
	det := h.Detection
	if det.IsZero() {
		if prev, ok := c.own[id]; ok {
			det = prev.detection
		} else {
			det = now
		}
	}
	for k, r := range c.own {
		if now.After(r.expiry) {
			delete(c.own, k)
		}
	}
	validity := h.Validity
	if validity <= 0 {
		validity = v2x.DefaultValidity
	}
	if h.Termination != nil {
		delete(c.own, id)
	} else {
		c.own[id] = ownReport{detection: det, expiry: det.Add(validity)}
	}
	return id, det
}

// waitSession returns the current session, waiting for a reconnection until ctx ends.
func (c *Client) waitSession(ctx context.Context) (session, error) {
	for {
		c.mu.Lock()
		s, up := c.sess, c.up
		c.mu.Unlock()
		if s != nil {
			return s, nil
		}
		select {
		case <-up:
		case <-ctx.Done():
			return nil, fmt.Errorf("%w: %w", ErrNotConnected, ctx.Err())
		case <-c.ctx.Done():
			return nil, ErrClosed
		}
	}
}

// currentTile is the vehicle's tile at SubscribeZoom ("" before the first state).
func (c *Client) currentTile() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.tile
}

// deliver passes an alert a session received through de-duplication onto the Alerts channel.
func (c *Client) deliver(a Alert) {
	c.stats.received.Add(1)
	if !c.dedup.fresh(a.DENM, a.Received) {
		c.stats.duplicate.Add(1)
		return
	}
	c.alerts.push(a, &c.stats)
}

// connect makes one connection attempt, bounded by DialTimeout.
func (c *Client) connect() (session, error) {
	ctx, cancel := context.WithTimeout(c.ctx, c.opts.DialTimeout)
	defer cancel()
	s, err := c.dial(ctx)
	if err != nil {
		c.stats.connectFailures.Add(1)
		return nil, err
	}
	return s, nil
}

func (c *Client) install(s session) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.sess = s
	close(c.up)
}

func (c *Client) uninstall() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.sess != nil {
		c.sess = nil
		c.up = make(chan struct{})
	}
}

// run supervises the sessions: it waits for the current one to end, then reconnects with backoff,
// until the client's context ends.
func (c *Client) run(s session) {
	defer c.finish()
	for {
		select {
		case <-s.lost():
			c.uninstall()
			s.close()
			if c.ctx.Err() != nil {
				return
			}
			c.log.Warn("connection lost", "error", s.cause())
		case <-c.ctx.Done():
			c.uninstall()
			s.close()
			return
		}
		if s = c.reconnect(); s == nil {
			return
		}
	}
}

// reconnect retries with backoff until a session is up and following the vehicle's tile, or
// returns nil when the client's context ends.
func (c *Client) reconnect() session {
	for n := 0; ; n++ {
		t := time.NewTimer(c.opts.Backoff.delay(n, jitter))
		select {
		case <-c.ctx.Done():
			t.Stop()
			return nil
		case <-t.C:
		}
		s, err := c.connect()
		if err != nil {
			if c.ctx.Err() != nil {
				return nil
			}
			if ce, ok := errors.AsType[*ConnectError](err); ok && !ce.Retryable() {
				c.log.Error("the server refuses this vehicle: giving up", "error", err)
				c.cancel(err)
				return nil
			}
			c.log.Warn("reconnect failed", "attempt", n+1, "error", err)
			continue
		}
		c.install(s)
		ctx, cancel := context.WithTimeout(c.ctx, c.opts.DialTimeout)
		err = s.follow(ctx)
		cancel()
		if err != nil && !errors.Is(err, context.Canceled) {
			c.log.Warn("restore subscriptions", "error", err) // the session is probably lost: run sees it
		}
		c.stats.connects.Add(1)
		c.log.Info("reconnected", "attempts", n+1)
		return s
	}
}

func (c *Client) finish() {
	c.alerts.close()
	c.err = context.Cause(c.ctx)
	c.log.Info("closed", "cause", c.err)
	close(c.done)
}
