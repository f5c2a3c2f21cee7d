package client

import (
	"math/rand/v2"
	"time"
)

// delay is the wait before reconnection attempt n+1 after n consecutive failures (n from 0): a
// random duration in [d/2, d], d = min(max, min·2ⁿ). The jitter spreads the reconnections of many
// vehicles after an edge restart, so they do not all arrive at once.
func (b Backoff) delay(n int, rnd func(int64) int64) time.Duration {
	d := b.Min
	for i := 0; i < n && d < b.Max; i++ {
		d *= 2
	}
	d = min(d, b.Max)
	if d <= 1 {
		return d
	}
	half := d / 2
	return half + time.Duration(rnd(int64(d-half)+1))
}

func jitter(n int64) int64 { return rand.Int64N(n) }
