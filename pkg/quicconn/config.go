package quicconn

import (
	"crypto/tls"
	"time"

	"github.com/quic-go/quic-go"
)

// Defaults applied where a setting is zero.
const (
	// ALPN is the application protocol offered when tls.Config.NextProtos is empty: MQTT over
	// QUIC as EMQX and NanoMQ announce it.
	ALPN = "mqtt"
	// DefaultKeepAlivePeriod is how often an idle connection is pinged, well inside
	// DefaultMaxIdleTimeout and short enough for common NAT UDP mapping timeouts (30 s and more).
	DefaultKeepAlivePeriod = 15 * time.Second
	// DefaultMaxIdleTimeout is how long a connection may go without hearing from the peer.
	DefaultMaxIdleTimeout = 60 * time.Second
	// DefaultStreamTimeout is how long an accepted connection may take to open its stream.
	DefaultStreamTimeout = 10 * time.Second
	// DefaultLinger is the longest Conn.Close keeps the connection open for the peer to read
	// what was written before Close.
	DefaultLinger = 2 * time.Second
)

// quicConfig returns a copy of c with michi's defaults filled in.
func quicConfig(c *quic.Config, server bool) *quic.Config {
	if c == nil {
		c = &quic.Config{}
	} else {
		c = c.Clone()
	}
	switch {
	case c.KeepAlivePeriod == 0:
		c.KeepAlivePeriod = DefaultKeepAlivePeriod
	case c.KeepAlivePeriod < 0:
		c.KeepAlivePeriod = 0 // quic-go: zero means no keep-alives
	}
	if c.MaxIdleTimeout == 0 {
		c.MaxIdleTimeout = DefaultMaxIdleTimeout
	}
	if server {
		// Single-stream mode: the client's first bidirectional stream is the connection. Further
		// streams would never be read, so the client is not allowed to open them.
		if c.MaxIncomingStreams == 0 {
			c.MaxIncomingStreams = 1
		}
	} else if c.MaxIncomingStreams == 0 {
		c.MaxIncomingStreams = -1
	}
	if c.MaxIncomingUniStreams == 0 {
		c.MaxIncomingUniStreams = -1
	}
	return c
}

// tlsConfig returns a copy of c offering ALPN when it names no protocol.
func tlsConfig(c *tls.Config) (*tls.Config, error) {
	if c == nil {
		return nil, ErrNoTLSConfig
	}
	c = c.Clone()
	if len(c.NextProtos) == 0 {
		c.NextProtos = []string{ALPN}
	}
	return c, nil
}

func orDefault(d, def time.Duration) time.Duration {
	if d == 0 {
		return def
	}
	return d
}
