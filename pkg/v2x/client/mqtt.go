package client

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"sync"
	"time"

	"github.com/eclipse/paho.golang/packets"
	"github.com/eclipse/paho.golang/paho"
	"github.com/quic-go/quic-go"

	"github.com/michi-v2x/michi/pkg/geo"
	"github.com/michi-v2x/michi/pkg/quicconn"
	"github.com/michi-v2x/michi/pkg/v2x"
)

// errSessionClosed ends a session the client closed itself.
var errSessionClosed = errors.New("session closed")

// mqttSession is one MQTT 5 connection (paho.golang) over TCP, TLS, WebSocket or QUIC. The
// Client reconnects with a fresh session, so every transport recovers the same way. MQTT 5 lets
// the vehicle verify each alert's signature (user properties) and hear why a report was refused
// (PUBACK reason code).
//
// Locking: mu serialises follow (the subscription state: tile, filters).
type mqttSession struct {
	c  *Client
	pc *paho.Client

	lostCh   chan struct{}
	lostOnce sync.Once
	lostErr  error
	live     context.Context // cancelled when the session is lost, ending the requests in flight
	kill     context.CancelFunc

	mu      sync.Mutex
	tile    string              // the tile the filters are for
	filters map[string]struct{} // subscribed filters
}

// mqttReceiveMaximum bounds the QoS 1 publishes the edge may have in flight to the vehicle (and
// paho's buffer of them); alerts come at QoS 0.
const mqttReceiveMaximum = 64

// dialMQTT connects one MQTT session; ctx bounds the dial and the CONNECT round trip.
func (c *Client) dialMQTT(ctx context.Context) (session, error) {
	s := &mqttSession{c: c, lostCh: make(chan struct{}), filters: make(map[string]struct{})}
	s.live, s.kill = context.WithCancel(context.Background())
	o := c.opts
	refused := func(code int, err error) error {
		if ctx.Err() != nil && !errors.Is(err, ctx.Err()) {
			err = fmt.Errorf("%w (%v)", ctx.Err(), err)
		}
		return &ConnectError{Transport: c.ep.transport, Addr: c.ep.host, Code: code, Err: err}
	}
	conn, err := c.dialStream(ctx)
	if err != nil {
		return nil, refused(0, err)
	}
	s.pc = paho.NewClient(paho.ClientConfig{
		Conn:              packets.NewThreadSafeConn(conn), // paho writes from several goroutines
		OnPublishReceived: []func(paho.PublishReceived) (bool, error){s.onMessage},
		OnClientError:     func(err error) { s.setLost(err) },
		OnServerDisconnect: func(d *paho.Disconnect) {
			s.setLost(fmt.Errorf("the edge disconnected the session (reason 0x%02x)", d.ReasonCode))
		},
		PacketTimeout: o.DialTimeout,
	})
	receiveMax := uint16(mqttReceiveMaximum)
	cp := &paho.Connect{ClientID: o.SourceUUID, CleanStart: true, KeepAlive: uint16(o.KeepAlive / time.Second),
		// RequestProblemInfo: reason strings with refusals, and user properties — the alerts'
		// signatures — on every PUBLISH: mochi-mqtt v2.7.9 strips them from the retained hazards
		// it replays to a client that asked for no problem information (internal/broker's
		// TestMochiStripsUserPropertiesWithoutProblemInfo).
		Properties: &paho.ConnectProperties{ReceiveMaximum: &receiveMax, RequestProblemInfo: true}}
	if o.Token != "" {
		cp.Username, cp.UsernameFlag, cp.Password, cp.PasswordFlag = o.SourceUUID, true, []byte(o.Token), true
	}
	ca, err := s.pc.Connect(ctx, cp)
	if err != nil {
		code := 0
		if ca != nil && ca.ReasonCode >= 0x80 {
			code = int(ca.ReasonCode)
		}
		conn.Close()
		s.kill()
		return nil, refused(code, err)
	}
	go func() { // a loss paho reports (OnClientError) names its cause; this catches any other end
		<-s.pc.Done()
		select {
		case <-s.lostCh:
		case <-time.After(50 * time.Millisecond):
			s.setLost(errors.New("connection closed"))
		}
	}()
	return s, nil
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
		s.kill()
	})
}

func (s *mqttSession) lost() <-chan struct{} { return s.lostCh }
func (s *mqttSession) cause() error          { return s.lostErr }

