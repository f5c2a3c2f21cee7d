package harness

import (
	"context"
	"errors"
	"fmt"
	"net"

	"github.com/coder/websocket"

	"github.com/michi-v2x/michi/internal/tlsconf"
	"github.com/michi-v2x/michi/pkg/quicconn"
)

// Target is what a run drives: the addresses of a running broker, and its process when it is a
// local one.
type Target struct {
	Name     string // "michi" or the baseline broker, e.g. "mosquitto 2.0.11"
	Baseline bool   // a plain MQTT broker: the sensor relays each alert to its tiles itself

	MQTTAddr     string // MQTT over TCP, host:port
	WSAddr       string // MQTT over WebSocket, host:port (path /mqtt)
	MQTTQUICAddr string // MQTT over QUIC, host:port (UDP)
	QUICAddr     string // native protocol, host:port (UDP)
	HTTPAddr     string // michi's HTTP API (metrics); "" = none

	// TLSFingerprint is the SHA-256 fingerprint of the certificate the QUIC listeners serve; the
	// bench pins it (the edge's development certificate is self-signed).
	TLSFingerprint string

	PID       int  // the target's process for CPU and memory; 0 = not observable
	InProcess bool // the target runs inside the bench process: its CPU cannot be told apart
}

// ErrNoAddr is returned when the target does not serve the chosen transport.
var ErrNoAddr = errors.New("target has no address for this transport")

type dialFunc func(ctx context.Context) (net.Conn, error)

// dialer returns how to open one MQTT byte stream to the target over transport.
func dialer(transport string, t Target) (dialFunc, error) {
	switch transport {
	case MQTTTCP:
		if t.MQTTAddr == "" {
			return nil, fmt.Errorf("%s: %w", transport, ErrNoAddr)
		}
		var d net.Dialer
		return func(ctx context.Context) (net.Conn, error) { return d.DialContext(ctx, "tcp", t.MQTTAddr) }, nil
	case MQTTWS:
		if t.WSAddr == "" {
			return nil, fmt.Errorf("%s: %w", transport, ErrNoAddr)
		}
		url := "ws://" + t.WSAddr + "/mqtt"
		return func(ctx context.Context) (net.Conn, error) {
			c, _, err := websocket.Dial(ctx, url, &websocket.DialOptions{Subprotocols: []string{"mqtt"}})
			if err != nil {
				return nil, err
			}
			c.SetReadLimit(maxPacket)
			return websocket.NetConn(context.Background(), c, websocket.MessageBinary), nil
		}, nil
	case MQTTQUIC:
		if t.MQTTQUICAddr == "" {
			return nil, fmt.Errorf("%s: %w", transport, ErrNoAddr)
		}
		conf, err := tlsconf.ClientConfig(tlsconf.ClientOptions{PinnedFingerprint: t.TLSFingerprint, ALPN: []string{"mqtt"}})
		if err != nil {
			return nil, fmt.Errorf("%s: %w", transport, err)
		}
		return func(ctx context.Context) (net.Conn, error) { return quicconn.Dial(ctx, t.MQTTQUICAddr, conf, nil) }, nil
	}
	return nil, fmt.Errorf("transport %q: %w", transport, errors.ErrUnsupported)
}
