package native

import (
	"context"
	"io"
	"testing"
	"time"

	"github.com/michi-v2x/michi/internal/testutil"
	"github.com/michi-v2x/michi/pkg/v2x/native"
	"github.com/quic-go/quic-go"
)

func TestAlertDelivery(t *testing.T) {
	srv := startServer(t, Options{}, nil)
	c := dial(t, srv, 1001, native.Dialer{})
	if srv.Deliver(4242, native.NewAlert(hazard(1, t0))) {
		t.Fatal("Deliver to a station without a session")
	}
	m := hazard(1, t0)
	if !srv.Deliver(1001, native.Alert{DENM: m}) { // without NewAlert's cache: encoded per session
		t.Fatal("Deliver refused")
	}
	a := recv(t, c.Alerts(), "the alert")
	if a.ActionID() != m.ActionID() || a.Seq != 1 || a.ServerSendNS == 0 {
		t.Fatalf("alert %+v", a)
	}
	// One machine, one clock: the latency is what it took, a little under a second at most even
	// under the race detector; the offset estimate may err by part of the round trip.
	if l := a.Latency(); l < -c.RTT()-time.Millisecond || l > time.Second {
		t.Fatalf("latency %v (offset %v, rtt %v)", l, a.ClockOffset, c.RTT())
	}
	st := srv.Stats()
	if st.AlertsQueued != 1 || st.AlertsUndelivered != 1 {
		t.Fatalf("stats %+v", st)
	}
	testutil.WaitFor(t, wait, "the sent count", func() bool { return srv.Stats().AlertsSent == 1 })
}

// The edge offers active hazards on every CAM: each version reaches the vehicle once.
func TestAlertDeduplication(t *testing.T) {
	srv := startServer(t, Options{}, nil)
	c := dial(t, srv, 1001, native.Dialer{})
	v1 := native.NewAlert(hazard(1, t0))
	srv.Deliver(1001, v1)
	if a := recv(t, c.Alerts(), "v1"); a.Seq != 1 {
		t.Fatalf("seq %d", a.Seq)
	}
	testutil.WaitFor(t, wait, "v1 to be sent", func() bool { return srv.Stats().AlertsSent == 1 })
	for range 5 {
		if !srv.Deliver(1001, v1) {
			t.Fatal("Deliver of a known version must report true")
		}
	}
	v2 := native.NewAlert(hazard(1, t0.Add(time.Second)))
	srv.Deliver(1001, v2)
	if a := recv(t, c.Alerts(), "v2"); a.Seq != 2 || a.ReferenceTime() != v2.ReferenceTime() {
		t.Fatalf("got seq %d ref %d", a.Seq, a.ReferenceTime())
	}
	testutil.WaitFor(t, wait, "two sent, five deduplicated", func() bool {
		st, _ := srv.SessionStats(1001)
		return st.AlertsDeduplicated == 5 && st.AlertsSent == 2
	})
}

// While the writer waits for a stream, a newer version of a queued hazard replaces the older in
// the queue, and only the newer one reaches the vehicle.
func TestAlertSupersededInQueue(t *testing.T) {
	srv := startServer(t, Options{WriteTimeout: wait}, nil)
	h := hello(1001)
	rc := dialRaw(t, srv, &h, &quic.Config{MaxIncomingUniStreams: 1}) // room for one alert stream
	testutil.WaitFor(t, wait, "the session", func() bool { return srv.Sessions() == 1 })

	srv.Deliver(1001, native.NewAlert(hazard(1, t0))) // takes the one stream
	testutil.WaitFor(t, wait, "alert 1 to be written", func() bool { return srv.Stats().AlertsSent == 1 })
	srv.Deliver(1001, native.NewAlert(hazard(2, t0))) // popped: the writer waits for a stream with it
	testutil.WaitFor(t, wait, "alert 2 to be taken", func() bool { st, _ := srv.SessionStats(1001); return st.Queued == 0 })
	srv.Deliver(1001, native.NewAlert(hazard(3, t0)))
	srv.Deliver(1001, native.NewAlert(hazard(3, t0.Add(time.Second)))) // replaces the queued one
	srv.Deliver(1001, native.NewAlert(hazard(3, t0.Add(2*time.Second))))
	if st, _ := srv.SessionStats(1001); st.AlertsSuperseded != 2 || st.Queued != 1 {
		t.Fatalf("session stats %+v", st)
	}

	// Now the vehicle reads its streams: 1, 2, then only the newest version of 3.
	type got struct {
		seq uint16
		ref uint64
	}
	var alerts []got
	for len(alerts) < 3 {
		ctx, cancel := context.WithTimeout(context.Background(), wait)
		str, err := rc.qc.AcceptUniStream(ctx)
		cancel()
		if err != nil {
			t.Fatal(err)
		}
		b, err := io.ReadAll(str) // to the FIN: only a finished stream frees its slot
		if err != nil {
			t.Fatal(err)
		}
		f, err := native.DecodeFrame(b)
		if err != nil {
			t.Fatal(err)
		}
		a := f.(*native.Alert)
		alerts = append(alerts, got{a.ActionID().SequenceNumber, a.ReferenceTime()})
	}
	newest := native.NewAlert(hazard(3, t0.Add(2*time.Second)))
	want := []got{{1, alerts[0].ref}, {2, alerts[1].ref}, {3, newest.ReferenceTime()}}
	for i := range want {
		if alerts[i] != want[i] {
			t.Fatalf("alerts %v, want %v", alerts, want)
		}
	}
}

