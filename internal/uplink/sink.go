package uplink

import (
	"context"
	"slices"
	"sync"
)

// Sink is where the hub's Server puts what edges send: the hub's storage.
//
// Store stores the records of one edge atomically together with the edge's seq high-water mark
// and returns the new mark; records at or below the stored mark are skipped (exactly once).
// recs arrive in strictly ascending Seq order, validated, with EdgeID set to edgeID; Seqs may
// have gaps (records the edge dropped under pressure), so the new mark is the largest Seq
// stored, not a count. When Store returns an error nothing of recs may be stored (the edge
// sends them again) and the Server closes the connection with CodeStorage.
//
// HighWater returns the stored mark of edgeID, 0 for an edge never seen.
//
// Both are called concurrently for different edges, and — while a replaced connection winds
// down — possibly for the same edge; the atomic mark makes that safe. The ctx ends when the
// Server gives up on the connection or its drain time has passed.
type Sink interface {
	Store(ctx context.Context, edgeID string, recs []Record) (highWater uint64, err error)
	HighWater(ctx context.Context, edgeID string) (uint64, error)
}

// MemorySink is an in-memory Sink implementing exactly-once by high-water mark: a reference for
// real Sinks and a stand-in for tests. Its zero value is ready to use.
type MemorySink struct {
	mu      sync.Mutex
	marks   map[string]uint64
	records map[string][]Record
	// FailStore, when set, is called at the start of every Store; a non-nil result fails that
	// Store with nothing stored (for tests of storage failures).
	FailStore func(edgeID string, recs []Record) error
}

var _ Sink = (*MemorySink)(nil)

// Store implements Sink.
func (m *MemorySink) Store(ctx context.Context, edgeID string, recs []Record) (uint64, error) {
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.FailStore != nil {
		if err := m.FailStore(edgeID, recs); err != nil {
			return 0, err
		}
	}
	if m.marks == nil {
		m.marks = make(map[string]uint64)
		m.records = make(map[string][]Record)
	}
	mark := m.marks[edgeID]
	for _, r := range recs {
		if r.Seq <= mark {
			continue
		}
		m.records[edgeID] = append(m.records[edgeID], r)
		mark = r.Seq
	}
	m.marks[edgeID] = mark
	return mark, nil
}

// HighWater implements Sink.
func (m *MemorySink) HighWater(ctx context.Context, edgeID string) (uint64, error) {
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.marks[edgeID], nil
}

// Records returns a copy of what was stored for edgeID, in Seq order.
func (m *MemorySink) Records(edgeID string) []Record {
	m.mu.Lock()
	defer m.mu.Unlock()
	return slices.Clone(m.records[edgeID])
}

// Len returns how many records were stored for edgeID.
func (m *MemorySink) Len(edgeID string) int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return len(m.records[edgeID])
}
