package edge

import (
	"errors"
	"log/slog"
	"math"
	"math/rand/v2"
	"slices"
	"sync"
	"time"

	"github.com/michi-v2x/michi/internal/ldm"
	"github.com/michi-v2x/michi/internal/uplink"
	"github.com/michi-v2x/michi/pkg/geo"
)

// recorder is the in-memory backlog between the producers of uplink records (dissemination,
// the traffic and health loops) and the disk queue. put never waits for the disk; one writer
// goroutine (run) appends what accumulated, in order. Bounded: put refuses beyond max.
type recorder struct {
	mu     sync.Mutex
	buf    []uplink.Record
	max    int
	closed bool
	wake   chan struct{} // capacity 1
}

func (r *recorder) init(max int) {
	r.max = max
	r.wake = make(chan struct{}, 1)
}

// put adds rec to the backlog; false when it is full or closed (the record is lost).
func (r *recorder) put(rec uplink.Record) bool {
	r.mu.Lock()
	ok := !r.closed && len(r.buf) < r.max
	if ok {
		r.buf = append(r.buf, rec)
	}
	r.mu.Unlock()
	if ok {
		r.signal()
	}
	return ok
}

func (r *recorder) signal() {
	select {
	case r.wake <- struct{}{}:
	default:
	}
}

// close refuses further records; run appends what is left and returns.
func (r *recorder) close() {
	r.mu.Lock()
	r.closed = true
	r.mu.Unlock()
	r.signal()
}

// run appends the backlog to q until close, counting each record appended or lost.
func (r *recorder) run(q *uplink.Queue, m *metrics, log *slog.Logger) {
	var batch []uplink.Record
	var lastLog time.Time
	for range r.wake {
		r.mu.Lock()
		batch, r.buf = r.buf, batch[:0]
		closed := r.closed
		r.mu.Unlock()
		for i := range batch {
			kind := batch[i].Kind.String()
			_, err := q.Append(batch[i])
			batch[i] = uplink.Record{}
			switch {
			case err == nil:
				m.uplinkRecords.WithLabelValues(kind).Inc()
				continue
			case errors.Is(err, uplink.ErrQueueFull):
				m.uplinkLost.WithLabelValues(kind, "queue_full").Inc()
			case errors.Is(err, uplink.ErrSyncFailed): // the queue stopped; it said why
				m.uplinkLost.WithLabelValues(kind, "queue_failed").Inc()
				continue
			default:
				m.uplinkLost.WithLabelValues(kind, "error").Inc()
			}
			if time.Since(lastLog) >= 10*time.Second {
				lastLog = time.Now()
				log.Warn("uplink record lost", "kind", kind, "err", err)
			}
		}
		if closed {
			return
		}
	}
}

// reservoir keeps a uniform sample (Algorithm R) of the edge hand-offs (internal/alertlatency:
// event accepted → alert handed to the transports) since the last take, for the health record's
// percentiles.
type reservoir struct {
	mu   sync.Mutex
	s    []float64
	seen uint64
}

const reservoirSize = 1024

func (r *reservoir) add(v float64) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.seen++
	if len(r.s) < reservoirSize {
		r.s = append(r.s, v)
	} else if j := rand.Uint64N(r.seen); j < reservoirSize {
		r.s[j] = v
	}
}

// take returns the 50th and 99th percentiles (nearest rank) of the sample and starts a new
// one; zeros when nothing was observed.
func (r *reservoir) take() (p50, p99 float64) {
	r.mu.Lock()
	s := slices.Clone(r.s)
	r.s, r.seen = r.s[:0], 0
	r.mu.Unlock()
	if len(s) == 0 {
		return 0, 0
	}
	slices.Sort(s)
	rank := func(q float64) float64 { return s[max(int(math.Ceil(q*float64(len(s))))-1, 0)] }
	return rank(0.5), rank(0.99)
}

// trafficAgg accumulates, for the open minute, each vehicle's speed samples per zoom-16 tile;
// when the minute closes it yields one aggregate per tile: the number of distinct vehicles and
// the mean of their mean speeds (so the hub's count-weighted merge of repeats stays a mean over
// vehicles). A sample is taken only from a vehicle whose state changed since the last one, so
// a vehicle that stopped reporting is not counted on from its last state.
type trafficAgg struct {
	mu     sync.Mutex
	minute time.Time                          // start of the open minute, UTC; zero before any sample
	tiles  map[string]map[uint64]*speedSample // tile -> LDM object id -> its samples
	last   map[uint64]time.Time               // object id -> Updated of the last sample taken
	buf    []vehicleSample
}

