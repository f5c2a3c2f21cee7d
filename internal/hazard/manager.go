package hazard

import (
	"sort"
	"sync"
	"time"

	"github.com/michi-v2x/michi/pkg/geo"
	"github.com/michi-v2x/michi/pkg/v2x"
)

// Manager owns the edge's hazards. Safe for concurrent use: one mutex guards everything (see
// the package documentation).
type Manager struct {
	mu       sync.Mutex
	o        Options
	entries  map[uint16]*entry               // active hazards by sequence number
	byDet    map[string]map[string]*keyState // detector -> key -> state
	index    *geo.Index[uint16]              // published positions of the active hazards
	nextSeq  uint16
	left     int    // numbers from nextSeq on already reserved (Options.Reserve)
	round    uint64 // stamp of the current Apply/Tick, to collect touched entries once
	attached uint64 // keys attached so far, the order stamp of keyState

	history []Hazard // ring of ended hazards, oldest overwritten first
	histPos int
}

// entry is one active hazard: the version last published, and the keys that hold it.
type entry struct {
	h       Hazard
	keys    map[*keyState]struct{}
	round   uint64
	created bool      // created in the current round, not yet published
	hold    time.Time // restored (Restore): kept without keys until then, for a detector to claim
}

// keyState is one detector key attached to an entry.
type keyState struct {
	det, key string
	e        *entry
	f        Finding // latest finding, Sources copied
	seen     time.Time
	order    uint64 // attach order; the first key decides sub-cause and direction
}

// ReserveBlock is how many sequence numbers one call of Options.Reserve covers.
const ReserveBlock = 1024

// Resume makes next the next sequence number, as a restarted edge's first act (the number its
// last run reserved up to), and reserves the block from it.
func (m *Manager) Resume(next uint16) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.nextSeq, m.left = next, 0
	m.reserve()
}

// reserve extends the reservation when nextSeq has reached its end.
func (m *Manager) reserve() {
	if m.o.Reserve != nil && m.left == 0 {
		m.o.Reserve(m.nextSeq + ReserveBlock)
		m.left = ReserveBlock
	}
}

// New builds a manager. It does no I/O.
func New(o Options) *Manager {
	o.setDefaults()
	m := &Manager{
		o:       o,
		entries: make(map[uint16]*entry),
		byDet:   make(map[string]map[string]*keyState),
		index:   geo.NewIndex[uint16](),
		nextSeq: o.FirstSequence,
	}
	if o.History > 0 {
		m.history = make([]Hazard, 0, o.History)
	}
	return m
}

// Options returns the manager's options with defaults applied.
func (m *Manager) Options() Options { return m.o }

// Apply takes one detector's full round of findings at time now and returns what changed.
// Findings with an empty Key or an invalid position (unless Terminate) are ignored.
func (m *Manager) Apply(now time.Time, detector string, fs []Finding) []Event {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.round++
	var touched []*entry
	touch := func(e *entry) {
		if e.round != m.round {
			e.round = m.round
			touched = append(touched, e)
		}
	}
	keys := m.byDet[detector]
	if keys == nil {
		keys = make(map[string]*keyState)
		m.byDet[detector] = keys
	}
	for i := range fs {
		f := fs[i]
		if f.Key == "" {
			continue
		}
		ks := keys[f.Key]
		if f.Terminate {
			if ks != nil {
				touch(ks.e)
				m.detach(ks)
			}
			continue
		}
		if !f.Pos.Valid() {
			continue
		}
		f.Sources = normSources(detector, f.Sources)
		if ks != nil && ks.f.Cause != f.Cause { // the condition changed its nature: a new one
			touch(ks.e)
			m.detach(ks)
			ks = nil
		}
		if ks != nil {
			ks.f, ks.seen = f, now
			touch(ks.e)
			continue
		}
		e := m.mergeTarget(f)
		if e == nil {
			if e = m.create(now, f); e == nil {
				continue // all 65536 sequence numbers active: nothing sane to do
			}
		}
		m.attached++
		ks = &keyState{det: detector, key: f.Key, e: e, f: f, seen: now, order: m.attached}
		keys[f.Key] = ks
		e.keys[ks] = struct{}{}
		touch(e)
	}
	for _, ks := range keys {
		if now.Sub(ks.seen) >= m.o.ClearAfter {
			touch(ks.e)
			m.detach(ks)
		}
	}
	return m.settle(now, touched)
}

