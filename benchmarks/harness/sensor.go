package harness

import (
	"context"
	"fmt"
	"runtime"
	"sync/atomic"
	"time"

	"github.com/mochi-mqtt/server/v2/packets"
)

// sensor is the reporting station that injects hazards: against michi it reports a DENM (into
// inQueue over MQTT, or on the control stream of the native protocol) and the edge does the
// rest; against a baseline broker it publishes the alert itself on every tile the hazard covers,
// as a relay would.
type sensor struct {
	o       *Options
	sc      *scenario
	col     *collector
	start   time.Time
	within  bool // expected recipients by distance (native protocol) rather than by tile; relevant ones always by distance
	seqBase uint16
	// prepare encodes hazard h (covering tiles) off the hot path and returns what sends it.
	prepare func(h hazardSpec, tiles []string) (send func() error, err error)
	ping    func() error // keeps an idle connection alive; nil = not needed

	lagMax   time.Duration // worst lateness of an injection behind its schedule
	rejected atomic.Int64  // refusals by the target
	lastCode atomic.Int32
}

// mqttSensor is the sensor's MQTT side: its connection and packet ids.
type mqttSensor struct {
	s        *sensor
	c        *conn
	baseline bool
	id       uint16
}

func (m *mqttSensor) nextID() uint16 {
	if m.id++; m.id == 0 {
		m.id = 1
	}
	return m.id
}

func (m *mqttSensor) prepare(h hazardSpec, tiles []string) (func() error, error) {
	var (
		pkt []byte
		err error
	)
	if m.baseline {
		pkt, err = relayPackets(m.s.o.Root, h, tiles, m.nextID)
	} else {
		pkt, err = reportPacket(m.s.o.Root, h, m.nextID())
	}
	if err != nil {
		return nil, err
	}
	return func() error { return m.c.write(pkt) }, nil
}

// spin is how long before an injection the sensor stops sleeping and polls the clock, so that
// timer slack does not delay injections (and inflate latencies) by up to a scheduler tick.
const spin = 300 * time.Microsecond

// run injects the run's hazards, hazard k due at t0 + (k+½)·interval, and returns after the
// last one is sent.
func (s *sensor) run(ctx context.Context, t0 time.Duration) error {
	n := s.o.Hazards()
	if n == 0 {
		return nil
	}
	interval := time.Duration(float64(time.Second) / s.o.HazardRate)
	prepare := min(interval/2, 200*time.Millisecond)
	last := time.Since(s.start)
	for k := range n {
		sched := t0 + time.Duration(k)*interval + interval/2
		if err := s.waitUntil(ctx, sched-prepare, &last); err != nil {
			return err
		}
		slot := s.sc.order[k]
		h := hazardSpec{seq: s.seqBase + uint16(k), cause: s.o.HazardCause, pos: s.sc.slotPos(slot),
			validity: s.o.HazardValidity, radiusM: s.o.HazardRadiusM, at: time.Now()}
		var (
			expected, relevant []int32
			tiles              []string
		)
		if s.within {
			expected = s.sc.expectedWithin(h.pos, h.radiusM)
			relevant = expected
		} else {
			expected, tiles = s.sc.expectedTiles(h.pos, h.radiusM, s.o.Zoom)
			relevant = s.sc.relevantAmong(h.pos, h.radiusM, expected)
		}
		send, err := s.prepare(h, tiles)
		if err != nil {
			return err
		}
		s.col.register(slot, sched, h.at.UnixMilli(), expected, relevant)
		if err := s.waitUntil(ctx, sched, &last); err != nil {
			return err
		}
		if err := send(); err != nil {
			return fmt.Errorf("sensor: inject hazard %d: %w", k, err)
		}
		last = time.Since(s.start)
		s.lagMax = max(s.lagMax, last-sched)
	}
	return nil
}

// waitUntil sleeps until at (since start), spinning for the last moment, and pings the broker
// when the connection has been idle for half the keep-alive.
func (s *sensor) waitUntil(ctx context.Context, at time.Duration, last *time.Duration) error {
	for {
		now := time.Since(s.start)
		if now >= at {
			return nil
		}
		if s.ping != nil && now-*last > keepalive/2 {
			if err := s.ping(); err != nil {
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
func (m *mqttSensor) readAcks() {
	s := m.s
	for {
		fh, body, err := m.c.readPacket()
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
