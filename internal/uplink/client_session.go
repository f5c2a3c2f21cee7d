package uplink

import (
	"context"
	"io"
	"sync/atomic"
	"time"

	"github.com/quic-go/quic-go"
	"github.com/vmihailenco/msgpack/v5"
)

// clientConn is one session's connection, seen from the Client's Run goroutine.
type clientConn struct {
	c   *Client
	qc  *quic.Conn
	str *quic.Stream
	enc *frameEncoder

	// Filled by the reader goroutine.
	ackHW   atomic.Uint64
	ackC    chan struct{}       // capacity 1: ackHW moved
	authC   chan authorityFrame // authority hazards in arrival order
	readErr chan error          // capacity 1: why reading ended
}

// session runs one connection: dial, Hello, Welcome, then streaming until it fails or ctx
// ends. welcomed reports whether the hub answered the Hello.
func (c *Client) session(ctx context.Context) (welcomed bool, err error) {
	dctx, cancel := context.WithTimeout(ctx, c.o.DialTimeout)
	defer cancel()
	qc, err := c.dial(dctx)
	if err != nil {
		return false, err
	}
	defer func() {
		if pe := asProtocolError(err); pe != nil && !pe.Remote {
			_ = qc.CloseWithError(pe.Code, pe.Reason)
		} else {
			_ = qc.CloseWithError(CodeNoError, "")
		}
	}()
	str, err := qc.OpenStreamSync(dctx)
	if err != nil {
		return false, c.connErr(qc, err)
	}
	cc := &clientConn{
		c: c, qc: qc, str: str, enc: newFrameEncoder(),
		ackC:    make(chan struct{}, 1),
		authC:   make(chan authorityFrame, 64),
		readErr: make(chan error, 1),
	}
	if err := cc.write(frameHello, &helloFrame{EdgeID: c.edgeID, LastAcked: c.q.Acked(), Depth: c.q.Depth()}); err != nil {
		return false, c.connErr(qc, err)
	}
	fr := &frameReader{r: str, max: c.o.MaxFrameBytes}
	deadline, _ := dctx.Deadline()
	_ = str.SetReadDeadline(deadline)
	t, body, err := fr.next()
	if err != nil {
		return false, c.connErr(qc, readError(err, "welcome"))
	}
	if t != frameWelcome {
		return false, protoErr(CodeProtocol, "first frame from the hub is %s, want Welcome", t)
	}
	var w welcomeFrame
	if err := decodeBody(t, body, &w); err != nil {
		return false, protoErr(CodeProtocol, "%v", err)
	}
	_ = str.SetReadDeadline(time.Time{})
	cancel()

	acked := c.q.Acked()
	if w.HighWater < acked {
		c.o.Log.Warn("hub holds less than it acknowledged before; records in between cannot be resent",
			"edge", c.edgeID, "hub_high_water", w.HighWater, "acked", acked)
	}
	if err := c.q.Ack(w.HighWater); err != nil {
		return true, err
	}
	c.ackedSeq.Store(max(w.HighWater, acked))
	c.connected.Store(true)
	c.connects.Add(1)
	c.o.Log.Info("uplink connected", "edge", c.edgeID, "hub_high_water", w.HighWater, "depth", c.q.Depth())

	readerDone := make(chan struct{})
	go func() {
		defer close(readerDone)
		cc.readLoop(fr)
	}()
	err = cc.stream(ctx, max(w.HighWater, acked))
	_ = qc.CloseWithError(CodeNoError, "")
	<-readerDone
	if ctx.Err() != nil {
		return true, nil
	}
	return true, err
}

// connErr prefers the reason the hub closed the connection with over the local symptom.
func (c *Client) connErr(qc *quic.Conn, err error) error {
	if pe := asProtocolError(err); pe != nil {
		return pe
	}
	select {
	case <-qc.Context().Done():
		if pe := asProtocolError(context.Cause(qc.Context())); pe != nil {
			return pe
		}
	default:
	}
	return err
}

// stream sends pending records and handles what the hub sends until something fails or ctx
// ends (nil).
func (cc *clientConn) stream(ctx context.Context, sent uint64) error {
	c := cc.c
	var inflight []uint64 // the last seq of each unacknowledged batch
	for {
		for len(inflight) < c.o.MaxInFlight {
			raws, last, err := c.q.pendingRaw(sent, c.o.BatchMax, c.o.BatchBytes)
			if err != nil {
				return err
			}
			if len(raws) == 0 {
				break
			}
			if err := cc.write(frameBatch, &batchFrame{Records: rawMessages(raws)}); err != nil {
				return c.connErr(cc.qc, err)
			}
			sent = last
			inflight = append(inflight, last)
			c.sentSeq.Store(sent)
		}
		select {
		case <-ctx.Done():
			return nil
		case <-c.q.Notify():
		case <-cc.ackC:
			hw := cc.ackHW.Load()
			if err := c.q.Ack(hw); err != nil {
				return err
			}
			c.ackedSeq.Store(max(c.ackedSeq.Load(), hw))
			for len(inflight) > 0 && inflight[0] <= hw {
				inflight = inflight[1:]
			}
			sent = max(sent, hw)
		case a := <-cc.authC:
			c.authorities.Add(1)
			if err := a.Hazard.Validate(); err != nil {
				c.o.Log.Warn("invalid authority hazard ignored", "edge", c.edgeID, "err", err.Error())
			} else if c.o.OnAuthority != nil {
				c.o.OnAuthority(a.Hazard)
			}
			if err := cc.write(frameAuthorityAck, &authorityAckFrame{Tag: a.Tag}); err != nil {
				return c.connErr(cc.qc, err)
			}
		case err := <-cc.readErr:
			return err
		}
	}
}

// readLoop reads the hub's frames until the connection ends.
func (cc *clientConn) readLoop(fr *frameReader) {
	fail := func(err error) { cc.readErr <- cc.c.connErr(cc.qc, err) }
	for {
		t, body, err := fr.next()
		if err != nil {
			if err == io.EOF {
				err = &ProtocolError{Code: CodeGoingAway, Reason: "hub ended the stream", Remote: true}
			}
			fail(readError(err, "read"))
			return
		}
		switch t {
		case frameAck:
			var a ackFrame
			if err := decodeBody(t, body, &a); err != nil {
				fail(protoErr(CodeProtocol, "%v", err))
				return
			}
			cc.ackHW.Store(a.HighWater)
			select {
			case cc.ackC <- struct{}{}:
			default:
			}
		case frameAuthority:
			var a authorityFrame
			if err := decodeBody(t, body, &a); err != nil {
				fail(protoErr(CodeProtocol, "%v", err))
				return
			}
			select {
			case cc.authC <- a:
			case <-cc.qc.Context().Done():
				return
			}
		default:
			fail(protoErr(CodeProtocol, "unexpected %s frame from the hub", t))
			return
		}
	}
}

// write sends one frame within WriteTimeout.
func (cc *clientConn) write(t frameType, v any) error {
	b, err := cc.enc.encode(t, v)
	if err != nil {
		return err
	}
	_ = cc.str.SetWriteDeadline(time.Now().Add(cc.c.o.WriteTimeout))
	if _, err := cc.str.Write(b); err != nil {
		return err
	}
	return nil
}

func rawMessages(raws [][]byte) []msgpack.RawMessage {
	out := make([]msgpack.RawMessage, len(raws))
	for i, r := range raws {
		out[i] = r
	}
	return out
}
