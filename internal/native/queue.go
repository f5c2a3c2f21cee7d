package native

import (
	"time"

	"github.com/michi-v2x/michi/pkg/v2x"
	"github.com/michi-v2x/michi/pkg/v2x/native"
)

// alertQueue is one session's bounded queue of alerts waiting for their stream. An alert
// supersedes a queued older version of the same hazard in place (keeping its turn); an alert
// whose version was queued or sent already, or is older than that, is dropped as a duplicate;
// the session remembers the newest version it took for sending of every hazard, until the
// hazard expires. Not safe for concurrent use: the session's qmu guards it.
type alertQueue struct {
	limit int
	items []*queued
	byID  map[v2x.ActionID]*queued
	sent  map[v2x.ActionID]sentVersion
}

type queued struct {
	alert native.Alert
	ref   uint64 // reference_time
}

type sentVersion struct {
	ref    uint64
	expiry time.Time
}

// offerResult says what offer did.
type offerResult uint8

const (
	offerQueued     offerResult = iota // appended
	offerSuperseded                    // replaced a queued older version
	offerDuplicate                     // this version or a newer one was queued or sent before
	offerOverflow                      // the queue is full: nothing queued
)

// sentPruneAbove is the number of remembered hazards beyond which expired ones are forgotten.
const sentPruneAbove = 256

func newAlertQueue(limit int) alertQueue {
	return alertQueue{
		limit: limit,
		byID:  make(map[v2x.ActionID]*queued),
		sent:  make(map[v2x.ActionID]sentVersion),
	}
}

func (q *alertQueue) offer(a native.Alert) offerResult {
	id, ref := a.ActionID(), a.ReferenceTime()
	if s, ok := q.sent[id]; ok && s.ref >= ref {
		return offerDuplicate
	}
	if old, ok := q.byID[id]; ok {
		if old.ref >= ref {
			return offerDuplicate
		}
		old.alert, old.ref = a, ref
		return offerSuperseded
	}
	if len(q.items) >= q.limit {
		return offerOverflow
	}
	e := &queued{alert: a, ref: ref}
	q.items = append(q.items, e)
	q.byID[id] = e
	return offerQueued
}

// pop takes the oldest alert for sending and remembers its version as sent.
func (q *alertQueue) pop(now time.Time) (native.Alert, bool) {
	if len(q.items) == 0 {
		return native.Alert{}, false
	}
	e := q.items[0]
	q.items[0] = nil
	q.items = q.items[1:]
	if len(q.items) == 0 {
		q.items = q.items[:0:0] // let the backing array go; the next append starts small
	}
	id := e.alert.ActionID()
	delete(q.byID, id)
	if len(q.sent) >= sentPruneAbove {
		for k, s := range q.sent {
			if now.After(s.expiry) {
				delete(q.sent, k)
			}
		}
	}
	q.sent[id] = sentVersion{ref: e.ref, expiry: e.alert.DENM.Expiry()}
	return e.alert, true
}

func (q *alertQueue) len() int { return len(q.items) }