// One vehicle stops taking its alert streams. The others still get every alert, without
// waiting for its write timeout; it is evicted once its queue overflows.
func TestStalledClientAmongMany(t *testing.T) {
	// Bursts stay under QueueLen: a good vehicle's writer must be able to keep up.
	const good, grant, first, more = 8, 10, 50, 40
	rec := newRecorder()
	srv := startServer(t, Options{QueueLen: 64, WriteTimeout: time.Minute}, rec)
	conns := make([]*native.Conn, good)
	for i := range conns {
		conns[i] = dial(t, srv, uint32(2000+i), native.Dialer{})
	}
	h := hello(1999)
	// It grants 10 alert streams and never accepts one.
	stalled := dialRaw(t, srv, &h, &quic.Config{MaxIncomingUniStreams: grant})
	testutil.WaitFor(t, wait, "every session", func() bool { return srv.Sessions() == good+1 })

	deliver := func(from, to int) {
		for seq := from; seq < to; seq++ {
			a := native.NewAlert(hazard(uint16(seq), t0))
			srv.Deliver(1999, a)
			for i := range conns {
				if !srv.Deliver(uint32(2000+i), a) {
					t.Fatalf("Deliver to vehicle %d refused", i)
				}
			}
		}
	}
	received := make([]map[uint16]bool, good)
	expect := func(to int) {
		t.Helper()
		// Every alert, each once, in far less than the stalled session's write timeout (a minute).
		for i, c := range conns {
			if received[i] == nil {
				received[i] = make(map[uint16]bool)
			}
			for len(received[i]) < to {
				a := recv(t, c.Alerts(), "alerts of a good vehicle")
				seq := a.ActionID().SequenceNumber
				if received[i][seq] || int(seq) >= to {
					t.Fatalf("vehicle %d: alert %d twice or out of the blue", i, seq)
				}
				received[i][seq] = true
			}
			testutil.WaitFor(t, wait, "the sent count", func() bool {
				st, _ := srv.SessionStats(uint32(2000 + i))
				return st.AlertsSent == uint64(to)
			})
		}
	}
	deliver(0, first)
	expect(first)
	// The stalled vehicle holds its unread streams, the writer one more alert, and the rest is
	// queued; it is still connected.
	testutil.WaitFor(t, wait, "the stalled writer to block", func() bool {
		st, ok := srv.SessionStats(1999)
		return ok && st.AlertsSent == grant && st.Queued == first-grant-1
	})
	deliver(first, first+more) // its queue overflows
	if code := stalled.closeCode(t); code != native.CodeSlowConsumer {
		t.Fatalf("stalled vehicle closed with %v", code)
	}
	expect(first + more)
	if st := srv.Stats(); st.Evicted != 1 || st.Sessions != good {
		t.Fatalf("stats %+v", st)
	}
	for _, c := range conns {
		if c.Err() != nil {
			t.Fatalf("a good vehicle was disconnected: %v", c.Err())
		}
	}
}

// A stream that cannot be opened within the write timeout evicts the vehicle.
func TestWriteTimeoutEvicts(t *testing.T) {
	srv := startServer(t, Options{WriteTimeout: 100 * time.Millisecond}, nil)
	h := hello(1001)
	rc := dialRaw(t, srv, &h, &quic.Config{MaxIncomingUniStreams: 1})
	testutil.WaitFor(t, wait, "the session", func() bool { return srv.Sessions() == 1 })
	srv.Deliver(1001, native.NewAlert(hazard(1, t0)))
	srv.Deliver(1001, native.NewAlert(hazard(2, t0)))
	if e := rc.readError(t); e.Code != native.CodeSlowConsumer || !e.Fatal {
		t.Fatalf("error frame %+v", e)
	}
	if code := rc.closeCode(t); code != native.CodeSlowConsumer {
		t.Fatalf("closed with %v", code)
	}
	testutil.WaitFor(t, wait, "the eviction to count", func() bool { return srv.Stats().Evicted == 1 })
}