// Tick drops keys whose detectors stopped reporting them, expires hazards past
// Detection+Validity, and publishes the refreshes that are due.
func (m *Manager) Tick(now time.Time) []Event {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.round++
	var touched []*entry
	touch := func(e *entry) {
		if e.round != m.round {
			e.round = m.round
			touched = append(touched, e)
		}
	}
	for _, keys := range m.byDet {
		for _, ks := range keys {
			if now.Sub(ks.seen) >= m.o.ClearAfter {
				touch(ks.e)
				m.detach(ks)
			}
		}
	}
	var expired []*entry
	for _, e := range m.entries {
		switch {
		case !now.Before(e.h.Expiry()):
			expired = append(expired, e)
		case len(e.keys) == 0 || m.refreshDue(e, now):
			touch(e)
		}
	}
	sortEntries(expired)
	sortEntries(touched)
	var events []Event
	for _, e := range expired {
		events = append(events, m.end(e, Expired, now))
	}
	return append(events, m.settle(now, touched)...)
}

// Restore takes back hazards a previous run of the edge published and had not ended, as they
// were last published: active, with their action ids, but held by no detector key. A finding
// that merges into one (same cause, within the merge radius) carries it on under its action id;
// one that no finding has claimed by until is Terminated then, so that everyone who holds it
// learns it is over. It skips a hazard that is past its expiry, not active, of another station
// id, or whose sequence number is taken, and returns how many it took. Call it before the first
// Apply.
func (m *Manager) Restore(hs []Hazard, until time.Time, now time.Time) int {
	m.mu.Lock()
	defer m.mu.Unlock()
	n := 0
	for _, h := range hs {
		seq := h.ActionID.SequenceNumber
		if _, used := m.entries[seq]; used || h.ActionID.OriginatingStationID != m.o.StationID ||
			h.State != StateActive || !now.Before(h.Expiry()) || !h.Pos.Valid() {
			continue
		}
		m.entries[seq] = &entry{h: h.clone(), keys: make(map[*keyState]struct{}), hold: until}
		m.index.Set(seq, h.Pos)
		n++
	}
	return n
}

// Active returns the active hazards, oldest first.
func (m *Manager) Active() []Hazard {
	m.mu.Lock()
	defer m.mu.Unlock()
	es := make([]*entry, 0, len(m.entries))
	for _, e := range m.entries {
		es = append(es, e)
	}
	sortEntries(es)
	out := make([]Hazard, len(es))
	for i, e := range es {
		out[i] = e.h.clone()
	}
	return out
}

// Len is the number of active hazards.
func (m *Manager) Len() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return len(m.entries)
}

// Get returns the hazard with the given action_id: the active one, or else the most recently
// ended one with that id still in the history.
func (m *Manager) Get(id v2x.ActionID) (Hazard, bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if id.OriginatingStationID != m.o.StationID {
		return Hazard{}, false
	}
	if e, ok := m.entries[id.SequenceNumber]; ok {
		return e.h.clone(), true
	}
	for i := range m.history { // newest first
		h := m.history[(m.histPos-1-i+2*len(m.history))%len(m.history)]
		if h.ActionID == id {
			return h.clone(), true
		}
	}
	return Hazard{}, false
}

// Recent returns the ended hazards still in the history, newest first.
func (m *Manager) Recent() []Hazard {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := make([]Hazard, len(m.history))
	for i := range m.history {
		out[i] = m.history[(m.histPos-1-i+2*len(m.history))%len(m.history)].clone()
	}
	return out
}

// Within returns the active hazards whose position lies within radiusM of c, nearest first.
func (m *Manager) Within(c geo.Point, radiusM float64) []Hazard {
	m.mu.Lock()
	defer m.mu.Unlock()
	type hit struct {
		h Hazard
		d float64
	}
	var hits []hit
	m.index.Within(c, radiusM, func(seq uint16, _ geo.Point, d float64) bool {
		if e, ok := m.entries[seq]; ok {
			hits = append(hits, hit{e.h.clone(), d})
		}
		return true
	})
	sort.Slice(hits, func(i, j int) bool { return hits[i].d < hits[j].d })
	out := make([]Hazard, len(hits))
	for i := range hits {
		out[i] = hits[i].h
	}
	return out
}

func sortEntries(es []*entry) {
	sort.Slice(es, func(i, j int) bool {
		a, b := es[i].h, es[j].h
		if !a.FirstDetected.Equal(b.FirstDetected) {
			return a.FirstDetected.Before(b.FirstDetected)
		}
		return a.ActionID.SequenceNumber < b.ActionID.SequenceNumber
	})
}
