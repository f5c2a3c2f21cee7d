package harness

import (
	"math"
	"math/bits"
	"sync"
	"sync/atomic"
	"time"

	"github.com/HdrHistogram/hdrhistogram-go"

	"github.com/michi-v2x/michi/pkg/v2x"
)

// collector matches the alerts vehicles receive to the injected hazards and records the
// report-to-alert latency (and alert latency) of the first copy each expected vehicle gets (a
// hazard arrives once per subscribed tile it covers; a vehicle de-duplicates by hazard, as a
// real one does by action id).
//
// Of the expected vehicles, the relevant ones are those inside the hazard's relevance circle,
// the ones the DESIGN's latency target is about. Over the native protocol the two sets are the same;
// over MQTT every subscriber to a tile the circle touches is expected, a superset, so the
// latency to the relevant vehicles is recorded apart as well.
//
// Report-to-alert latency is measured from the moment the hazard was scheduled to be injected,
// not from when the sensor got round to sending it, and recorded with RecordCorrectedValue at
// the injection interval: both keep a stall from hiding the samples it delayed (coordinated
// omission). Alert latency (internal/alertlatency: the edge accepting the event → the vehicle
// reading the alert) is recorded beside it, from the alert's reference_time, which michi sets to
// the moment it accepted the report, or from the schedule if that is later (a plain broker
// relays the sensor's DENM, stamped when the sensor built it ahead of time: for a baseline it
// is report-to-alert uncorrected): the part of report-to-alert that the target is answerable
// for, without the report's trip and the sensor's lateness.
//
// Lock rule: mu guards the histograms and every injection's receipt state; cmu guards the
// payload cache. Neither is held while taking the other.
type collector struct {
	sc      *scenario
	cause   uint8
	radiusM float64
	// radiusClass is radiusM as a DENM carries it (awareness_distance is a class: "less than
	// 500 m"), to check the assumed radius against the one the target used.
	radiusClass float64
	start       time.Time
	interval    int64 // expected interval between injections, µs

	slotHazard []atomic.Int32 // slot -> hazard index + 1 (0: none injected there this run)

	cmu   sync.RWMutex
	cache map[string]alertOf // alert payload -> its hazard and reference time

	mu                                         sync.Mutex
	inj                                        []*injection
	hist                                       *hdrhistogram.Histogram // per delivery, µs, corrected
	raw                                        *hdrhistogram.Histogram // per delivery, µs, as measured
	allHist                                    *hdrhistogram.Histogram // per hazard: until the last expected vehicle had it, µs
	relHist                                    *hdrhistogram.Histogram // per delivery to a relevant vehicle, µs, corrected
	alertHist                                  *hdrhistogram.Histogram // alert latency per delivery, µs, as measured
	expected, received, unexpected, duplicates int64
	relExpected, relReceived                   int64

	unmatched      atomic.Int64 // copies matching no hazard of this run (stale retained, other traffic)
	radiusMismatch atomic.Int64 // alerts whose awareness radius differs from the one assumed
	malformed      atomic.Int64
}

// injection is one hazard: when it was due, who must get it (and which of those are relevant),
// who did.
type injection struct {
	sched    int64 // ns since start
	refMs    int64 // Unix ms of the report's reference time: older alerts at its slot are stale
	expected bitset
	relevant bitset // a subset of expected
	got      bitset
	nExp     int
	nGot     int
	maxLat   int64 // ns
}

type bitset []uint64

func newBitset(n int) bitset      { return make(bitset, (n+63)/64) }
func (b bitset) has(i int32) bool { return b[i>>6]&(1<<(i&63)) != 0 }
func (b bitset) set(i int32)      { b[i>>6] |= 1 << (i & 63) }

func newCollector(sc *scenario, o *Options, start time.Time) *collector {
	interval := int64(time.Second/time.Microsecond) * 1000
	if o.HazardRate > 0 {
		interval = int64(float64(time.Second/time.Microsecond) / o.HazardRate)
	}
	class, _ := v2x.NewDENM(v2x.DENMSpec{AwarenessRadiusM: o.HazardRadiusM}).AwarenessRadius()
	return &collector{
		radiusClass: class,
		sc:          sc, cause: o.HazardCause, radiusM: o.HazardRadiusM, start: start, interval: interval,
		slotHazard: make([]atomic.Int32, len(sc.order)),
		cache:      map[string]alertOf{},
		inj:        make([]*injection, 0, o.Hazards()),
		hist:       newHist(), raw: newHist(), allHist: newHist(), relHist: newHist(), alertHist: newHist(),
	}
}

func newHist() *hdrhistogram.Histogram { return hdrhistogram.New(1, 60_000_000, 3) } // 1 µs … 60 s

// register adds hazard k, injected at slot, due at sched, to be received by expected, of whom
// relevant are the vehicles inside its relevance circle (those not in expected are ignored). It
// must be called before the hazard is sent.
func (c *collector) register(slot int32, sched time.Duration, refMs int64, expected, relevant []int32) int {
	n := len(c.sc.vehicles)
	in := &injection{sched: int64(sched), refMs: refMs, expected: newBitset(n), relevant: newBitset(n),
		got: newBitset(n), nExp: len(expected)}
	for _, v := range expected {
		in.expected.set(v)
	}
	nRel := 0
	for _, v := range relevant {
		if in.expected.has(v) && !in.relevant.has(v) {
			in.relevant.set(v)
			nRel++
		}
	}
	c.mu.Lock()
	k := len(c.inj)
	c.inj = append(c.inj, in)
	c.expected += int64(in.nExp)
	c.relExpected += int64(nRel)
	c.mu.Unlock()
	c.slotHazard[slot].Store(int32(k + 1))
	return k
}

