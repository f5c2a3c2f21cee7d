package native

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/michi-v2x/michi/pkg/v2x"
)

// writeControl writes f on the control stream, bounded by ctx and the write timeout.
func (c *Conn) writeControl(ctx context.Context, f Frame) error {
	b, err := EncodeFrame(f)
	if err != nil {
		return err
	}
	if mf := int(c.welcome.MaxFrame); mf > 0 && len(b)-lengthSize > mf {
		return &Error{Code: CodeTooLarge, Reason: fmt.Sprintf("%s frame of %d bytes exceeds the server's max_frame %d", f.Type(), len(b)-lengthSize, mf)}
	}
	deadline := time.Now().Add(c.d.WriteTimeout)
	if dl, ok := ctx.Deadline(); ok && dl.Before(deadline) {
		deadline = dl
	}
	c.ctrlMu.Lock()
	defer c.ctrlMu.Unlock()
	if err := ctx.Err(); err != nil {
		return err
	}
	stop := context.AfterFunc(ctx, func() { _ = c.ctrl.SetWriteDeadline(time.Now()) })
	defer stop()
	_ = c.ctrl.SetWriteDeadline(deadline)
	_, err = c.ctrl.Write(b)
	_ = c.ctrl.SetWriteDeadline(time.Time{})
	return err
}

// SendDENM sends a hazard report on the control stream, reliably and in order with the other
// control frames. It blocks until the frame is handed to QUIC, at most until ctx ends or the
// write timeout passes. The server checks it (station id, validation) and answers a refusal
// with a non-fatal Error frame (see Dialer.OnError).
func (c *Conn) SendDENM(ctx context.Context, m *v2x.DENM) error {
	if err := c.closed(); err != nil {
		return err
	}
	if err := c.writeControl(ctx, &DENMFrame{DENM: m}); err != nil {
		if cerr := c.closed(); cerr != nil {
			return cerr
		}
		return err
	}
	c.stats.denmsSent.Add(1)
	return nil
}

// closed returns why the connection ended (ErrClosed when unknown yet) once it has; nil while
// it is open.
func (c *Conn) closed() error {
	if c.qc.Context().Err() == nil {
		return nil
	}
	if err := c.getErr(); err != nil {
		return err
	}
	return ErrClosed
}

// readControl handles the server's control frames until the connection ends.
func (c *Conn) readControl() {
	defer c.wg.Done()
	for {
		f, err := c.ctrlReader.ReadFrame()
		if err != nil {
			if c.qc.Context().Err() != nil || closedByServer(err) {
				c.setErr(closeError(err)) // the connection ended (the stream may hear it first)
				return
			}
			if pe, ok := errors.AsType[*Error](err); ok {
				c.fail(pe.Code, fmt.Errorf("control stream: %w", pe))
				return
			}
			if errors.Is(err, io.EOF) {
				err = errors.New("the server ended the control stream")
			}
			c.fail(CodeBadFrame, fmt.Errorf("control stream: %w", err))
			return
		}
		switch f := f.(type) {
		case *Pong:
			c.clock.add(f.TNS, f.ServerTimeNS, c.d.Now().UnixNano())
		case *ErrorFrame:
			if f.Fatal {
				// The server closes the connection after it; once the alerts it wrote have
				// arrived, closing first (CodeNone: we acknowledge) saves it waiting for us.
				c.setErr(f.Err())
				c.awaitAlerts(f.LastSeq)
				_ = c.qc.CloseWithError(0, "")
				return
			}
			c.stats.errorsReceived.Add(1)
			if c.d.OnError != nil {
				c.d.OnError(f.Err())
			}
		case *Bye:
			c.setErr(&Error{Code: CodeNone, Reason: f.Reason, Remote: true})
			_ = c.qc.CloseWithError(0, "")
			return
		default:
			c.fail(CodeBadFrame, &Error{Code: CodeBadFrame, Reason: "unexpected " + f.Type().String() + " frame on the control stream"})
			return
		}
	}
}

// ping measures the clock offset: three pings soon after the welcome, then one every
// PingInterval.
func (c *Conn) ping() {
	defer c.wg.Done()
	ctx := c.qc.Context()
	schedule := []time.Duration{0, 50 * time.Millisecond, 200 * time.Millisecond}
	for i := 0; ; i++ {
		wait := c.d.PingInterval
		if i < len(schedule) {
			wait = schedule[i]
		} else if wait < 0 {
			return
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-t.C:
		}
		if err := c.writeControl(ctx, &Ping{TNS: c.d.Now().UnixNano()}); err != nil && ctx.Err() == nil {
			if closedByServer(err) {
				c.setErr(closeError(err))
				return
			}
			c.fail(CodeNone, fmt.Errorf("control stream: ping: %w", err))
			return
		}
	}
}
