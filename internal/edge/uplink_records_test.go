package edge

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/michi-v2x/michi/internal/uplink"
	"github.com/michi-v2x/michi/pkg/geo"
)

func TestTrafficAggregatesPerTileAndMinute(t *testing.T) {
	t0 := time.Date(2026, 3, 2, 8, 0, 10, 0, time.UTC)
	tile, err := geo.QuadkeyBox(geo.Quadkey(geo.Point{Lat: 48.8566, Lon: 2.3522}, TrafficZoom))
	require.NoError(t, err)
	p := tile.Center()
	q := geo.Destination(p, 90, 3000) // another tile
	agg := newTrafficAgg()
	at := func(d time.Duration) time.Time { return t0.Add(d) }

	require.Empty(t, agg.add(at(0), []vehicleSample{
		{id: 1, pos: p, speed: 10, updated: at(0)},
		{id: 2, pos: p, speed: 20, updated: at(0)},
		{id: 3, pos: q, speed: 30, updated: at(0)},
	}))
	require.Empty(t, agg.add(at(time.Second), []vehicleSample{
		{id: 1, pos: p, speed: 30, updated: at(time.Second)}, // vehicle 1 averages 20
		{id: 2, pos: p, speed: 20, updated: at(0)},           // no news from 2: not sampled again
		{id: 3, pos: q, speed: 30, updated: at(time.Second)},
	}))
	closed := agg.add(at(time.Minute), []vehicleSample{{id: 1, pos: p, speed: 5, updated: at(time.Minute)}})
	minute := t0.Truncate(time.Minute)
	want := []uplink.TrafficAggregate{
		{Quadkey: geo.Quadkey(p, TrafficZoom), Minute: minute, Count: 2, MeanSpeedMPS: 20},
		{Quadkey: geo.Quadkey(q, TrafficZoom), Minute: minute, Count: 1, MeanSpeedMPS: 30},
	}
	if want[0].Quadkey > want[1].Quadkey {
		want[0], want[1] = want[1], want[0]
	}
	require.Equal(t, want, closed)
	require.Equal(t, []uplink.TrafficAggregate{{Quadkey: geo.Quadkey(p, TrafficZoom), Minute: minute.Add(time.Minute), Count: 1, MeanSpeedMPS: 5}},
		agg.flush(), "the open minute, flushed at shutdown")
	require.Empty(t, agg.flush())
	require.NotContains(t, agg.last, uint64(2), "vehicles not heard of for a minute are forgotten")
}

func TestReservoirPercentiles(t *testing.T) {
	var r reservoir
	p50, p99 := r.take()
	require.Zero(t, p50)
	require.Zero(t, p99)
	for i := 1; i <= 100; i++ {
		r.add(float64(i))
	}
	p50, p99 = r.take()
	require.Equal(t, 50.0, p50)
	require.Equal(t, 99.0, p99)
	for i := range 10 * reservoirSize {
		r.add(float64(i % 1000))
	}
	require.Len(t, r.s, reservoirSize, "bounded")
	p50, _ = r.take()
	require.InDelta(t, 500, p50, 100, "a uniform sample")
}

func TestRecorderBoundedAndClosed(t *testing.T) {
	var r recorder
	r.init(2)
	rec := uplink.Record{Kind: uplink.KindHealth, At: time.Now(), Health: &uplink.Health{}}
	require.True(t, r.put(rec))
	require.True(t, r.put(rec))
	require.False(t, r.put(rec), "full: lost, never waiting")
	r.close()
	r.mu.Lock()
	r.buf = r.buf[:0]
	r.mu.Unlock()
	require.False(t, r.put(rec), "closed")
}

func TestAuthorityOf(t *testing.T) {
	require.Equal(t, "works-1", authorityOf([]string{"authority:works-1", "station:5"}))
	require.Equal(t, "relay:edge-a:1/2", authorityOf([]string{"authority:relay:edge-a:1/2"}))
	require.Empty(t, authorityOf([]string{"station:5"}))
}
