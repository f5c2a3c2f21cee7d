package native

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/michi-v2x/michi/pkg/v2x/native"
	"github.com/quic-go/quic-go"
)

// offer queues a for the session's writer; see Server.Deliver.
func (sess *session) offer(a native.Alert) bool {
	sess.qmu.Lock()
	if sess.draining || sess.ctx.Err() != nil {
		sess.qmu.Unlock()
		sess.srv.stats.add(cAlertsUndelivered)
		return false
	}
	res := sess.queue.offer(a)
	sess.qmu.Unlock()
	switch res {
	case offerQueued:
		sess.count(cAlertsQueued)
		sess.signal()
	case offerSuperseded:
		sess.count(cAlertsSuperseded)
	case offerDuplicate:
		sess.count(cAlertsDedup)
	case offerOverflow:
		sess.fail(native.CodeSlowConsumer, fmt.Sprintf("alert queue overflowed (%d alerts waiting)", sess.srv.o.QueueLen))
		return false
	}
	return true
}

// next waits for the next alert to write. It reports false when the session is over, or when
// it is draining and nothing is left.
func (sess *session) next() (native.Alert, bool) {
	for {
		sess.qmu.Lock()
		a, ok := sess.queue.pop(sess.srv.o.Now())
		draining := sess.draining
		sess.qmu.Unlock()
		if ok {
			return a, true
		}
		if draining {
			return native.Alert{}, false
		}
		select {
		case <-sess.ctx.Done():
			return native.Alert{}, false
		case <-sess.wake:
		}
	}
}

// writeAlerts is the session's one writer: it opens a unidirectional stream per alert, writes
// the alert frame and the FIN, within the write timeout. A client that does not take its streams
// (the stream limit it grants stays exhausted) or flow-controls one for WriteTimeout is evicted
// as a slow consumer; only this goroutine waited for it.
func (sess *session) writeAlerts() {
	defer sess.wg.Done()
	o := &sess.srv.o
	var buf []byte
	var seq uint64
	for {
		a, ok := sess.next()
		if !ok {
			if sess.ctx.Err() == nil { // drained
				sess.fail(native.CodeShuttingDown, "server shutting down")
			}
			return
		}
		if sess.ctx.Err() != nil {
			return
		}
		a.Seq = seq + 1 // seqs stay contiguous: a client counts them when told to go
		a.ServerSendNS = o.Now().UnixNano()
		var err error
		if buf, err = native.AppendFrame(buf[:0], &a); err != nil {
			sess.log.Error("native alert not encodable", "action_id", a.ActionID().String(), "err", err)
			continue
		}
		seq++
		if err := sess.writeAlert(buf); err != nil {
			if sess.ctx.Err() == nil && sess.qc.Context().Err() == nil {
				sess.fail(native.CodeSlowConsumer, err.Error())
			}
			return
		}
		sess.lastSeq.Store(seq)
		sess.count(cAlertsSent)
	}
}

func (sess *session) writeAlert(b []byte) error {
	wt := sess.srv.o.WriteTimeout
	// The client grants streams ahead (the reference client 128), so a stream is almost always
	// at hand: only when the limit is reached does the writer wait, with a timer, for more.
	str, err := sess.qc.OpenUniStream()
	if _, limited := errors.AsType[*quic.StreamLimitReachedError](err); limited {
		ctx, cancel := context.WithTimeout(sess.ctx, wt)
		str, err = sess.qc.OpenUniStreamSync(ctx)
		cancel()
	}
	if err != nil {
		return fmt.Errorf("no alert stream could be opened within %v: %w", wt, err)
	}
	_ = str.SetWriteDeadline(time.Now().Add(wt))
	if _, err = str.Write(b); err == nil {
		err = str.Close()
	}
	if err != nil {
		str.CancelWrite(quic.StreamErrorCode(native.CodeSlowConsumer))
		return fmt.Errorf("alert stream not written within %v: %w", wt, err)
	}
	return nil
}
