package native

import (
	"testing"
	"time"
)

func TestClockEstimator(t *testing.T) {
	var c clockEstimator
	if off, rtt := c.estimate(); off != 0 || rtt != 0 {
		t.Fatal("estimate before any sample")
	}
	const skew = int64(5 * time.Second) // the server's clock is 5 s ahead
	exchange := func(t0, up, down int64) {
		c.add(t0, t0+up+skew, t0+up+down)
	}
	exchange(1_000, 40_000, 40_000) // rtt 80 µs, symmetric: exact
	if off, rtt := c.estimate(); off != time.Duration(skew) || rtt != 80*time.Microsecond {
		t.Fatalf("estimate = %v, %v", off, rtt)
	}
	exchange(2_000_000, 9_000_000, 1_000_000) // slow, asymmetric: off by 4 ms, not chosen
	if off, _ := c.estimate(); off != time.Duration(skew) {
		t.Fatalf("a worse sample replaced a better one: %v", off)
	}
	c.add(10, 20, 5) // the client's clock stepped back: ignored
	if _, rtt := c.estimate(); rtt != 80*time.Microsecond {
		t.Fatal("negative rtt sample used")
	}
	// After clockWindow newer samples, the old best ages out.
	for i := range clockWindow {
		exchange(int64(i)*1e9, 100_000, 300_000)
	}
	off, rtt := c.estimate()
	if rtt != 400*time.Microsecond || off != time.Duration(skew)-100*time.Microsecond {
		t.Fatalf("after the window: %v, %v", off, rtt)
	}
}

func TestAlertLatency(t *testing.T) {
	sent := time.Unix(1_700_000_000, 0)
	a := Alert{
		ServerSendNS: sent.UnixNano(),
		ClockOffset:  3 * time.Second, // server ahead by 3 s
		ReceivedAt:   sent.Add(-3*time.Second + 1500*time.Microsecond),
	}
	if got := a.Latency(); got != 1500*time.Microsecond {
		t.Fatalf("Latency = %v", got)
	}
	if !a.ServerSendTime().Equal(sent) {
		t.Fatal("ServerSendTime")
	}
}
