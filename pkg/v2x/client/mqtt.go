package client

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/url"
	"sync"
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"
	"github.com/eclipse/paho.mqtt.golang/packets"
	"github.com/quic-go/quic-go"

	"github.com/michi-v2x/michi/internal/quicconn"
	"github.com/michi-v2x/michi/pkg/geo"
	"github.com/michi-v2x/michi/pkg/v2x"
)

// errSessionClosed ends a session the client closed itself.
var errSessionClosed = errors.New("session closed")

// mqttSession is one MQTT 3.1.1 connection (paho) over TCP, TLS, WebSocket or QUIC. paho's own
// reconnection is off: the Client reconnects with a fresh session, so every transport recovers
// the same way.
//
// Locking: mu serialises follow (the subscription state: tile, filters); connMu guards the
// connection being dialled while CONNECT is in progress.
type mqttSession struct {
	c  *Client
	pc paho.Client

	lostCh   chan struct{}
	lostOnce sync.Once
	lostErr  error

	connMu  sync.Mutex
	conn    net.Conn
	aborted bool

	mu      sync.Mutex
	tile    string              // the tile the filters are for
	filters map[string]struct{} // subscribed filters
}

// dialMQTT connects one MQTT session; ctx bounds the dial and the CONNECT round trip.
func (c *Client) dialMQTT(ctx context.Context) (session, error) {
	s := &mqttSession{c: c, lostCh: make(chan struct{}), filters: make(map[string]struct{})}
	o := c.opts
	po := paho.NewClientOptions().
		AddBroker(c.ep.url.String()). // the scheme is ours: the connection comes from s.open
		SetClientID(o.SourceUUID).
		SetProtocolVersion(4).
		SetCleanSession(true).
		SetAutoReconnect(false).
		SetConnectRetry(false).
		SetKeepAlive(o.KeepAlive).
		SetPingTimeout(min(o.KeepAlive, 10*time.Second)).
		SetConnectTimeout(o.DialTimeout).
		SetOrderMatters(true). // handlers run in order on paho's router; s.onMessage never blocks
		SetDefaultPublishHandler(s.onMessage).
		SetConnectionLostHandler(func(_ paho.Client, err error) { s.setLost(err) }).
		SetCustomOpenConnectionFn(func(*url.URL, paho.ClientOptions) (net.Conn, error) { return s.open(ctx) })
	if o.Token != "" {
		po.SetUsername(o.SourceUUID).SetPassword(o.Token)
	}
	s.pc = paho.NewClient(po)
	tok := s.pc.Connect()
	// Closing the dialled connection makes a CONNECT in progress fail at once when ctx ends.
	stop := context.AfterFunc(ctx, s.abortConnect)
	<-tok.Done() // paho completes the token on every path, within ConnectTimeout
	aborted := !stop()
	err := tok.Error()
	if err == nil && aborted { // connected just as ctx ended
		s.pc.Disconnect(0)
		err = ctx.Err()
	}
	if err != nil {
		if ctx.Err() != nil && !errors.Is(err, ctx.Err()) {
			err = fmt.Errorf("%w (%v)", ctx.Err(), err)
		}
		code := 0
		if ct, ok := tok.(*paho.ConnectToken); ok && ct.ReturnCode() >= packets.ErrRefusedBadProtocolVersion &&
			ct.ReturnCode() <= packets.ErrRefusedNotAuthorised {
			code = int(ct.ReturnCode())
		}
		return nil, &ConnectError{Transport: c.ep.transport, Addr: c.ep.host, Code: code, Err: err}
	}
	return s, nil
}

// open dials the transport's byte stream for paho.
func (s *mqttSession) open(ctx context.Context) (net.Conn, error) {
	conn, err := s.c.dialStream(ctx)
	if err != nil {
		return nil, err
	}
	s.connMu.Lock()
	defer s.connMu.Unlock()
	if s.aborted {
		conn.Close()
		return nil, ctx.Err()
	}
	s.conn = conn
	return conn, nil
}

func (s *mqttSession) abortConnect() {
	s.connMu.Lock()
	defer s.connMu.Unlock()
	s.aborted = true
	if s.conn != nil {
		s.conn.Close()
	}
}

// dialStream opens the byte stream MQTT runs over.
func (c *Client) dialStream(ctx context.Context) (net.Conn, error) {
	switch c.ep.transport {
	case TransportMQTTTCP:
		d := net.Dialer{KeepAlive: c.opts.KeepAlive}
		return d.DialContext(ctx, "tcp", c.ep.host)
	case TransportMQTTTLS:
		d := tls.Dialer{NetDialer: &net.Dialer{KeepAlive: c.opts.KeepAlive}, Config: c.tls}
		return d.DialContext(ctx, "tcp", c.ep.host)
	case TransportMQTTWS, TransportMQTTWSS:
		return dialWebSocket(ctx, c.ep.url, c.tls)
	case TransportMQTTQUIC:
		return quicconn.Dial(ctx, c.ep.host, c.tls, &quic.Config{KeepAlivePeriod: c.opts.KeepAlive, MaxIdleTimeout: 2 * c.opts.KeepAlive})
	}
	return nil, fmt.Errorf("transport %s carries no MQTT", c.ep.transport)
}

