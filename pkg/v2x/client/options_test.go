package client

import (
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/michi-v2x/michi/pkg/v2x"
)

func TestOptionsDefaults(t *testing.T) {
	o := Options{URL: "tcp://127.0.0.1:1883", StationID: 42}
	require.NoError(t, o.Validate())
	require.Equal(t, "com_car_42", o.SourceUUID)
	require.Equal(t, v2x.StationPassengerCar, o.StationType)
	require.Equal(t, "michi", o.Root)
	require.Equal(t, 16, o.SubscribeZoom)
	require.Equal(t, DefaultAlertBuffer, o.AlertBuffer)
	require.Equal(t, Backoff{Min: DefaultBackoffMin, Max: DefaultBackoffMax}, o.Backoff)
	require.Equal(t, DefaultDialTimeout, o.DialTimeout)
	require.NotNil(t, o.Log)
}

func TestOptionsReportEveryProblem(t *testing.T) {
	o := Options{URL: "http://x", SourceUUID: "a/b", Root: "$sys", SubscribeZoom: 20, AlertBuffer: -1,
		Backoff: Backoff{Min: time.Second, Max: time.Millisecond}, KeepAlive: time.Millisecond}
	err := o.Validate()
	var oe *OptionsError
	require.True(t, errors.As(err, &oe))
	require.ErrorIs(t, err, ErrInvalidOptions)
	require.Len(t, oe.Problems, 8, "%v", oe.Problems)
}

func TestURLSchemes(t *testing.T) {
	for raw, want := range map[string]endpoint{
		"tcp://edge:1884":               {transport: TransportMQTTTCP, host: "edge:1884"},
		"mqtt://edge":                   {transport: TransportMQTTTCP, host: "edge:1883"},
		"mqtts://edge":                  {transport: TransportMQTTTLS, host: "edge:8883"},
		"ssl://10.0.0.1:8884":           {transport: TransportMQTTTLS, host: "10.0.0.1:8884"},
		"ws://edge:8083":                {transport: TransportMQTTWS, host: "edge:8083"},
		"wss://edge/mqtt":               {transport: TransportMQTTWSS, host: "edge:443"},
		"mqtt+quic://[::1]:14567":       {transport: TransportMQTTQUIC, host: "[::1]:14567"},
		"quic://127.0.0.1:4433":         {transport: TransportQUIC, host: "127.0.0.1:4433"},
		"QUIC://edge.example.org":       {transport: TransportQUIC, host: "edge.example.org:4433"},
		"tcp://edge:1883/ignored/path?": {transport: TransportMQTTTCP, host: "edge:1883"},
	} {
		ep, err := parseURL(raw)
		require.NoError(t, err, raw)
		require.Equal(t, want.transport, ep.transport, raw)
		require.Equal(t, want.host, ep.host, raw)
	}
	ep, err := parseURL("ws://edge:8083")
	require.NoError(t, err)
	require.Equal(t, "ws://edge:8083/mqtt", ep.url.String(), "the WebSocket path defaults to /mqtt")
	for _, raw := range []string{"", "http://edge", "tcp://", "edge:1883", "quic://:4433"} {
		_, err := parseURL(raw)
		require.Error(t, err, raw)
	}
}

func TestTLSOnlyWhereTheTransportUsesIt(t *testing.T) {
	for _, c := range []struct {
		url string
		tls TLS
		ok  bool
	}{
		{"tcp://h:1", TLS{}, true},
		{"tcp://h:1", TLS{Insecure: true}, false},
		{"mqtts://h:1", TLS{}, false},
		{"mqtts://h:1", TLS{CAFile: "ca.pem"}, true},
		{"mqtt+quic://h:1", TLS{PinnedFingerprint: "AB"}, true},
		{"quic://h:1", TLS{Insecure: true}, true},
		{"quic://h:1", TLS{Insecure: true, CAFile: "ca.pem"}, false},
	} {
		o := Options{URL: c.url, StationID: 1, TLS: c.tls}
		err := o.Validate()
		require.Equal(t, c.ok, err == nil, "%s %+v: %v", c.url, c.tls, err)
	}
}

func TestConnectErrorIsRefusedOnlyWithACode(t *testing.T) {
	cause := errors.New("not authorised")
	refused := &ConnectError{Transport: TransportMQTTTCP, Addr: "h:1", Code: 5, Err: cause}
	require.ErrorIs(t, refused, ErrRefused)
	require.ErrorIs(t, refused, cause)
	require.NotErrorIs(t, &ConnectError{Transport: TransportQUIC, Err: cause}, ErrRefused)
}
