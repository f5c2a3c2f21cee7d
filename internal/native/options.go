package native

import (
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/michi-v2x/michi/pkg/v2x/native"
)

// Defaults applied where an Options field is zero.
const (
	DefaultAddr             = "127.0.0.1:14568"
	DefaultEdgeID           = "edge-1"
	DefaultQueueLen         = 64
	DefaultWriteTimeout     = 2 * time.Second
	DefaultHandshakeTimeout = 5 * time.Second
	DefaultIdleTimeout      = 30 * time.Second
	DefaultMaxSessions      = 10_000
	DefaultMaxBadFrames     = 16
	DefaultDrainTimeout     = 2 * time.Second
	DefaultCloseLinger      = time.Second
)

// Options configures a Server. The zero value of every field means its default.
type Options struct {
	// Addr is the UDP address to serve on; default DefaultAddr. "127.0.0.1:0" picks a free port.
	Addr string `yaml:"addr"`
	// TLS is the server's TLS configuration, with a certificate (internal/tlsconf.ServerConfig
	// makes one). Required. It is cloned and its NextProtos replaced by michi-v2x/1.
	TLS *tls.Config `yaml:"-"`
	// EdgeID names the edge in every Welcome; default DefaultEdgeID.
	EdgeID string `yaml:"edge_id"`
	// QueueLen bounds each session's queue of alerts waiting for their stream; default 64. A
	// session whose queue would overflow is evicted (slow_consumer).
	QueueLen int `yaml:"queue_len"`
	// WriteTimeout bounds opening and writing one alert stream, and any control-stream write;
	// default 2 s. A session whose alert stream cannot be written in time is evicted.
	WriteTimeout time.Duration `yaml:"write_timeout"`
	// HandshakeTimeout bounds the QUIC handshake, and then the hello; default 5 s.
	HandshakeTimeout time.Duration `yaml:"handshake_timeout"`
	// IdleTimeout closes a connection the peer has not been heard from for this long; default
	// 30 s (clients keep alive every 10 s).
	IdleTimeout time.Duration `yaml:"idle_timeout"`
	// MaxSessions bounds the sessions at once; default 10,000. Beyond it a hello is refused
	// with busy.
	MaxSessions int `yaml:"max_sessions"`
	// MaxBadFrames: after this many refused frames in a row a session is closed; default 16.
	MaxBadFrames int `yaml:"max_bad_frames"`
	// DrainTimeout bounds how long shutdown waits for sessions to write their queued alerts
	// before closing them; default 2 s.
	DrainTimeout time.Duration `yaml:"drain_timeout"`
	// CloseLinger is how long a session closed with a fatal Error frame waits for the client to
	// read it (and the alerts written before it) and close first; default 1 s. A client that
	// behaves closes at once.
	CloseLinger time.Duration `yaml:"close_linger"`
	// DisableDatagrams refuses CAM datagrams: clients send CAMs on a stream.
	DisableDatagrams bool `yaml:"disable_datagrams"`
	// Log receives the server's events; default discards them.
	Log *slog.Logger `yaml:"-"`
	// Now is the clock for the protocol's timestamps; default time.Now.
	Now func() time.Time `yaml:"-"`
	// Authenticate checks a hello's credentials before the Handler sees it and says what they
	// grant (SessionInfo.Grant); nil accepts every hello, all as one credential. An error refuses
	// the session with unauthorized, or with the native.Code it carries.
	Authenticate func(native.Hello) (Grant, error) `yaml:"-"`
}

func (o *Options) setDefaults() {
	if o.Addr == "" {
		o.Addr = DefaultAddr
	}
	if o.EdgeID == "" {
		o.EdgeID = DefaultEdgeID
	}
	if o.QueueLen == 0 {
		o.QueueLen = DefaultQueueLen
	}
	if o.WriteTimeout == 0 {
		o.WriteTimeout = DefaultWriteTimeout
	}
	if o.HandshakeTimeout == 0 {
		o.HandshakeTimeout = DefaultHandshakeTimeout
	}
	if o.IdleTimeout == 0 {
		o.IdleTimeout = DefaultIdleTimeout
	}
	if o.MaxSessions == 0 {
		o.MaxSessions = DefaultMaxSessions
	}
	if o.MaxBadFrames == 0 {
		o.MaxBadFrames = DefaultMaxBadFrames
	}
	if o.DrainTimeout == 0 {
		o.DrainTimeout = DefaultDrainTimeout
	}
	if o.CloseLinger == 0 {
		o.CloseLinger = DefaultCloseLinger
	}
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	if o.Now == nil {
		o.Now = time.Now
	}
}

// Validate reports every problem with the options at once. It applies the defaults first.
func (o *Options) Validate() error {
	o.setDefaults()
	var errs []error
	bad := func(format string, a ...any) { errs = append(errs, fmt.Errorf(format, a...)) }
	if o.TLS == nil {
		bad("tls: required (a server certificate; see internal/tlsconf)")
	} else if len(o.TLS.Certificates) == 0 && o.TLS.GetCertificate == nil && o.TLS.GetConfigForClient == nil {
		bad("tls: the configuration has no certificate")
	}
	if o.QueueLen < 1 || o.QueueLen > 65536 {
		bad("queue_len %d: want 1 … 65536", o.QueueLen)
	}
	for name, d := range map[string]time.Duration{
		"write_timeout": o.WriteTimeout, "handshake_timeout": o.HandshakeTimeout, "idle_timeout": o.IdleTimeout,
		"drain_timeout": o.DrainTimeout, "close_linger": o.CloseLinger,
	} {
		if d < 0 {
			bad("%s %s: must not be negative", name, d)
		}
	}
	if o.HandshakeTimeout > 0 && o.HandshakeTimeout < 10*time.Millisecond {
		bad("handshake_timeout %s: want ≥ 10ms", o.HandshakeTimeout)
	}
	if o.IdleTimeout > 0 && o.IdleTimeout < time.Second {
		bad("idle_timeout %s: want ≥ 1s", o.IdleTimeout)
	}
	if o.MaxSessions < 1 {
		bad("max_sessions %d: want ≥ 1", o.MaxSessions)
	}
	if o.MaxBadFrames < 1 {
		bad("max_bad_frames %d: want ≥ 1", o.MaxBadFrames)
	}
	return errors.Join(errs...)
}