func (s *mqttSession) setLost(err error) {
	s.lostOnce.Do(func() {
		s.lostErr = err
		close(s.lostCh)
	})
}

func (s *mqttSession) lost() <-chan struct{} { return s.lostCh }
func (s *mqttSession) cause() error          { return s.lostErr }

// close sends DISCONNECT and stops paho's goroutines; Disconnect returns as soon as they have
// stopped, or after the quiesce time when the connection is stuck.
func (s *mqttSession) close() {
	s.setLost(errSessionClosed)
	s.pc.Disconnect(disconnectQuiesceMS)
}

const disconnectQuiesceMS = 1000

// wait waits for a paho token, the session's end, or ctx. A token that fails because the
// connection went away reports ErrNotConnected.
func (s *mqttSession) wait(ctx context.Context, tok paho.Token) error {
	select {
	case <-tok.Done():
		err := tok.Error()
		if err == nil {
			return nil
		}
		select {
		case <-s.lostCh:
			return fmt.Errorf("%w: %v", ErrNotConnected, err)
		default:
		}
		if errors.Is(err, paho.ErrNotConnected) {
			return fmt.Errorf("%w: %v", ErrNotConnected, err)
		}
		return err
	case <-s.lostCh:
		return fmt.Errorf("%w: %v", ErrNotConnected, s.lostErr)
	case <-ctx.Done():
		return ctx.Err()
	}
}

// sendCAM publishes at QoS 0: a lost state is replaced by the next one.
func (s *mqttSession) sendCAM(ctx context.Context, m *v2x.CAM) error { return s.publish(ctx, 0, m) }

// sendDENM publishes at QoS 1: it returns once the edge has acknowledged the report.
func (s *mqttSession) sendDENM(ctx context.Context, m *v2x.DENM) error { return s.publish(ctx, 1, m) }

// publish sends m on {root}/inQueue/v2x/{type}/{source}/{zoom-22 quadkey of its location}.
func (s *mqttSession) publish(ctx context.Context, qos byte, m v2x.Message) error {
	topic := v2x.TopicFor(s.c.opts.Root, v2x.InQueue, m, s.c.opts.SourceUUID).String()
	return s.wait(ctx, s.pc.Publish(topic, qos, false, m.AppendJSON(nil)))
}

// follow subscribes to the DENMs of the client's tile and its neighbours, then unsubscribes the
// tiles left behind, so that no alert is missed in between. A failure leaves the recorded state
// matching what the broker acknowledged, and the next call completes the move.
func (s *mqttSession) follow(ctx context.Context) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	tile := s.c.currentTile()
	if tile == "" || tile == s.tile {
		return nil
	}
	want := tileFilters(s.c.opts.Root, tile)
	add := make(map[string]byte)
	for f := range want {
		if _, ok := s.filters[f]; !ok {
			add[f] = 1
		}
	}
	if len(add) > 0 {
		tok := s.pc.SubscribeMultiple(add, s.onMessage)
		if err := s.wait(ctx, tok); err != nil {
			return fmt.Errorf("subscribe: %w", err)
		}
		var refused []string
		for f, code := range tok.(*paho.SubscribeToken).Result() {
			if code > 2 {
				refused = append(refused, f)
				continue
			}
			s.filters[f] = struct{}{}
		}
		if len(refused) > 0 {
			return fmt.Errorf("subscribe: refused %v", refused)
		}
	}
	var drop []string
	for f := range s.filters {
		if _, ok := want[f]; !ok {
			drop = append(drop, f)
		}
	}
	if len(drop) > 0 {
		if err := s.wait(ctx, s.pc.Unsubscribe(drop...)); err != nil {
			return fmt.Errorf("unsubscribe: %w", err)
		}
		for _, f := range drop {
			delete(s.filters, f)
		}
	}
	s.tile = tile
	return nil
}

// tileFilters are the DENM subscription filters of tile and its (up to 8) neighbours.
func tileFilters(root, tile string) map[string]struct{} {
	fs := make(map[string]struct{}, 9)
	for _, qk := range append(geo.QuadkeyNeighbours(tile), tile) {
		fs[v2x.SubscriptionFilter(root, v2x.OutQueue, v2x.TypeDENM, qk)] = struct{}{}
	}
	return fs
}

// onMessage turns a DENM publish into an alert. It runs on paho's router and must not block.
func (s *mqttSession) onMessage(_ paho.Client, msg paho.Message) {
	recv := time.Now()
	d, err := v2x.UnmarshalDENM(msg.Payload())
	if err == nil {
		err = d.Validate()
	}
	if err != nil {
		s.c.stats.malformed.Add(1)
		return
	}
	s.c.deliver(Alert{
		DENM: d, ActionID: d.ActionID(), Received: recv,
		Latency:  recv.Sub(time.UnixMilli(d.Timestamp)),
		Replayed: msg.Retained(), Transport: s.c.ep.transport,
	})
}
