package edge

import (
	"errors"
	"fmt"
	"math"
	"path"
	"time"

	"github.com/michi-v2x/michi/internal/httpsrv"
)

// LimitOptions bound what one client may take from the edge: how long it may idle, how many
// sessions and subscriptions it may hold, how fast it may publish. The zero value of every field
// means its default; README "Credentials and roles" states them.
//
// Per-credential bounds (MaxSessions, PublishRate) apply on an edge with credentials, per
// source_uuid a connection is admitted as: a credential for one source is bounded as a whole; a
// fleet token ("*") is bounded per source it names, so the fleet together is bounded only by
// MaxClients. Without credentials no client has an identity to be counted by, and only the
// per-connection bounds apply.
type LimitOptions struct {
	// ConnectTimeout: an MQTT connection that has not sent its CONNECT by then is closed
	// (mochi-mqtt waits for ever; internal/broker sets the bound). Default 10 s.
	ConnectTimeout time.Duration `yaml:"connect_timeout"`
	// MaxKeepAlive is the keep-alive the edge gives an MQTT client that asks for none (0), and an
	// MQTT v5 client that asks for more (told in CONNACK as Server Keep Alive, which it must use):
	// a connection silent for 1.5 times it is closed. Whole seconds, 1 s … 65535 s; default 5 min.
	MaxKeepAlive time.Duration `yaml:"max_keepalive"`
	// WSOrigins are the browser origins allowed on the WebSocket listeners besides the listener's
	// own host: host patterns ("dash.example.org", "*.example.org") or scheme://host patterns
	// (path.Match syntax). A request without Origin (not a browser) is not checked. On a loopback
	// listener the own host must be an IP address or localhost (a name could be rebound to it).
	WSOrigins []string `yaml:"ws_origins"`
	// HTTP bounds every request on the HTTP API and the WebSocket listeners' upgrade requests.
	HTTP httpsrv.Timeouts `yaml:"http"`

	// MaxClients is the number of MQTT connections the edge serves at once; beyond, CONNECT is
	// refused with 0x89 server busy (v3.1.1: server unavailable). Default 20,000.
	MaxClients int `yaml:"max_clients"`
	// MaxSessions is the number of sessions one credential holds at once, MQTT (connected or kept
	// for a reconnect) and native together; beyond, CONNECT is refused with 0x97 quota exceeded,
	// a native hello with busy. Default 8.
	MaxSessions int `yaml:"max_sessions"`
	// MaxSubscriptions is the number of topic filters one MQTT session holds; a filter beyond is
	// refused in the SUBACK (0x87, the code mochi-mqtt lets a hook give). Default 64.
	MaxSubscriptions int `yaml:"max_subscriptions"`
	// SessionExpiry caps how long a disconnected MQTT session is kept (a v5 client's Session
	// Expiry Interval, also when raised at DISCONNECT; a v3.1.1 persistent session). Whole
	// seconds; default 10 min.
	SessionExpiry time.Duration `yaml:"session_expiry"`
	// PublishRate and PublishBurst are the messages per second one credential may publish over
	// all its connections, MQTT and native, and how many at once (a token bucket). Beyond, a
	// message is refused (reason rate_limited; MQTT v5 QoS ≥ 1: PUBACK 0x97 quota exceeded;
	// native: an Error frame busy) and counted. Default
	// 50 per second, 100 at once (a vehicle sends at most 10 CAMs a second); negative: no bound.
	PublishRate  float64 `yaml:"publish_rate"`
	PublishBurst int     `yaml:"publish_burst"`
}

func (o *LimitOptions) setDefaults() {
	setDur := func(d *time.Duration, def time.Duration) {
		if *d == 0 {
			*d = def
		}
	}
	setInt := func(v *int, def int) {
		if *v == 0 {
			*v = def
		}
	}
	setDur(&o.ConnectTimeout, 10*time.Second)
	setDur(&o.MaxKeepAlive, 5*time.Minute)
	setDur(&o.SessionExpiry, 10*time.Minute)
	setInt(&o.MaxClients, 20000)
	setInt(&o.MaxSessions, 8)
	setInt(&o.MaxSubscriptions, 64)
	if o.PublishRate == 0 {
		o.PublishRate = 50
	}
	setInt(&o.PublishBurst, 100)
}

func (o *LimitOptions) validate() error {
	var errs []error
	bad := func(format string, a ...any) { errs = append(errs, fmt.Errorf(format, a...)) }
	if o.ConnectTimeout < 100*time.Millisecond {
		bad("connect_timeout %s: want ≥ 100ms", o.ConnectTimeout)
	}
	if o.MaxKeepAlive < time.Second || o.MaxKeepAlive > math.MaxUint16*time.Second {
		bad("max_keepalive %s: want 1s … 65535s", o.MaxKeepAlive)
	}
	if o.SessionExpiry < time.Second || o.SessionExpiry > math.MaxUint32*time.Second {
		bad("session_expiry %s: want ≥ 1s", o.SessionExpiry)
	}
	for _, p := range o.WSOrigins {
		if _, err := path.Match(p, ""); err != nil || p == "" {
			bad("ws_origins %q: not a host pattern", p)
		}
	}
	if err := o.HTTP.Validate(); err != nil {
		bad("%w", err)
	}
	if o.MaxClients < 1 || o.MaxSessions < 1 || o.MaxSubscriptions < 1 {
		bad("max_clients, max_sessions and max_subscriptions: want ≥ 1")
	}
	if o.PublishRate > 0 && o.PublishBurst < 1 {
		bad("publish_burst %d: want ≥ 1", o.PublishBurst)
	}
	return errors.Join(errs...)
}

// logLimit logs a connection refused at a limit, at most once per RejectLogEvery.
func (n *Node) logLimit(limit, remote, user string) {
	if now := time.Now().UnixNano(); now-n.limitLog.Load() >= int64(n.opts.RejectLogEvery) {
		n.limitLog.Store(now)
		n.log.Warn("refused a client at a limit", "limit", limit, "remote", remote, "user", user)
	}
}
