package client

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/michi-v2x/michi/pkg/geo"
	"github.com/michi-v2x/michi/pkg/v2x"
)

var t0 = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

func denm(seq uint16, ref time.Time, term *v2x.Termination) *v2x.DENM {
	return v2x.NewDENM(v2x.DENMSpec{
		SourceUUID: "michi_edge-1", StationID: 777, StationType: v2x.StationRoadSideUnit,
		ActionID: v2x.ActionID{OriginatingStationID: 777, SequenceNumber: seq}, Cause: v2x.CauseAccident,
		Pos: geo.Point{Lat: 48.85, Lon: 2.35}, Detection: t0, Reference: ref, At: ref, Termination: term,
	})
}

func TestDedupPassesEachVersionOnce(t *testing.T) {
	cancel, negate := v2x.Termination(0), v2x.Termination(1)
	dd := newDedup()
	steps := []struct {
		name string
		d    *v2x.DENM
		pass bool
	}{
		{"first version", denm(1, t0, nil), true},
		{"same version from another tile", denm(1, t0, nil), false},
		{"another hazard", denm(2, t0, nil), true},
		{"newer version", denm(1, t0.Add(time.Second), nil), true},
		{"older version arriving late", denm(1, t0, nil), false},
		{"termination with the same reference time", denm(1, t0.Add(time.Second), &cancel), true},
		{"termination again", denm(1, t0.Add(time.Second), &cancel), false},
		{"active copy of the terminated version", denm(1, t0.Add(time.Second), nil), false},
		{"negation of the same version", denm(1, t0.Add(time.Second), &negate), false},
		{"newer version after the termination (action id reused)", denm(1, t0.Add(2*time.Second), nil), true},
	}
	for _, s := range steps {
		require.Equal(t, s.pass, dd.fresh(s.d, t0), s.name)
	}
	require.Equal(t, 2, dd.len())
}

func TestDedupForgetsExpiredHazards(t *testing.T) {
	dd := newDedup()
	for i := range dedupPruneFreq - 1 {
		require.True(t, dd.fresh(denm(uint16(i), t0, nil), t0))
	}
	// The pruning insert comes after every hazard's validity (600 s) and the minimum keep time.
	later := t0.Add(v2x.DefaultValidity + dedupKeepMin + time.Second)
	require.True(t, dd.fresh(denm(60000, later, nil), later))
	require.Equal(t, 1, dd.len())
}

func TestAlertQueueDropsOldest(t *testing.T) {
	c := &Client{alerts: newAlertQueue(3), dedup: newDedup()}
	for i := range 5 {
		d := denm(uint16(i), t0, nil)
		c.deliver(Alert{DENM: d, ActionID: d.ActionID()})
		c.deliver(Alert{DENM: d, ActionID: d.ActionID()}) // a duplicate, never queued
	}
	st := c.Stats()
	require.Equal(t, Stats{AlertsReceived: 10, AlertsDuplicate: 5, AlertsDelivered: 5, AlertsDropped: 2}, st)
	for _, want := range []uint16{2, 3, 4} {
		a := <-c.Alerts()
		require.Equal(t, want, a.ActionID.SequenceNumber, "oldest dropped first")
	}
	c.alerts.close()
	c.alerts.close()
	c.deliver(Alert{DENM: denm(9, t0, nil)}) // after close: ignored
	_, open := <-c.Alerts()
	require.False(t, open)
	require.Equal(t, uint64(5), c.Stats().AlertsDelivered)
}

func TestBackoffGrowsWithJitterUpToMax(t *testing.T) {
	b := Backoff{Min: 100 * time.Millisecond, Max: time.Second}
	low := func(int64) int64 { return 0 }
	high := func(n int64) int64 { return n - 1 }
	for n, want := range []time.Duration{100, 200, 400, 800, 1000, 1000} {
		want *= time.Millisecond
		require.Equal(t, want/2, b.delay(n, low), "attempt %d, least jitter", n)
		require.Equal(t, want, b.delay(n, high), "attempt %d, most jitter", n)
		d := b.delay(n, jitter)
		require.True(t, d >= want/2 && d <= want, "attempt %d: %s", n, d)
	}
	require.Equal(t, time.Second, b.delay(1000, high), "no overflow after many attempts")
}