// close sends DISCONNECT and stops paho's goroutines.
func (s *mqttSession) close() {
	s.setLost(errSessionClosed)
	_ = s.pc.Disconnect(&paho.Disconnect{ReasonCode: 0})
}

// call runs one request-response exchange of paho's, bounded by ctx and the session's end. A
// request that fails because the connection went away reports ErrNotConnected.
func (s *mqttSession) call(ctx context.Context, f func(ctx context.Context) error) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	stop := context.AfterFunc(s.live, cancel)
	defer stop()
	err := f(ctx)
	if err == nil {
		return nil
	}
	select {
	case <-s.lostCh:
		return fmt.Errorf("%w: %v", ErrNotConnected, s.lostErr)
	default:
	}
	return err
}

// sendCAM publishes at QoS 0: a lost state is replaced by the next one.
func (s *mqttSession) sendCAM(ctx context.Context, m *v2x.CAM) error { return s.publish(ctx, 0, m) }

// sendDENM publishes at QoS 1: it returns once the edge has acknowledged the report, with the
// edge's reason when it refused it.
func (s *mqttSession) sendDENM(ctx context.Context, m *v2x.DENM) error { return s.publish(ctx, 1, m) }

// publish sends m on {root}/inQueue/v2x/{type}/{source}/{zoom-22 quadkey of its location}.
func (s *mqttSession) publish(ctx context.Context, qos byte, m v2x.Message) error {
	topic := v2x.TopicFor(s.c.opts.Root, v2x.InQueue, m, s.c.opts.SourceUUID).String()
	return s.call(ctx, func(ctx context.Context) error {
		pr, err := s.pc.Publish(ctx, &paho.Publish{Topic: topic, QoS: qos, Payload: m.AppendJSON(nil)})
		if pr != nil && pr.ReasonCode >= 0x80 {
			s.c.stats.rejected.Add(1)
			reason := ""
			if pr.Properties != nil {
				reason = pr.Properties.ReasonString
			}
			return fmt.Errorf("client: the edge refused the report (reason 0x%02x) %s", pr.ReasonCode, reason)
		}
		return err
	})
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
		sub := &paho.Subscribe{}
		for f, qos := range add {
			sub.Subscriptions = append(sub.Subscriptions, paho.SubscribeOptions{Topic: f, QoS: qos})
		}
		var sa *paho.Suback
		err := s.call(ctx, func(ctx context.Context) (err error) { sa, err = s.pc.Subscribe(ctx, sub); return })
		if err != nil && sa == nil {
			return fmt.Errorf("subscribe: %w", err)
		}
		var refused []string
		for i, so := range sub.Subscriptions {
			if i >= len(sa.Reasons) || sa.Reasons[i] >= 0x80 {
				refused = append(refused, so.Topic)
				continue
			}
			s.filters[so.Topic] = struct{}{}
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
		err := s.call(ctx, func(ctx context.Context) error {
			_, err := s.pc.Unsubscribe(ctx, &paho.Unsubscribe{Topics: drop})
			return err
		})
		if err != nil {
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

// onMessage turns a DENM publish into an alert, once its signature verifies when the client
// trusts keys (Options.AlertKeys). It runs on paho's receiving goroutine and must not block.
func (s *mqttSession) onMessage(pr paho.PublishReceived) (bool, error) {
	recv := time.Now()
	msg := pr.Packet
	d, err := v2x.UnmarshalDENM(msg.Payload)
	if err == nil {
		err = d.Validate()
	}
	if err != nil {
		s.c.stats.malformed.Add(1)
		return true, nil
	}
	var keyID string
	if keys := s.c.opts.AlertKeys; keys != nil {
		if s.c.duplicate(d) {
			return true, nil
		}
		var props [][2]string
		if msg.Properties != nil {
			for _, u := range msg.Properties.User {
				props = append(props, [2]string{u.Key, u.Value})
			}
		}
		sig, err := v2x.SignatureFromProperties(props)
		if err == nil {
			err = keys.Verify(msg.Payload, sig)
		}
		if err != nil {
			s.c.stats.unverified.Add(1)
			return true, nil
		}
		keyID = sig.KeyID
	}
	s.c.deliver(Alert{
		DENM: d, ActionID: d.ActionID(), Received: recv,
		AlertLatency: recv.Sub(d.ReferenceTime()),
		Latency:      recv.Sub(time.UnixMilli(d.Timestamp)),
		Replayed:     msg.Retain, Transport: s.c.ep.transport, KeyID: keyID,
	})
	return true, nil
}