type speedSample struct {
	sum float64
	n   int
}

type vehicleSample struct {
	id      uint64
	pos     geo.Point
	speed   float64
	updated time.Time
}

// TrafficZoom is the zoom of the traffic aggregates' tiles.
const TrafficZoom = 16

func newTrafficAgg() *trafficAgg {
	return &trafficAgg{tiles: map[string]map[uint64]*speedSample{}, last: map[uint64]time.Time{}}
}

// add takes one sampling round at now and returns the aggregates of the minute it closed, if any.
func (t *trafficAgg) add(now time.Time, vs []vehicleSample) []uplink.TrafficAggregate {
	m := now.UTC().Truncate(time.Minute)
	var closed []uplink.TrafficAggregate
	if !t.minute.IsZero() && !m.Equal(t.minute) {
		closed = t.flush()
	}
	t.minute = m
	for _, v := range vs {
		if last, ok := t.last[v.id]; ok && !v.updated.After(last) {
			continue
		}
		t.last[v.id] = v.updated
		qk := geo.Quadkey(v.pos, TrafficZoom)
		tile := t.tiles[qk]
		if tile == nil {
			tile = map[uint64]*speedSample{}
			t.tiles[qk] = tile
		}
		s := tile[v.id]
		if s == nil {
			s = &speedSample{}
			tile[v.id] = s
		}
		s.sum += v.speed
		s.n++
	}
	return closed
}

// flush yields the open minute's aggregates, sorted by tile, and starts afresh.
func (t *trafficAgg) flush() []uplink.TrafficAggregate {
	out := make([]uplink.TrafficAggregate, 0, len(t.tiles))
	for qk, vehicles := range t.tiles {
		var mean float64
		for _, s := range vehicles {
			mean += s.sum / float64(s.n)
		}
		out = append(out, uplink.TrafficAggregate{Quadkey: qk, Minute: t.minute, Count: len(vehicles),
			MeanSpeedMPS: mean / float64(len(vehicles))})
	}
	slices.SortFunc(out, func(a, b uplink.TrafficAggregate) int {
		if a.Quadkey < b.Quadkey {
			return -1
		}
		if a.Quadkey > b.Quadkey {
			return 1
		}
		return 0
	})
	clear(t.tiles)
	for id, at := range t.last { // forget vehicles not heard of during the closed minute
		if at.Before(t.minute) {
			delete(t.last, id)
		}
	}
	return out
}

// sampleTraffic takes one sampling round of the LDM's vehicles (one read-locked pass, off the
// ingest path), grows the coverage, and queues the aggregates of a minute that closed.
func (l *hubLink) sampleTraffic() {
	t := l.traffic
	t.mu.Lock()
	defer t.mu.Unlock()
	now := l.n.opts.Now()
	vs := t.buf[:0]
	l.n.ldm.Each(func(o *ldm.Object) bool {
		if o.Kind == ldm.KindVehicle {
			vs = append(vs, vehicleSample{id: o.ID, pos: o.Pos, speed: o.SpeedMPS, updated: o.Updated})
		}
		return true
	})
	t.buf = vs
	l.grow(vs)
	l.putTraffic(t.add(now, vs), now)
}

// flushTraffic queues the open minute's aggregates (at shutdown: the hub merges a minute that
// is reported in parts).
func (l *hubLink) flushTraffic() {
	t := l.traffic
	t.mu.Lock()
	defer t.mu.Unlock()
	l.putTraffic(t.flush(), l.n.opts.Now())
}

func (l *hubLink) putTraffic(aggs []uplink.TrafficAggregate, now time.Time) {
	for i := range aggs {
		l.put(uplink.Record{Kind: uplink.KindTraffic, At: now.UTC(), Traffic: &aggs[i]})
	}
}

// SampleTraffic takes one traffic sampling round now (the uplink does it every
// Uplink.TrafficSample); tests call it to be deterministic. A no-op without a hub.
func (n *Node) SampleTraffic() {
	if n.up != nil {
		n.up.sampleTraffic()
	}
}
