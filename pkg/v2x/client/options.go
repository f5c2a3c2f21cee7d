package client

import (
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/michi-v2x/michi/pkg/v2x"
)

// Transport names, as Alert.Transport and Client.Transport report them.
const (
	TransportMQTTTCP  = "mqtt-tcp"  // tcp://, mqtt://
	TransportMQTTTLS  = "mqtt-tls"  // mqtts://, ssl://, tls://
	TransportMQTTWS   = "mqtt-ws"   // ws://
	TransportMQTTWSS  = "mqtt-wss"  // wss://
	TransportMQTTQUIC = "mqtt-quic" // mqtt+quic://: MQTT over QUIC, one stream, ALPN "mqtt"
	TransportQUIC     = "quic"      // quic://: michi's native protocol, ALPN "michi-v2x/1"
)

// Options configures a Client. The zero value of every field but URL and StationID means "the
// default".
type Options struct {
	// URL of the edge node; its scheme chooses the transport (see the package documentation):
	// "tcp://host:1883", "ws://host:8083/mqtt", "mqtt+quic://host:14567", "quic://host:4433", …
	URL string
	// StationID is the vehicle's ETSI station id (required, not 0).
	StationID uint32
	// StationType, default v2x.StationPassengerCar.
	StationType v2x.StationType
	// SourceUUID is the its-client source_uuid and topic source id, default "com_car_<StationID>".
	// Over MQTT it is also the client id.
	SourceUUID string
	// Root is the topic root, default "michi".
	Root string
	// TLS says how the server is verified on the transports that use TLS (mqtt-tls, mqtt-wss,
	// mqtt-quic, quic): one of them is required there; on plaintext transports it must be empty.
	TLS TLS
	// Token is the credential: the MQTT password (user name SourceUUID), the native hello's token.
	Token string
	// AlertKeys are the edge keys alerts must be signed with (the edge's /api/v1/keys). When set,
	// an alert whose signature is missing or does not verify with one of them is dropped
	// (Stats.AlertsUnverified), over every transport: MQTT 5 user properties, or the native
	// alert frame's fields.
	AlertKeys v2x.KeySet
	// SubscribeZoom is the zoom of the tiles an MQTT client subscribes to (its own plus the 8
	// around it), default 16. It must not be finer than the edge's disseminate_zoom (default
	// 16): a subscription never matches a message published on a coarser tile.
	SubscribeZoom int
	// AlertBuffer is the capacity of the Alerts channel, default 256. When it is full the oldest
	// alert is dropped (Stats.AlertsDropped).
	AlertBuffer int
	// Backoff bounds the delay between reconnection attempts.
	Backoff Backoff
	// DialTimeout bounds one connection attempt (dial, TLS, MQTT CONNECT or native hello),
	// default 10 s.
	DialTimeout time.Duration
	// KeepAlive is the MQTT keep-alive / QUIC keep-alive period, default 15 s.
	KeepAlive time.Duration
	// Log receives connection events (never per-message events), default: discarded.
	Log *slog.Logger
}

// TLS selects how the client verifies the server (internal/tlsconf). CAFile and
// PinnedFingerprint may be combined; Insecure must stand alone and is for loopback demos only.
type TLS struct {
	CAFile            string // PEM CA certificates (or the server's self-signed certificate)
	PinnedFingerprint string // SHA-256 of the server's leaf certificate, e.g. from the edge's log
	Insecure          bool   // skip verification: explicit, never a default
	ServerName        string // name verified and sent as SNI; default the URL's host
}

func (t TLS) empty() bool { return t == TLS{} }

// Backoff is the reconnection policy: the n-th consecutive failed attempt (from 0) waits a random
// duration in [d/2, d] with d = min(Max, Min·2ⁿ) before the next one.
type Backoff struct {
	Min time.Duration // default 100 ms
	Max time.Duration // default 10 s
}

// Defaults.
const (
	DefaultRoot          = "michi"
	DefaultSubscribeZoom = 16
	DefaultAlertBuffer   = 256
	DefaultBackoffMin    = 100 * time.Millisecond
	DefaultBackoffMax    = 10 * time.Second
	DefaultDialTimeout   = 10 * time.Second
	DefaultKeepAlive     = 15 * time.Second
)

func (o *Options) setDefaults() {
	if o.StationType == 0 {
		o.StationType = v2x.StationPassengerCar
	}
	if o.SourceUUID == "" && o.StationID != 0 {
		o.SourceUUID = "com_car_" + strconv.FormatUint(uint64(o.StationID), 10)
	}
	if o.Root == "" {
		o.Root = DefaultRoot
	}
	if o.SubscribeZoom == 0 {
		o.SubscribeZoom = DefaultSubscribeZoom
	}
	if o.AlertBuffer == 0 {
		o.AlertBuffer = DefaultAlertBuffer
	}
	if o.Backoff.Min == 0 {
		o.Backoff.Min = DefaultBackoffMin
	}
	if o.Backoff.Max == 0 {
		o.Backoff.Max = max(DefaultBackoffMax, o.Backoff.Min)
	}
	if o.DialTimeout == 0 {
		o.DialTimeout = DefaultDialTimeout
	}
	if o.KeepAlive == 0 {
		o.KeepAlive = DefaultKeepAlive
	}
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
}

