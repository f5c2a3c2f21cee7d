package uplink

import (
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"time"

	"github.com/quic-go/quic-go"
)

// Server defaults, applied where Options leaves a field zero.
const (
	DefaultAddr            = ":7443"
	DefaultHelloTimeout    = 10 * time.Second
	DefaultFrameTimeout    = 30 * time.Second
	DefaultWriteTimeout    = 10 * time.Second
	DefaultStoreTimeout    = 30 * time.Second
	DefaultDrainTimeout    = 5 * time.Second
	DefaultMaxBatchRecords = 4096
	DefaultMaxOutbox       = 1024
	DefaultLiveProbe       = 2 * time.Second
	// DefaultKeepAlive and DefaultIdleTimeout are the QUIC settings of both sides: a hub or an
	// edge that vanished without a word is noticed within DefaultIdleTimeout.
	DefaultKeepAlive   = 10 * time.Second
	DefaultIdleTimeout = 30 * time.Second
)

// Options configures the hub's Server. The zero value of every field except TLS and Sink
// means its default.
type Options struct {
	// Addr is the UDP address to listen on; "127.0.0.1:0" picks a free port (see Server.Addr).
	Addr string
	// PacketConn, when set, is served instead of opening Addr; it stays the caller's (Run does
	// not close it, so a Server can be started again on it, as tests of outages do).
	PacketConn net.PacketConn
	// TLS must hold the hub's certificate and require client certificates:
	// ClientAuth = tls.RequireAndVerifyClientCert with ClientCAs set (tlsconf.MutualServerConfig
	// or tlsconf.MutualServerTLS). NextProtos is replaced by ALPN on a copy.
	TLS *tls.Config
	// Sink stores what the edges send. Required.
	Sink Sink
	// Log receives connection-level events; nil discards them.
	Log *slog.Logger
	// QUIC overrides the QUIC settings; nil uses DefaultKeepAlive and DefaultIdleTimeout.
	QUIC *quic.Config

	HelloTimeout    time.Duration // from handshake to Hello
	FrameTimeout    time.Duration // from a frame's first byte to its last
	WriteTimeout    time.Duration // one frame written to a slow edge
	StoreTimeout    time.Duration // one Sink.Store
	DrainTimeout    time.Duration // graceful shutdown: in-flight batches finish within this
	MaxFrameBytes   int           // DefaultMaxFrameBytes
	MaxBatchRecords int           // records in one Batch
	MaxOutbox       int           // authority hazards waiting for one edge's ack
	// LiveProbe is how long an edge's connection has to answer when a second one with its id
	// arrives: if it does, the second is refused (CodeDuplicate); if not, it is dead and replaced.
	LiveProbe time.Duration

	// OnEdge, when set, is called when an edge has completed its Hello (connected) and when its
	// connection has ended (not connected). The hub uses it to resend the active authority
	// hazards an edge needs and to show the edge's state. Called from the connection's
	// goroutine; it must not block for long.
	OnEdge func(edgeID string, connected bool)
	// OnAuthorityAck, when set, is called when an edge confirmed an authority hazard.
	OnAuthorityAck func(edgeID, hazardID string)
}

func (o *Options) setDefaults() {
	if o.Addr == "" {
		o.Addr = DefaultAddr
	}
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	setDur(&o.HelloTimeout, DefaultHelloTimeout)
	setDur(&o.FrameTimeout, DefaultFrameTimeout)
	setDur(&o.WriteTimeout, DefaultWriteTimeout)
	setDur(&o.StoreTimeout, DefaultStoreTimeout)
	setDur(&o.DrainTimeout, DefaultDrainTimeout)
	setDur(&o.LiveProbe, DefaultLiveProbe)
	setInt(&o.MaxFrameBytes, DefaultMaxFrameBytes)
	setInt(&o.MaxBatchRecords, DefaultMaxBatchRecords)
	setInt(&o.MaxOutbox, DefaultMaxOutbox)
}

// Validate reports every problem with o at once.
func (o *Options) Validate() error {
	var errs []error
	if o.Sink == nil {
		errs = append(errs, errors.New("uplink server: Sink is required"))
	}
	switch {
	case o.TLS == nil:
		errs = append(errs, errors.New("uplink server: TLS is required"))
	default:
		if len(o.TLS.Certificates) == 0 && o.TLS.GetCertificate == nil {
			errs = append(errs, errors.New("uplink server: TLS has no certificate"))
		}
		if o.TLS.ClientAuth != tls.RequireAndVerifyClientCert {
			errs = append(errs, errors.New("uplink server: TLS must require and verify client certificates (mutual TLS)"))
		}
		if o.TLS.ClientCAs == nil && o.TLS.GetConfigForClient == nil {
			errs = append(errs, errors.New("uplink server: TLS has no client CA"))
		}
	}
	errs = append(errs, nonNegative("uplink server",
		"HelloTimeout", o.HelloTimeout, "FrameTimeout", o.FrameTimeout, "WriteTimeout", o.WriteTimeout,
		"StoreTimeout", o.StoreTimeout, "DrainTimeout", o.DrainTimeout, "LiveProbe", o.LiveProbe)...)
	if o.MaxFrameBytes < 0 || o.MaxBatchRecords < 0 || o.MaxOutbox < 0 {
		errs = append(errs, errors.New("uplink server: limits must not be negative"))
	}
	return errors.Join(errs...)
}

