package native

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/michi-v2x/michi/pkg/v2x"
	"github.com/quic-go/quic-go"
)

// telemetry is the client's CAM path: a one-frame mailbox where a newer CAM replaces one not yet
// sent (freshest wins), drained by sendTelemetry. SendCAM never blocks: quic-go's SendDatagram
// blocks while 32 datagrams are queued, and a stream write may wait for flow control, but only
// the sender goroutine waits, and meanwhile newer CAMs replace the stale one.
type telemetry struct {
	mu      sync.Mutex
	pending []byte // the encoded frame to send next, nil when none
	spare   []byte // a buffer to encode into
	wake    chan struct{}

	stream *quic.SendStream // the fallback stream, opened on first use; owned by sendTelemetry
}

// SendCAM sends the vehicle's state without blocking: as a QUIC datagram when the connection
// uses datagrams (Datagrams), else — or when the frame does not fit a datagram — on the
// client's telemetry stream. A CAM not yet sent when the next arrives is dropped
// (Stats().CAMsSuperseded): only the freshest state matters. It fails only for a CAM that
// cannot be encoded or when the connection has ended.
func (c *Conn) SendCAM(m *v2x.CAM) error {
	if err := c.closed(); err != nil {
		return err
	}
	t := &c.tel
	t.mu.Lock()
	b, err := AppendFrame(t.spare[:0], &CAMFrame{CAM: m})
	if err == nil {
		if mf := int(c.welcome.MaxFrame); mf > 0 && len(b)-lengthSize > mf {
			err = &Error{Code: CodeTooLarge, Reason: fmt.Sprintf("cam frame of %d bytes exceeds the server's max_frame %d", len(b)-lengthSize, mf)}
		}
	}
	if err != nil {
		t.mu.Unlock()
		return err
	}
	if t.pending != nil {
		c.stats.camsSuperseded.Add(1)
	}
	t.spare, t.pending = t.pending, b
	t.mu.Unlock()
	select {
	case t.wake <- struct{}{}:
	default:
	}
	return nil
}

// sendTelemetry sends the mailbox's CAM whenever there is one.
func (c *Conn) sendTelemetry() {
	defer c.wg.Done()
	t := &c.tel
	ctx := c.qc.Context()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.wake:
		}
		t.mu.Lock()
		b := t.pending
		t.pending = nil
		t.mu.Unlock()
		if b == nil {
			continue
		}
		if err := c.sendCAMFrame(ctx, b); err != nil {
			if ctx.Err() == nil {
				c.fail(CodeNone, fmt.Errorf("telemetry: %w", err))
			}
			return
		}
		c.stats.camsSent.Add(1)
		t.mu.Lock()
		if t.spare == nil { // SendDatagram and Write have copied b or are done with it
			t.spare = b[:0]
		}
		t.mu.Unlock()
	}
}

func (c *Conn) sendCAMFrame(ctx context.Context, b []byte) error {
	if c.datagrams {
		err := c.qc.SendDatagram(b)
		if err == nil {
			c.stats.camDatagrams.Add(1)
			return nil
		}
		if _, tooLarge := errors.AsType[*quic.DatagramTooLargeError](err); !tooLarge {
			return err
		}
	}
	t := &c.tel
	if t.stream == nil {
		octx, cancel := context.WithTimeout(ctx, c.d.WriteTimeout)
		str, err := c.qc.OpenUniStreamSync(octx)
		cancel()
		if err != nil {
			return fmt.Errorf("open stream: %w", err)
		}
		t.stream = str
	}
	_ = t.stream.SetWriteDeadline(time.Now().Add(c.d.WriteTimeout))
	if _, err := t.stream.Write(b); err != nil {
		return fmt.Errorf("stream write: %w", err)
	}
	c.stats.camStream.Add(1)
	return nil
}