// alertOf is what a payload says: its hazard (-1: none of this run) and reference time.
type alertOf struct {
	k   int32
	ref time.Time
}

// deliver records that vehicle v received payload (an alert DENM) at recv since start. It does
// not keep payload. Its alert latency takes the two hosts' clocks as synchronised.
func (c *collector) deliver(v int32, payload []byte, recv time.Duration) {
	a := c.lookup(payload)
	c.record(a.k, v, recv, c.start.Add(recv).Sub(a.ref))
}

// deliverDENM is deliver for an alert that arrives decoded (the native protocol), with its
// alert latency (measured against the server's clock, pkg/v2x/client Alert.AlertLatency).
func (c *collector) deliverDENM(v int32, d *v2x.DENM, recv, alertLatency time.Duration) {
	c.record(c.identifyDENM(d), v, recv, alertLatency)
}

// record counts vehicle v's receipt of hazard k (-1: no hazard of this run) at recv, alertLat
// after the target accepted it.
func (c *collector) record(k int32, v int32, recv, alertLat time.Duration) {
	if k < 0 {
		c.unmatched.Add(1)
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	in := c.inj[k]
	if in.got.has(v) {
		c.duplicates++
		return
	}
	in.got.set(v)
	if !in.expected.has(v) {
		c.unexpected++
		return
	}
	in.nGot++
	c.received++
	lat := int64(recv) - in.sched
	us := max(lat/1000, 1)
	_ = c.raw.RecordValue(us)
	_ = c.hist.RecordCorrectedValue(us, c.interval)
	// The target cannot have accepted the report before it was due: a relay's alert carries the
	// sensor's stamp from building the packet ahead of time, not an accept time.
	_ = c.alertHist.RecordValue(max(min(alertLat.Nanoseconds(), lat)/1000, 1))
	if in.relevant.has(v) {
		c.relReceived++
		_ = c.relHist.RecordCorrectedValue(us, c.interval)
	}
	if lat > in.maxLat {
		in.maxLat = lat
	}
	if in.nGot == in.nExp {
		_ = c.allHist.RecordValue(max(in.maxLat/1000, 1))
	}
}

// lookup maps an alert payload to its hazard, decoding each distinct payload once: the edge
// publishes one payload on every tile of a hazard, so all copies share it.
func (c *collector) lookup(payload []byte) alertOf {
	c.cmu.RLock()
	a, ok := c.cache[string(payload)]
	c.cmu.RUnlock()
	if ok {
		return a
	}
	a = c.identify(payload)
	c.cmu.Lock()
	c.cache[string(payload)] = a
	c.cmu.Unlock()
	return a
}

func (c *collector) identify(payload []byte) alertOf {
	d, err := v2x.UnmarshalDENM(payload)
	if err != nil {
		c.malformed.Add(1)
		return alertOf{k: -1}
	}
	return alertOf{k: c.identifyDENM(d), ref: d.ReferenceTime()}
}

// identifyDENM is the hazard of this run that alert d is about, or -1.
func (c *collector) identifyDENM(d *v2x.DENM) int32 {
	if cause, _ := d.Cause(); cause != c.cause {
		return -1
	}
	slot, ok := c.sc.slotOf(d.EventPosition())
	if !ok {
		return -1
	}
	k := c.slotHazard[slot].Load() - 1
	if k < 0 {
		return -1
	}
	c.mu.Lock()
	refMs := c.inj[k].refMs
	c.mu.Unlock()
	if d.ReferenceTime().UnixMilli() < refMs {
		return -1 // an older hazard at the same place, from an earlier run
	}
	if r, ok := d.AwarenessRadius(); ok && math.Abs(r-c.radiusClass) > 1 {
		c.radiusMismatch.Add(1)
	}
	return k
}

// lossSpread is how many hazards missed some expected vehicle, and how many vehicles missed
// some hazard: a few dead connections and a few undelivered hazards look alike in the totals.
func (c *collector) lossSpread() (hazards, vehicles int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	missed := newBitset(len(c.sc.vehicles))
	for _, in := range c.inj {
		if in.nGot == in.nExp {
			continue
		}
		hazards++
		for w := range in.expected {
			missed[w] |= in.expected[w] &^ in.got[w]
		}
	}
	for _, w := range missed {
		vehicles += bits.OnesCount64(w)
	}
	return hazards, vehicles
}

// snapshot is the state of the collector at one moment.
type snapshot struct {
	sent                                       int
	expected, received, unexpected, duplicates int64
	p99Ms                                      float64
}

func (c *collector) snapshot() snapshot {
	c.mu.Lock()
	defer c.mu.Unlock()
	return snapshot{sent: len(c.inj), expected: c.expected, received: c.received, unexpected: c.unexpected,
		duplicates: c.duplicates, p99Ms: float64(c.hist.ValueAtQuantile(99)) / 1000}
}
