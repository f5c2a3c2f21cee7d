package client

import (
	"sync"
	"time"

	"github.com/michi-v2x/michi/pkg/v2x"
)

// Alert is a hazard (DENM) the edge sent to this vehicle.
type Alert struct {
	DENM     *v2x.DENM
	ActionID v2x.ActionID // DENM.ActionID(), the hazard's identity across versions
	// Received is the local time the alert arrived.
	Received time.Time
	// AlertLatency is michi's alert latency (docs/metrics.md): from the edge accepting the event
	// that created or changed the hazard to this client reading the alert. The edge sets the
	// DENM's reference_time to the moment it accepted the event (a report's or an authority
	// order's arrival, or the start of the detection round that raised the hazard), so this is
	// Received minus reference_time: millisecond resolution, the edge's clock translated to
	// this host's by the measured clock offset over native QUIC, assumed synchronised over MQTT.
	AlertLatency time.Duration
	// Latency is the delivery part of AlertLatency: from the edge's send stamp on the alert to
	// this client reading it. Over MQTT it is Received minus the DENM's envelope timestamp,
	// which the edge sets when it builds the message for publishing (before its fan-out to every
	// tile's subscribers, which Latency therefore holds): millisecond resolution, and it includes
	// the offset between the edge's and this host's clocks (so it is only meaningful with
	// synchronised clocks, and may even be negative). Over native QUIC it comes from the
	// server's send timestamp corrected by the clock offset measured at the hello, so it does
	// not depend on synchronised clocks.
	Latency time.Duration
	// Replayed is true for an MQTT retained message: a hazard that was active before the
	// subscription was made, replayed on subscribing. AlertLatency and Latency are then the age
	// of the version, not a delivery time. Always false over native QUIC, whose alerts do not
	// say so.
	Replayed bool
	// Transport is the transport the alert came over ("mqtt-tcp", "quic", …).
	Transport string
	// KeyID names the edge key the alert's signature verified with (Options.AlertKeys); "" when
	// no keys were given.
	KeyID string
}

// Terminated reports whether the alert ends the hazard (a cancellation or negation).
func (a Alert) Terminated() bool {
	_, ok := a.DENM.Termination()
	return ok
}

// dedup passes each version of a hazard once. The edge publishes a hazard on every tile its
// relevance area touches and a vehicle subscribes to nine tiles, so the same version arrives
// several times; a reconnection replays the retained ones again. A version is new when the
// action_id was not seen, its reference_time is later than the last one passed, or it is the
// first termination. Entries are kept until the hazard's expiry (at least keepMin), then pruned.
type dedup struct {
	mu      sync.Mutex
	seen    map[v2x.ActionID]seenVersion
	inserts int
}

type seenVersion struct {
	ref  time.Time
	term bool
	keep time.Time
}

const (
	dedupKeepMin   = 10 * time.Minute
	dedupPruneFreq = 1024    // prune every so many inserts
	dedupMax       = 1 << 16 // hard bound on remembered hazards
)

func newDedup() *dedup { return &dedup{seen: make(map[v2x.ActionID]seenVersion)} }

// fresh reports whether d is a version not passed before, and remembers it.
func (dd *dedup) fresh(d *v2x.DENM, now time.Time) bool {
	id := d.ActionID()
	ref := d.ReferenceTime()
	_, term := d.Termination()
	dd.mu.Lock()
	defer dd.mu.Unlock()
	if dd.passed(id, ref, term) {
		return false
	}
	keep := d.Expiry()
	if min := now.Add(dedupKeepMin); keep.Before(min) {
		keep = min
	}
	dd.seen[id] = seenVersion{ref: ref, term: term, keep: keep}
	dd.inserts++
	if dd.inserts%dedupPruneFreq == 0 || len(dd.seen) > dedupMax {
		dd.prune(now)
	}
	return true
}

// seenBefore reports whether d's version was passed before, without remembering anything: a copy
// that would be dropped as a duplicate need not have its signature checked.
func (dd *dedup) seenBefore(d *v2x.DENM) bool {
	_, term := d.Termination()
	dd.mu.Lock()
	defer dd.mu.Unlock()
	return dd.passed(d.ActionID(), d.ReferenceTime(), term)
}

func (dd *dedup) passed(id v2x.ActionID, ref time.Time, term bool) bool {
	v, ok := dd.seen[id]
	return ok && !ref.After(v.ref) && (v.term || !term)
}

func (dd *dedup) prune(now time.Time) {
	for id, v := range dd.seen {
		if now.After(v.keep) {
			delete(dd.seen, id)
		}
	}
	for id := range dd.seen { // still too many: forget arbitrary ones (a repeat then passes again)
		if len(dd.seen) <= dedupMax {
			break
		}
		delete(dd.seen, id)
	}
}

func (dd *dedup) len() int {
	dd.mu.Lock()
	defer dd.mu.Unlock()
	return len(dd.seen)
}

// alertQueue is the bounded Alerts channel: a push never blocks, and when the channel is full
// the oldest alert is dropped to make room. Pushes are serialised by mu; the application reads
// the channel concurrently. close closes the channel once; later pushes are ignored.
type alertQueue struct {
	mu     sync.Mutex
	ch     chan Alert
	closed bool
}

func newAlertQueue(n int) *alertQueue { return &alertQueue{ch: make(chan Alert, n)} }

// push enqueues a, dropping the oldest alerts while the channel is full. It counts the delivery
// and the drops before a reader can see the alert, so that Stats is never behind the channel.
func (q *alertQueue) push(a Alert, st *counters) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.closed {
		return
	}
	st.delivered.Add(1)
	for {
		select {
		case q.ch <- a:
			return
		default:
		}
		select {
		case <-q.ch:
			st.dropped.Add(1)
		default: // the reader took one meanwhile
		}
	}
}

func (q *alertQueue) close() {
	q.mu.Lock()
	defer q.mu.Unlock()
	if !q.closed {
		q.closed = true
		close(q.ch)
	}
}