// Client defaults.
const (
	DefaultBatchMax    = 256
	DefaultBatchBytes  = 1 << 20
	DefaultMaxInFlight = 4
	DefaultBackoffMin  = 250 * time.Millisecond
	DefaultBackoffMax  = 30 * time.Second
	DefaultDialTimeout = 10 * time.Second
)

// ClientOptions configures the edge's Client. The zero value of every field except HubAddr,
// TLS and Queue means its default.
type ClientOptions struct {
	// HubAddr is the hub's UDP address, host:port. Required.
	HubAddr string
	// TLS must hold the edge's client certificate (its CommonName is the edge id) and trust the
	// hub's CA (tlsconf.ClientConfig with CAFile, CertFile, KeyFile, or tlsconf.MutualClientTLS).
	// NextProtos is replaced by ALPN on a copy; ServerName defaults to HubAddr's host.
	TLS *tls.Config
	// Queue is where the edge's records wait for the hub. Required. The Client is its only
	// consumer (Pending, Ack, Notify).
	Queue *Queue
	// OnAuthority receives authority hazards from the hub, one at a time, from the Client's
	// goroutine; it should hand them off quickly. The same hazard may arrive more than once (after
	// a reconnect): treat it as an upsert by ID. Nil acknowledges and ignores them.
	OnAuthority func(AuthorityHazard)
	// EdgeID is the id sent in Hello; empty means the certificate's CommonName, the only id
	// the hub accepts.
	EdgeID string
	// Log receives connection-level events; nil discards them.
	Log *slog.Logger
	// QUIC overrides the QUIC settings; nil uses DefaultKeepAlive and DefaultIdleTimeout.
	QUIC *quic.Config

	BatchMax      int           // records per Batch
	BatchBytes    int           // encoded record bytes per Batch (one record may exceed it)
	MaxInFlight   int           // Batches sent and not yet acked
	BackoffMin    time.Duration // first retry delay after a failed or lost connection
	BackoffMax    time.Duration // the delay doubles up to this; each wait is jittered
	DialTimeout   time.Duration // handshake plus Welcome
	WriteTimeout  time.Duration // one frame
	MaxFrameBytes int           // largest frame accepted from the hub
}

func (o *ClientOptions) setDefaults() {
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	setInt(&o.BatchMax, DefaultBatchMax)
	setInt(&o.BatchBytes, DefaultBatchBytes)
	setInt(&o.MaxInFlight, DefaultMaxInFlight)
	setDur(&o.BackoffMin, DefaultBackoffMin)
	setDur(&o.BackoffMax, DefaultBackoffMax)
	setDur(&o.DialTimeout, DefaultDialTimeout)
	setDur(&o.WriteTimeout, DefaultWriteTimeout)
	setInt(&o.MaxFrameBytes, DefaultMaxFrameBytes)
	if o.BackoffMax < o.BackoffMin {
		o.BackoffMax = o.BackoffMin
	}
}

// Validate reports every problem with o at once.
func (o *ClientOptions) Validate() error {
	var errs []error
	if o.HubAddr == "" {
		errs = append(errs, errors.New("uplink client: HubAddr is required"))
	}
	if o.Queue == nil {
		errs = append(errs, errors.New("uplink client: Queue is required"))
	}
	if o.TLS == nil {
		errs = append(errs, errors.New("uplink client: TLS is required"))
	} else if len(o.TLS.Certificates) == 0 && o.TLS.GetClientCertificate == nil {
		errs = append(errs, errors.New("uplink client: TLS has no client certificate (the hub requires mutual TLS)"))
	}
	errs = append(errs, nonNegative("uplink client",
		"BackoffMin", o.BackoffMin, "BackoffMax", o.BackoffMax, "DialTimeout", o.DialTimeout,
		"WriteTimeout", o.WriteTimeout)...)
	if o.BatchMax < 0 || o.BatchBytes < 0 || o.MaxInFlight < 0 || o.MaxFrameBytes < 0 {
		errs = append(errs, errors.New("uplink client: limits must not be negative"))
	}
	return errors.Join(errs...)
}

func setDur(d *time.Duration, def time.Duration) {
	if *d == 0 {
		*d = def
	}
}

func setInt(v *int, def int) {
	if *v == 0 {
		*v = def
	}
}

// nonNegative checks name/duration pairs.
func nonNegative(who string, pairs ...any) []error {
	var errs []error
	for i := 0; i+1 < len(pairs); i += 2 {
		if d := pairs[i+1].(time.Duration); d < 0 {
			errs = append(errs, fmt.Errorf("%s: %s must not be negative (got %v)", who, pairs[i], d))
		}
	}
	return errs
}

// quicConfig returns the QUIC settings for one side.
func quicConfig(c *quic.Config, server bool) *quic.Config {
	if c == nil {
		c = &quic.Config{}
	} else {
		c = c.Clone()
	}
	if c.KeepAlivePeriod == 0 {
		c.KeepAlivePeriod = DefaultKeepAlive
	}
	if c.MaxIdleTimeout == 0 {
		c.MaxIdleTimeout = DefaultIdleTimeout
	}
	if server {
		c.MaxIncomingStreams = 1 // the edge's one bidirectional stream
	} else {
		c.MaxIncomingStreams = -1 // everything travels on the edge's stream
	}
	c.MaxIncomingUniStreams = -1
	return c
}
