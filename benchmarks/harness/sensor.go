package harness

import (
	"context"
	"fmt"
	"runtime"
	"sync/atomic"
	"time"

	"github.com/mochi-mqtt/server/v2/packets"
)

// sensor is the reporting station that injects hazards: against michi it publishes a report
// DENM into inQueue and the edge does the rest; against a baseline broker it publishes the
// alert itself on every tile the hazard covers, as a relay would.
type sensor struct {
	o        *Options
	c        *conn
	sc       *scenario
	col      *collector
	start    time.Time
	baseline bool
	within   bool // expected recipients by distance (native protocol) rather than by tile
	seqBase  uint16

	id       uint16
	lagMax   time.Duration // worst lateness of an injection behind its schedule
	rejected atomic.Int64  // PUBACKs with a failure reason code
	lastCode atomic.Int32
}

// spin is how long before an injection the sensor stops sleeping and polls the clock, so that
// timer slack does not delay injections (and inflate latencies) by up to a scheduler tick.
const spin = 300 * time.Microsecond

func (s *sensor) nextID() uint16 {
	if s.id++; s.id == 0 {
		s.id = 1
	}
	return s.id
}

// run injects the run's hazards, hazard k due at t0 + (k+½)·interval, and returns after the
// last one is sent.
func (s *sensor) run(ctx context.Context, t0 time.Duration) error {
	n := s.o.Hazards()
	if n == 0 {
		return nil
	}
	interval := time.Duration(float64(time.Second) / s.o.HazardRate)
	prepare := min(interval/2, 200*time.Millisecond)
	ping := pingreq()
	last := time.Since(s.start)
	for k := range n {
		sched := t0 + time.Duration(k)*interval + interval/2
		if err := s.waitUntil(ctx, sched-prepare, ping, &last); err != nil {
			return err
		}
		slot := s.sc.order[k]
		h := hazardSpec{seq: s.seqBase + uint16(k), cause: s.o.HazardCause, pos: s.sc.slotPos(slot),
			validity: s.o.HazardValidity, radiusM: s.o.HazardRadiusM, at: time.Now()}
		var (
			expected []int32
			tiles    []string
			pkt      []byte
			err      error
		)
		if s.within {
			expected = s.sc.expectedWithin(h.pos, h.radiusM)
		} else {
			expected, tiles = s.sc.expectedTiles(h.pos, h.radiusM, s.o.Zoom)
		}
		if s.baseline {
			pkt, err = relayPackets(s.o.Root, h, tiles, s.nextID)
		} else {
			pkt, err = reportPacket(s.o.Root, h, s.nextID())
		}
		if err != nil {
			return err
		}
		s.col.register(slot, sched, h.at.UnixMilli(), expected)
		if err := s.waitUntil(ctx, sched, ping, &last); err != nil {
			return err
		}
		if err := s.c.write(pkt); err != nil {
			return fmt.Errorf("sensor: inject hazard %d: %w", k, err)
		}
		last = time.Since(s.start)
		s.lagMax = max(s.lagMax, last-sched)
	}
	return nil
}

// waitUntil sleeps until at (since start), spinning for the last moment, and pings the broker
// when the connection has been idle for half the keep-alive.
func (s *sensor) waitUntil(ctx context.Context, at time.Duration, ping []byte, last *time.Duration) error {
	for {
		now := time.Since(s.start)
		if now >= at {
			return nil
		}
		if now-*last > keepalive/2 {
			if err := s.c.write(ping); err != nil {
				return fmt.Errorf("sensor: ping: %w", err)
			}
			*last = now
		}
		if d := at - now; d > spin {
			t := time.NewTimer(min(d-spin, keepalive/4))
			select {
			case <-ctx.Done():
				t.Stop()
				return ctx.Err()
			case <-t.C:
			}
			continue
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		runtime.Gosched()
	}
}

// readAcks consumes what the broker sends the sensor and counts refusals, until the connection
// closes.
func (s *sensor) readAcks() {
	for {
		fh, body, err := s.c.readPacket()
		if err != nil {
			return
		}
		if fh.Type != packets.Puback {
			continue
		}
		pk := packets.Packet{FixedHeader: fh, ProtocolVersion: 5}
		if pk.PubackDecode(body) == nil && pk.ReasonCode >= 0x80 {
			s.rejected.Add(1)
			s.lastCode.Store(int32(pk.ReasonCode))
		}
	}
}
