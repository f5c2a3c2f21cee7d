package native

import (
	"sync"
	"time"
)

// clockWindow is how many recent ping samples the clock estimate chooses from.
const clockWindow = 8

// clockEstimator estimates the offset of the server's clock from the client's, NTP-style (RFC
// 5905 §8, one server): a ping sent at client time t0, answered at server time t1 and received
// at client time t3 gives offset = t1 − (t0 + t3)/2 and round-trip time t3 − t0, assuming the
// two directions take equally long. The error of a sample is at most half its round-trip time,
// so the estimate is the sample with the smallest round-trip time of the last clockWindow.
// It is safe for concurrent use.
type clockEstimator struct {
	mu      sync.Mutex
	samples [clockWindow]clockSample
	n, next int
	best    clockSample
}

type clockSample struct{ offset, rtt time.Duration }

// add records one exchange; times are Unix nanoseconds. A sample with a negative round-trip
// time (the client's clock stepped back) is ignored.
func (c *clockEstimator) add(t0, t1, t3 int64) {
	rtt := t3 - t0
	if rtt < 0 {
		return
	}
	s := clockSample{offset: time.Duration(t1 - (t0 + rtt/2)), rtt: time.Duration(rtt)}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.samples[c.next] = s
	c.next = (c.next + 1) % clockWindow
	c.n = min(c.n+1, clockWindow)
	c.best = c.samples[0]
	for _, s := range c.samples[1:c.n] {
		if s.rtt < c.best.rtt {
			c.best = s
		}
	}
}

// estimate returns the offset (server − client) and the round-trip time of the best recent
// sample, zero before any.
func (c *clockEstimator) estimate() (offset, rtt time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.best.offset, c.best.rtt
}