// Validate applies the defaults and reports every problem at once as an *OptionsError.
func (o *Options) Validate() error {
	o.setDefaults()
	var problems []string
	bad := func(format string, a ...any) { problems = append(problems, fmt.Sprintf(format, a...)) }
	if o.StationID == 0 {
		bad("station_id: required")
	}
	if ep, err := parseURL(o.URL); err != nil {
		bad("%v", err)
	} else if ep.secure() {
		if o.TLS.empty() {
			bad("url %q uses TLS: set TLS.CAFile, TLS.PinnedFingerprint or, for loopback tests only, TLS.Insecure", o.URL)
		}
	} else if !o.TLS.empty() {
		bad("url %q is plaintext but TLS options are set: use a TLS scheme (mqtts, wss, mqtt+quic, quic)", o.URL)
	}
	if o.TLS.Insecure && (o.TLS.CAFile != "" || o.TLS.PinnedFingerprint != "") {
		bad("tls: insecure cannot be combined with a CA file or a pinned fingerprint")
	}
	if strings.ContainsAny(o.SourceUUID, "/+#\x00") || strings.TrimSpace(o.SourceUUID) != o.SourceUUID {
		bad("source_uuid %q: must be one topic level without wildcards, NUL or surrounding spaces", o.SourceUUID)
	}
	if o.Root == "" || strings.ContainsAny(o.Root, "+#\x00") || strings.HasPrefix(o.Root, "/") ||
		strings.HasSuffix(o.Root, "/") || strings.HasPrefix(o.Root, "$") {
		bad("root %q: no wildcards or NUL, must not start or end with '/' or start with '$'", o.Root)
	}
	if o.SubscribeZoom < 1 || o.SubscribeZoom > 18 {
		bad("subscribe_zoom %d: want 1 … 18 (and not finer than the edge's disseminate_zoom)", o.SubscribeZoom)
	}
	if o.AlertBuffer < 1 {
		bad("alert_buffer %d: want ≥ 1", o.AlertBuffer)
	}
	if o.Backoff.Min < 0 || o.Backoff.Max < o.Backoff.Min {
		bad("backoff: want 0 < min ≤ max, got min %s max %s", o.Backoff.Min, o.Backoff.Max)
	}
	if o.DialTimeout < 0 {
		bad("dial_timeout %s: must be positive", o.DialTimeout)
	}
	if o.KeepAlive < time.Second {
		bad("keep_alive %s: want ≥ 1s", o.KeepAlive)
	}
	if len(problems) > 0 {
		return &OptionsError{Problems: problems}
	}
	return nil
}

// endpoint is a parsed URL: the transport it selects and the address to dial.
type endpoint struct {
	transport string
	host      string // host:port
	url       *url.URL
}

func (e endpoint) secure() bool {
	switch e.transport {
	case TransportMQTTTLS, TransportMQTTWSS, TransportMQTTQUIC, TransportQUIC:
		return true
	}
	return false
}

// schemes maps URL schemes to transports and default ports.
var schemes = map[string]struct {
	transport string
	port      string
}{
	"tcp":       {TransportMQTTTCP, "1883"},
	"mqtt":      {TransportMQTTTCP, "1883"},
	"mqtts":     {TransportMQTTTLS, "8883"},
	"ssl":       {TransportMQTTTLS, "8883"},
	"tls":       {TransportMQTTTLS, "8883"},
	"ws":        {TransportMQTTWS, "80"},
	"wss":       {TransportMQTTWSS, "443"},
	"mqtt+quic": {TransportMQTTQUIC, "14567"},
	"quic":      {TransportQUIC, "4433"},
}

func parseURL(raw string) (endpoint, error) {
	if raw == "" {
		return endpoint{}, fmt.Errorf("url: required")
	}
	u, err := url.Parse(raw)
	if err != nil {
		return endpoint{}, fmt.Errorf("url %q: %v", raw, err)
	}
	s, ok := schemes[strings.ToLower(u.Scheme)]
	if !ok {
		return endpoint{}, fmt.Errorf("url %q: scheme %q: want tcp, mqtt, mqtts, ssl, tls, ws, wss, mqtt+quic or quic", raw, u.Scheme)
	}
	if u.Hostname() == "" {
		return endpoint{}, fmt.Errorf("url %q: no host", raw)
	}
	port := u.Port()
	if port == "" {
		port = s.port
	}
	ep := endpoint{transport: s.transport, host: net.JoinHostPort(u.Hostname(), port), url: u}
	if (s.transport == TransportMQTTWS || s.transport == TransportMQTTWSS) && u.Path == "" {
		c := *u
		c.Path = "/mqtt"
		ep.url = &c
	}
	return ep, nil
}
