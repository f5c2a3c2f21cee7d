package edge

import (
	"sync"
	"time"

	"github.com/michi-v2x/michi/internal/broker"
)

// quotas counts what each credential holds on the edge (LimitOptions): its MQTT sessions, by
// client id, its native sessions, by station, and its publish token bucket, which both protocols
// draw on. An edge without credentials has none.
//
// Lock rule: quotas.mu guards the sources map and every source's sessions; a source's bucket has
// a mutex of its own, taken on the publish path without quotas.mu. Neither is held while calling
// out, except that a full source asks the broker which connection holds each of its sessions
// (broker.Server.Session, a leaf lock of the broker's) under quotas.mu.
type quotas struct {
	o       LimitOptions
	session func(id string) (*broker.Conn, bool) // the connection holding client id's session in the broker

	mu      sync.Mutex
	sources map[string]*quota
	owner   map[string]*quota // client id → the source whose session it is
	natives sync.Map          // native session id → its source's *quota, for the publish path
}

// quota is one source's share.
type quota struct {
	source   string
	sessions map[string]*broker.Conn // client id → the connection that holds the session now
	native   map[uint32]uint64       // station id → the native session that holds it now

	mu     sync.Mutex
	tokens float64
	last   time.Time
}

func newQuotas(o LimitOptions, session func(string) (*broker.Conn, bool)) *quotas {
	return &quotas{o: o, session: session, sources: map[string]*quota{}, owner: map[string]*quota{}}
}

// open admits cl's session for source, or reports that source already holds MaxSessions. A
// client id with a session already (a reconnect) takes that session over and counts once.
func (qs *quotas) open(source string, cl *broker.Conn) (*quota, bool) {
	qs.mu.Lock()
	defer qs.mu.Unlock()
	q := qs.sourceLocked(source)
	id := cl.ID()
	if prev := qs.owner[id]; prev != nil && prev != q { // another source's session id: it is this one's now
		qs.forgetLocked(prev, id)
	}
	if _, held := q.sessions[id]; !held && q.held() >= qs.o.MaxSessions {
		qs.sweepLocked(q)
		if q.held() >= qs.o.MaxSessions {
			return q, false
		}
	}
	q.sessions[id] = cl
	qs.owner[id] = q
	return q, true
}

// sourceLocked returns source's share, a fresh one (a full bucket) if it holds nothing.
func (qs *quotas) sourceLocked(source string) *quota {
	q := qs.sources[source]
	if q == nil {
		q = &quota{source: source, sessions: map[string]*broker.Conn{}, native: map[uint32]uint64{},
			tokens: float64(qs.o.PublishBurst), last: time.Now()}
		qs.sources[source] = q
	}
	return q
}

// held is the number of sessions q holds over both protocols.
func (q *quota) held() int { return len(q.sessions) + len(q.native) }

// openNative admits native session id of station for source, or reports that source already
// holds MaxSessions (MQTT and native together). A station's new session (a vehicle reconnecting;
// the native server closes the old one with replaced) takes over its old session's slot.
func (qs *quotas) openNative(source string, station uint32, id uint64) bool {
	qs.mu.Lock()
	defer qs.mu.Unlock()
	q := qs.sourceLocked(source)
	if _, held := q.native[station]; !held && q.held() >= qs.o.MaxSessions {
		qs.sweepLocked(q)
		if q.held() >= qs.o.MaxSessions {
			return false
		}
	}
	q.native[station] = id
	qs.natives.Store(id, q)
	return true
}

// closeNative forgets native session id of station: it ended. A session whose station a newer
// one took over no longer holds the slot, and changes nothing but itself.
func (qs *quotas) closeNative(source string, station uint32, id uint64) {
	qs.natives.Delete(id)
	qs.mu.Lock()
	defer qs.mu.Unlock()
	if q := qs.sources[source]; q != nil && q.native[station] == id {
		delete(q.native, station)
		if q.held() == 0 {
			delete(qs.sources, source)
		}
	}
}

// nativeQuota is the share native session id draws on; nil for a session not admitted by
// openNative (an edge without credentials).
func (qs *quotas) nativeQuota(id uint64) *quota {
	if q, ok := qs.natives.Load(id); ok {
		return q.(*quota)
	}
	return nil
}

// close forgets cl's session: it ended (a clean session's connection closed, or a kept one
// expired). A connection that was taken over no longer holds it, and changes nothing.
func (qs *quotas) close(cl *broker.Conn) {
	qs.mu.Lock()
	defer qs.mu.Unlock()
	if q := qs.owner[cl.ID()]; q != nil && q.sessions[cl.ID()] == cl {
		qs.forgetLocked(q, cl.ID())
	}
}

func (qs *quotas) forgetLocked(q *quota, id string) {
	delete(q.sessions, id)
	delete(qs.owner, id)
	if q.held() == 0 {
		delete(qs.sources, q.source)
	}
}

// sweepLocked forgets MQTT sessions of q that ended without the broker telling (a connection that
// failed between admission and CONNACK): closed, and not a session the broker keeps. Native
// sessions always end with closeNative.
func (qs *quotas) sweepLocked(q *quota) {
	for id, cl := range q.sessions {
		if !cl.Closed() {
			continue
		}
		if kept, ok := qs.session(id); ok && kept == cl {
			continue
		}
		delete(q.sessions, id)
		delete(qs.owner, id)
	}
}

// allow takes one token from the source's bucket; false when it is empty.
func (q *quota) allow(rate float64, burst int, now time.Time) bool {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.tokens = min(float64(burst), q.tokens+now.Sub(q.last).Seconds()*rate)
	q.last = now
	if q.tokens < 1 {
		return false
	}
	q.tokens--
	return true
}
