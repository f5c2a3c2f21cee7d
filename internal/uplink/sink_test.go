package uplink

import (
	"context"
	"errors"
	"testing"

	"github.com/stretchr/testify/require"
)

// MemorySink is the reference for the Sink contract: records at or below the mark are skipped,
// gaps are fine, a failed Store stores nothing, edges are independent.
func TestMemorySinkExactlyOnce(t *testing.T) {
	var m MemorySink // the zero value works
	ctx := context.Background()
	hw, err := m.HighWater(ctx, "a")
	require.NoError(t, err)
	require.Zero(t, hw)

	hw, err = m.Store(ctx, "a", []Record{withSeq(trafficRecord(1), 1), withSeq(trafficRecord(2), 2)})
	require.NoError(t, err)
	require.Equal(t, uint64(2), hw)
	hw, err = m.Store(ctx, "a", []Record{withSeq(trafficRecord(2), 2), withSeq(trafficRecord(5), 5)})
	require.NoError(t, err)
	require.Equal(t, uint64(5), hw)
	hw, err = m.Store(ctx, "a", []Record{withSeq(trafficRecord(1), 1)})
	require.NoError(t, err)
	require.Equal(t, uint64(5), hw, "a replay lowered the mark")
	require.Equal(t, []uint64{1, 2, 5}, seqs(m.Records("a")))
	require.Zero(t, m.Len("b"))

	m.FailStore = func(string, []Record) error { return errors.New("down") }
	_, err = m.Store(ctx, "a", []Record{withSeq(trafficRecord(6), 6)})
	require.Error(t, err)
	require.Equal(t, 3, m.Len("a"))
	m.FailStore = nil

	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	_, err = m.Store(cancelled, "a", []Record{withSeq(trafficRecord(7), 7)})
	require.ErrorIs(t, err, context.Canceled)
	_, err = m.HighWater(cancelled, "a")
	require.ErrorIs(t, err, context.Canceled)
}
