package native

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/michi-v2x/michi/pkg/v2x"
	"github.com/quic-go/quic-go"

	"github.com/michi-v2x/michi/internal/testutil"
)

func TestAlertsWithLatencyAndVersions(t *testing.T) {
	s := newFakeServer(t, fakeOpts{datagrams: true, skew: -3 * time.Second})
	c, ss := dialFake(t, s, Dialer{})
	testutil.WaitFor(t, wait, "a ping round trip", func() bool { return c.RTT() > 0 && c.RTT() < 50*time.Millisecond })

	v1 := fixtureHazard(fixtureTime, false)
	v2 := fixtureHazard(fixtureTime.Add(time.Second), false)
	send := func(m *v2x.DENM, seq uint64) {
		a := NewAlert(m)
		a.Seq, a.ServerSendNS = seq, s.now()
		ss.sendAlert(t, &a)
	}
	send(v1, 1)
	a := testutil.Within(t, wait, "alert 1", c.Alerts())
	if a.Seq != 1 || a.ActionID() != v1.ActionID() {
		t.Fatalf("alert = %+v", a)
	}
	// Skewed by −3 s, yet the latency is measured on one clock: small and not negative beyond
	// the offset's error.
	if l := a.Latency(); l < -c.RTT() || l > time.Second {
		t.Fatalf("latency %v (offset %v, rtt %v)", l, a.ClockOffset, c.RTT())
	}
	send(v1, 2) // the same version again: dropped
	send(v2, 3) // newer: delivered
	if a := testutil.Within(t, wait, "alert 3", c.Alerts()); a.Seq != 3 {
		t.Fatalf("got seq %d, want 3", a.Seq)
	}
	send(v1, 4) // older than delivered: dropped
	send(fixtureHazard(fixtureTime.Add(2*time.Second), true), 5)
	if a := testutil.Within(t, wait, "alert 5", c.Alerts()); a.Seq != 5 {
		t.Fatalf("got seq %d, want 5", a.Seq)
	}
	// Streams are read concurrently: the stale one may be handled after alert 5.
	testutil.WaitFor(t, wait, "two stale alerts", func() bool { st := c.Stats(); return st.Alerts == 3 && st.AlertsStale == 2 })
}

func TestProtocolViolationByServer(t *testing.T) {
	s := newFakeServer(t, fakeOpts{datagrams: true})
	c, ss := dialFake(t, s, Dialer{})
	// An alert stream carrying something else.
	str, err := ss.qc.OpenUniStream()
	if err != nil {
		t.Fatal(err)
	}
	_ = WriteFrame(str, &Ping{TNS: 1})
	_ = str.Close()
	testutil.Within(t, wait, "Done", c.Done())
	if !errors.Is(c.Err(), CodeBadFrame) {
		t.Fatalf("Err = %v", c.Err())
	}
	var closeErr *quic.ApplicationError
	<-ss.qc.Context().Done()
	if !errors.As(context.Cause(ss.qc.Context()), &closeErr) || Code(closeErr.ErrorCode) != CodeBadFrame {
		t.Fatalf("the client closed with %v", context.Cause(ss.qc.Context()))
	}
}
