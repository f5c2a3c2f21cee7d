package client

import (
	"context"
	"crypto/tls"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"sync"
	"time"

	"github.com/michi-v2x/michi/pkg/tlsclient"
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

// ownReport remembers a report this client made, so that an update keeps its detection time and
// gets a later reference time.
type ownReport struct{ detection, reference, expiry time.Time }

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
		conf, err := tlsclient.Config(tlsclient.Options{
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

// Close ends the client: it leaves the server (MQTT DISCONNECT, native Bye), closes Alerts and
// returns once the session has ended and every goroutine of the client has returned (paho's
// and quic-go's are given at most a second to stop). It is idempotent and returns nil.
func (c *Client) Close() error {
	c.cancel(ErrClosed)
	<-c.done
	return nil
}
