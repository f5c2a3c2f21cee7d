package client

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/quic-go/quic-go"

	"github.com/michi-v2x/michi/pkg/v2x"
	"github.com/michi-v2x/michi/pkg/v2x/native"
)

const nativeALPN = native.ALPN

// nativeSession is one michi-v2x/1 connection (pkg/v2x/native). The edge tracks the vehicle
// from its CAMs and chooses the recipients of each alert itself, so there is nothing to
// subscribe; a new session's hello is the whole of the restoration after a reconnection.
type nativeSession struct {
	c    *Client
	conn *native.Conn
	pump sync.WaitGroup // the goroutine moving alerts from conn to the client
	once sync.Once
}

func (c *Client) dialNative(ctx context.Context) (session, error) {
	d := native.Dialer{
		QUIC: &quic.Config{KeepAlivePeriod: c.opts.KeepAlive, MaxIdleTimeout: 2 * c.opts.KeepAlive},
		// A refused CAM or DENM is answered with a non-fatal error frame; count it.
		OnError: func(*native.Error) { c.stats.rejected.Add(1) },
	}
	hello := native.Hello{
		StationID: c.opts.StationID, StationType: c.opts.StationType,
		SourceUUID: c.opts.SourceUUID, Token: c.opts.Token,
	}
	conn, err := d.Dial(ctx, c.ep.host, c.tls, hello)
	if err != nil {
		code := 0
		if pe, ok := errors.AsType[*native.Error](err); ok && pe.Remote && pe.Code != native.CodeNone {
			code = int(pe.Code)
		}
		if ctx.Err() != nil && !errors.Is(err, ctx.Err()) {
			err = fmt.Errorf("%w (%v)", ctx.Err(), err)
		}
		return nil, &ConnectError{Transport: c.ep.transport, Addr: c.ep.host, Code: code, Err: err}
	}
	s := &nativeSession{c: c, conn: conn}
	s.pump.Add(1)
	go s.run()
	return s, nil
}

// run hands the connection's alerts to the client until the connection ends. deliver never
// blocks, so the connection's own bounded channel never fills and the edge never sees this
// vehicle as a slow consumer because the application is slow.
func (s *nativeSession) run() {
	defer s.pump.Done()
	keys := s.c.opts.AlertKeys
	for a := range s.conn.Alerts() {
		var keyID string
		if keys != nil {
			if s.c.duplicate(a.DENM) {
				continue
			}
			if a.Verify(keys) != nil { // unsigned, an unknown key, or not what the edge signed
				s.c.stats.unverified.Add(1)
				continue
			}
			keyID = a.Signature.KeyID
		}
		s.c.deliver(Alert{
			DENM: a.DENM, ActionID: a.ActionID(), Received: a.ReceivedAt,
			// the reference time is on the edge's clock, as the send stamp is: the same offset
			AlertLatency: a.Latency() + a.ServerSendTime().Sub(a.DENM.ReferenceTime()),
			Latency:      a.Latency(), Transport: TransportQUIC, KeyID: keyID,
		})
	}
}

// sendCAM hands the state to the connection's freshest-wins mailbox (a QUIC datagram, or the
// telemetry stream where datagrams are unavailable); it does not block.
func (s *nativeSession) sendCAM(_ context.Context, m *v2x.CAM) error { return s.conn.SendCAM(m) }

func (s *nativeSession) sendDENM(ctx context.Context, m *v2x.DENM) error {
	return s.conn.SendDENM(ctx, m)
}

func (s *nativeSession) follow(context.Context) error { return nil }
func (s *nativeSession) lost() <-chan struct{}        { return s.conn.Done() }
func (s *nativeSession) cause() error                 { return s.conn.Err() }

func (s *nativeSession) close() {
	s.once.Do(func() {
		_ = s.conn.Close()
		s.pump.Wait()
	})
}
