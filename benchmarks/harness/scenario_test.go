package harness

import (
	"math"
	"slices"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/michi-v2x/michi/pkg/geo"
)

func testOptions(t *testing.T, mutate ...func(*Options)) *Options {
	t.Helper()
	o := &Options{Vehicles: 400, AreaKm: 3, Duration: 10e9}
	for _, m := range mutate {
		m(o)
	}
	require.NoError(t, o.Validate())
	return o
}

func TestVehiclesSpreadOverTheAreaApart(t *testing.T) {
	o := testOptions(t)
	sc := newScenario(o, 0)
	require.Len(t, sc.vehicles, 400)
	step := o.AreaKm * 1000 / 20 // 20 × 20 grid
	for i, p := range sc.vehicles {
		e, n := sc.proj.ToLocal(p)
		require.LessOrEqual(t, math.Abs(e), sc.half, "vehicle %d", i)
		require.LessOrEqual(t, math.Abs(n), sc.half, "vehicle %d", i)
		require.Equal(t, quantize(p), p, "positions are on the wire's 1e-7° grid")
		for j := range i {
			require.Greater(t, geo.Distance(p, sc.vehicles[j]), 0.45*step, "vehicles %d and %d", i, j)
		}
	}
}

func TestVehiclesSubscribeToTheirTileAndItsNeighbours(t *testing.T) {
	o := testOptions(t)
	sc := newScenario(o, 0)
	for i, p := range sc.vehicles {
		require.Len(t, sc.subs[i], 9)
		require.Equal(t, geo.Quadkey(p, 16), sc.subs[i][0])
		for _, qk := range sc.subs[i] {
			require.Contains(t, sc.byTile[qk], int32(i))
		}
	}
}

func TestScenarioIsDeterministicPerSeedAndRun(t *testing.T) {
	o := testOptions(t)
	a, b, c := newScenario(o, 7), newScenario(o, 7), newScenario(o, 8)
	require.Equal(t, a.vehicles, b.vehicles)
	require.Equal(t, a.order, b.order)
	require.NotEqual(t, a.order, c.order, "another run injects elsewhere")
}

func TestSlotsMapBackFromAlertPositions(t *testing.T) {
	o := testOptions(t)
	sc := newScenario(o, 3)
	require.Len(t, sc.order, 144) // (3000 / 250)²
	for id := range int32(len(sc.order)) {
		p := sc.slotPos(id)
		got, ok := sc.slotOf(p)
		require.True(t, ok)
		require.Equal(t, id, got)
		// An edge that moves the event a little (cluster mean, rounding) still maps to the slot.
		got, ok = sc.slotOf(geo.Destination(p, 45, 40))
		require.True(t, ok)
		require.Equal(t, id, got)
	}
	_, ok := sc.slotOf(geo.Destination(o.Center, 0, 5000))
	require.False(t, ok, "far outside the area")
	// Neighbouring slots are a spacing apart: the edge never merges two injected hazards.
	require.InDelta(t, 250, geo.Distance(sc.slotPos(0), sc.slotPos(1)), 1)
	require.InDelta(t, 250, geo.Distance(sc.slotPos(0), sc.slotPos(int32(sc.n))), 1)
}

func TestExpectedRecipientsOverMQTTAreTheTileSubscribers(t *testing.T) {
	o := testOptions(t)
	sc := newScenario(o, 1)
	for k := range 10 {
		c := sc.slotPos(sc.order[k])
		got, tiles := sc.expectedTiles(c, 300, 16)
		require.Equal(t, geo.TilesCoveringCircle(c, 300, 16), tiles)
		var want []int32
		for i := range sc.vehicles {
			for _, qk := range sc.subs[i] {
				if slices.Contains(tiles, qk) {
					want = append(want, int32(i))
					break
				}
			}
		}
		slices.Sort(got)
		require.Equal(t, want, got)
		require.NotEmpty(t, got)
	}
}

func TestExpectedRecipientsOverNativeAreInsideTheCircle(t *testing.T) {
	o := testOptions(t)
	sc := newScenario(o, 1)
	c := sc.slotPos(sc.order[0])
	got := sc.expectedWithin(c, 300)
	require.NotEmpty(t, got)
	for i, p := range sc.vehicles {
		require.Equal(t, geo.Distance(c, p) <= 300, slices.Contains(got, int32(i)), "vehicle %d", i)
	}
}

// The relevant recipients over MQTT, found among the tile subscribers, are exactly those inside
// the circle: every vehicle inside it is subscribed to a tile it touches.
func TestRelevantAmongTileSubscribersAreThoseInsideTheCircle(t *testing.T) {
	o := testOptions(t)
	sc := newScenario(o, 1)
	for _, slot := range sc.order {
		c := sc.slotPos(slot)
		expected, _ := sc.expectedTiles(c, 300, 16)
		got := sc.relevantAmong(c, 300, expected)
		slices.Sort(got)
		require.Equal(t, sc.expectedWithin(c, 300), got, "slot %d", slot)
		require.Less(t, len(got), len(expected), "slot %d: the tiles reach beyond the circle", slot)
	}
}
