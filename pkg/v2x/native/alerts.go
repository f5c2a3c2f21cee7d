package native

import (
	"bytes"
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/michi-v2x/michi/pkg/v2x"
	"github.com/quic-go/quic-go"
)

// acceptAlerts accepts the server's unidirectional streams, one alert each, and reads each in
// its own goroutine, so that a stream waiting for a lost packet delays no other alert.
func (c *Conn) acceptAlerts() {
	defer c.wg.Done()
	ctx := c.qc.Context()
	for {
		str, err := c.qc.AcceptUniStream(ctx)
		if err != nil {
			return // the connection ended
		}
		c.wg.Add(1) // wg is above zero (this goroutine), so Add may race with the closer's Wait
		go c.readAlert(str)
	}
}

// readAlert reads the one Alert frame of str and delivers it.
func (c *Conn) readAlert(str *quic.ReceiveStream) {
	defer c.wg.Done()
	_ = str.SetReadDeadline(time.Now().Add(alertReadTimeout))
	var buf bytes.Buffer
	_, err := buf.ReadFrom(io.LimitReader(str, lengthSize+MaxFrameSize+1))
	received := c.d.Now()
	if err != nil {
		str.CancelRead(quic.StreamErrorCode(CodeNone))
		return // a reset stream, a timeout or the connection's end: nothing to deliver
	}
	f, err := DecodeFrame(buf.Bytes())
	if err != nil {
		c.fail(CodeOf(err, CodeBadFrame), fmt.Errorf("alert stream: %w", err))
		return
	}
	a, ok := f.(*Alert)
	if !ok {
		c.fail(CodeBadFrame, &Error{Code: CodeBadFrame, Reason: "a " + f.Type().String() + " frame on an alert stream"})
		return
	}
	defer c.alertHandled()
	if !c.versions.admit(a, received) {
		c.stats.alertsStale.Add(1)
		return
	}
	a.ReceivedAt = received
	a.ClockOffset = c.ClockOffset()
	select {
	case c.alerts <- a:
		c.stats.alerts.Add(1)
	case <-c.qc.Context().Done():
	}
}

func (c *Conn) alertHandled() {
	c.handled.Add(1)
	select {
	case c.handledSig <- struct{}{}:
	default:
	}
}

// awaitAlerts waits until n alert frames have been handled, at most drainWait.
func (c *Conn) awaitAlerts(n uint64) {
	t := time.NewTimer(drainWait)
	defer t.Stop()
	for c.handled.Load() < n {
		select {
		case <-c.handledSig:
		case <-t.C:
			return
		case <-c.qc.Context().Done():
			return
		}
	}
}

// versionFilter remembers the newest version (reference_time) delivered of each hazard.
type versionFilter struct {
	mu     sync.Mutex
	newest map[v2x.ActionID]version
}

type version struct {
	ref    uint64    // reference_time
	expiry time.Time // when the hazard ends at the latest; then it is forgotten
}

// pruneAbove is the size beyond which expired hazards are forgotten.
const pruneAbove = 1024

// admit reports whether a is newer than every version of its hazard admitted before, and then
// records it.
func (v *versionFilter) admit(a *Alert, now time.Time) bool {
	id, ref := a.ActionID(), a.ReferenceTime()
	v.mu.Lock()
	defer v.mu.Unlock()
	if old, ok := v.newest[id]; ok && old.ref >= ref {
		return false
	}
	if v.newest == nil {
		v.newest = make(map[v2x.ActionID]version)
	}
	if len(v.newest) >= pruneAbove {
		for k, old := range v.newest {
			if now.After(old.expiry) {
				delete(v.newest, k)
			}
		}
	}
	v.newest[id] = version{ref: ref, expiry: a.DENM.Expiry()}
	return true
}
