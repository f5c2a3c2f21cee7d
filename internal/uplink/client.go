package uplink

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"sync/atomic"
	"time"

	"github.com/quic-go/quic-go"

	"github.com/michi-v2x/michi/internal/tlsconf"
)

// Client is the edge's end of the uplink. Run keeps a connection to the hub: it says Hello,
// acks in the Queue what the hub's Welcome says it has, sends every pending record after that
// mark in Batches (at most MaxInFlight unacknowledged), follows the Queue's Notify for new
// ones, applies the hub's Acks to the Queue, and hands authority hazards to OnAuthority. When
// the hub is away or the connection breaks it redials with exponential backoff and jitter; the
// Queue keeps filling meanwhile, and Queue.Append never waits for any of this.
//
// All connection state is owned by the goroutine running Run; Stats reads atomics.
type Client struct {
	o        ClientOptions
	q        *Queue
	edgeID   string
	tlsConf  *tls.Config
	quicConf *quic.Config

	started     atomic.Bool
	connected   atomic.Bool
	ackedSeq    atomic.Uint64
	sentSeq     atomic.Uint64
	connects    atomic.Uint64
	failures    atomic.Uint64
	authorities atomic.Uint64
	lastErr     atomic.Pointer[string]
}

// ClientStats describe a Client for metrics and health records.
type ClientStats struct {
	EdgeID      string
	Connected   bool
	AckedSeq    uint64 // the hub holds every record at or below it
	SentSeq     uint64 // the last seq sent (possibly not yet acknowledged)
	Depth       int    // records waiting for the hub (Queue.Depth)
	Dropped     uint64 // records the Queue dropped under pressure
	Connects    uint64 // sessions established (Welcome received)
	Reconnects  uint64 // sessions established after the first
	Failures    uint64 // connection attempts or sessions that ended in an error
	Authorities uint64 // authority hazards received
	LastError   string // why the last attempt or session ended, "" if none yet
}

// NewClient checks o and returns a Client; it does no I/O.
func NewClient(o ClientOptions) (*Client, error) {
	o.setDefaults()
	if err := o.Validate(); err != nil {
		return nil, err
	}
	id := o.EdgeID
	if id == "" {
		if len(o.TLS.Certificates) == 0 {
			return nil, errors.New("uplink client: EdgeID is required when the certificate comes from GetClientCertificate")
		}
		var err error
		if id, err = tlsconf.CertificateIdentity(o.TLS.Certificates[0]); err != nil {
			return nil, fmt.Errorf("uplink client: %w", err)
		}
		if id == "" {
			return nil, errors.New("uplink client: the client certificate has no CommonName (the edge id)")
		}
	}
	tc := o.TLS.Clone()
	tc.NextProtos = []string{ALPN}
	if tc.MinVersion < tls.VersionTLS13 {
		tc.MinVersion = tls.VersionTLS13
	}
	if tc.ServerName == "" {
		if host, _, err := net.SplitHostPort(o.HubAddr); err == nil {
			tc.ServerName = host
		}
	}
	return &Client{o: o, q: o.Queue, edgeID: id, tlsConf: tc, quicConf: quicConfig(o.QUIC, false)}, nil
}

// EdgeID returns the id the Client says Hello with.
func (c *Client) EdgeID() string { return c.edgeID }

// Run connects to the hub and keeps the uplink going until ctx ends; it returns nil then, or
// ErrStarted when called twice. It never gives up on its own: refusals and failures are
// logged, counted in Stats and retried with backoff (a refused identity at BackoffMax).
func (c *Client) Run(ctx context.Context) error {
	if !c.started.CompareAndSwap(false, true) {
		return ErrStarted
	}
	log := c.o.Log.With("edge", c.edgeID, "hub", c.o.HubAddr)
	backoff := c.o.BackoffMin
	for {
		welcomed, err := c.session(ctx)
		c.connected.Store(false)
		if ctx.Err() != nil {
			return nil
		}
		if err == nil {
			err = errors.New("hub closed the uplink")
		}
		msg := err.Error()
		c.lastErr.Store(&msg)
		c.failures.Add(1)
		if welcomed {
			backoff = c.o.BackoffMin
		}
		if pe := asProtocolError(err); pe != nil && pe.Code == CodeIdentity {
			backoff = c.o.BackoffMax
		}
		wait := backoff/2 + rand.N(backoff/2+1)
		log.Warn("uplink down; retrying", "err", msg, "in", wait)
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil
		case <-t.C:
		}
		backoff = min(backoff*2, c.o.BackoffMax)
	}
}

// Stats returns the Client's state and counters.
func (c *Client) Stats() ClientStats {
	st := ClientStats{
		EdgeID:      c.edgeID,
		Connected:   c.connected.Load(),
		AckedSeq:    c.ackedSeq.Load(),
		SentSeq:     c.sentSeq.Load(),
		Connects:    c.connects.Load(),
		Failures:    c.failures.Load(),
		Authorities: c.authorities.Load(),
	}
	if st.Connects > 1 {
		st.Reconnects = st.Connects - 1
	}
	qs := c.q.Stats()
	st.Depth, st.Dropped = qs.Depth, qs.Dropped
	if p := c.lastErr.Load(); p != nil {
		st.LastError = *p
	}
	return st
}

// dial opens a QUIC connection to the hub on a socket of its own, closed with the connection.
func (c *Client) dial(ctx context.Context) (*quic.Conn, error) {
	raddr, err := net.ResolveUDPAddr("udp", c.o.HubAddr)
	if err != nil {
		return nil, err
	}
	pc, err := net.ListenUDP("udp", nil)
	if err != nil {
		return nil, err
	}
	tr := &quic.Transport{Conn: pc}
	release := func() {
		_ = tr.Close()
		_ = pc.Close()
	}
	qc, err := tr.Dial(ctx, raddr, c.tlsConf, c.quicConf)
	if err != nil {
		release()
		return nil, err
	}
	context.AfterFunc(qc.Context(), release)
	return qc, nil
}
