package harness

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/michi-v2x/michi/pkg/geo"
	"github.com/michi-v2x/michi/pkg/v2x"
)

// alertFor is the DENM a target would send for hazard k of sc, made at at.
func alertFor(t *testing.T, sc *scenario, k int, cause uint8, at time.Time) []byte {
	t.Helper()
	b, err := json.Marshal(v2x.NewDENM(v2x.DENMSpec{
		SourceUUID: "michi_edge-1", StationID: 9, StationType: v2x.StationRoadSideUnit,
		ActionID: v2x.ActionID{OriginatingStationID: 9, SequenceNumber: uint16(k)}, Cause: cause,
		Pos: sc.slotPos(sc.order[k]), Detection: at, Reference: at, AwarenessRadiusM: 300, At: at,
	}))
	require.NoError(t, err)
	return b
}

func TestCollectorCountsFirstCopiesOfExpectedVehicles(t *testing.T) {
	o := testOptions(t)
	start := time.Now()
	sc := newScenario(o, 0)
	c := newCollector(sc, o, start)
	// Vehicle 1 is inside the circle; 7 is given as relevant but not expected, and is ignored.
	k := c.register(sc.order[0], 100*time.Millisecond, start.UnixMilli(), []int32{0, 1, 2}, []int32{1, 7})
	alert := alertFor(t, sc, 0, 99, start.Add(101*time.Millisecond)) // accepted 1 ms after its schedule

	c.deliver(0, alert, 103*time.Millisecond)
	c.deliver(0, alert, 104*time.Millisecond) // the same hazard on another tile
	c.deliver(1, alert, 105*time.Millisecond)
	c.deliver(7, alert, 106*time.Millisecond) // not expected
	s := c.snapshot()
	require.Equal(t, 1, s.sent)
	require.Equal(t, int64(3), s.expected)
	require.Equal(t, int64(2), s.received)
	require.Equal(t, int64(1), s.duplicates)
	require.Equal(t, int64(1), s.unexpected)

	var res Result
	(&runner{col: c}).finish(&res)
	require.Equal(t, int64(1), res.AlertsLost, "vehicle 2 never got it")
	require.Equal(t, 1, res.LostHazards)
	require.Equal(t, 1, res.LostVehicles)
	require.Equal(t, int64(2), res.LatencyMs.Samples)
	require.InDelta(t, 5, res.LatencyMs.Max, 0.01)
	require.InDelta(t, 3, res.LatencyMs.P50, 0.01)
	require.Zero(t, res.AlertAllMs.Samples, "not every vehicle has it")
	require.Zero(t, res.RadiusMismatch)
	require.Equal(t, int64(1), res.AlertsRelevantExpected)
	require.Equal(t, int64(1), res.AlertsRelevantReceived)
	require.Equal(t, int64(1), res.LatencyRelevantMs.Samples)
	require.InDelta(t, 5, res.LatencyRelevantMs.P50, 0.01)
	// Alert latency runs from the alert's reference time (the target accepted the report 1 ms
	// after its schedule, ms-truncated) to the read: about 2 and 4 ms, not the 3 and 5 ms since
	// the scheduled injection at 100 ms.
	require.Equal(t, int64(2), res.AlertLatencyMs.Samples)
	require.InDelta(t, 2.5, res.AlertLatencyMs.P50, 0.6)
	require.InDelta(t, 4.5, res.AlertLatencyMs.Max, 0.6)
	require.Less(t, res.AlertLatencyMs.Max, res.LatencyRawMs.Max)

	c.deliver(2, alert, 110*time.Millisecond)
	(&runner{col: c}).finish(&res)
	require.Zero(t, res.AlertsLost)
	require.Equal(t, int64(1), res.AlertAllMs.Samples)
	require.InDelta(t, 10, res.AlertAllMs.Max, 0.01)
	require.Equal(t, int64(1), res.LatencyRelevantMs.Samples, "vehicle 2 is not relevant")
	require.Equal(t, 0, k)
}

// A relay's alert is stamped before its schedule (the sensor builds it ahead): its alert
// latency runs from the schedule, as the target cannot have accepted the report earlier.
func TestCollectorAlertLatencyStartsNoEarlierThanTheSchedule(t *testing.T) {
	o := testOptions(t)
	start := time.Now()
	sc := newScenario(o, 0)
	c := newCollector(sc, o, start)
	c.register(sc.order[0], 100*time.Millisecond, start.UnixMilli(), []int32{0}, nil)
	c.deliver(0, alertFor(t, sc, 0, 99, start), 103*time.Millisecond)
	var res Result
	(&runner{col: c}).finish(&res)
	require.Equal(t, int64(1), res.AlertLatencyMs.Samples)
	require.InDelta(t, 3, res.AlertLatencyMs.Max, 0.01)
}

// Over MQTT a vehicle on a tile the circle touches but outside the circle is expected and not
// relevant: its delivery counts in latency_ms and not in latency_relevant_ms.
func TestCollectorKeepsRelevantVehiclesApart(t *testing.T) {
	o := testOptions(t)
	start := time.Now()
	sc := newScenario(o, 0)
	c := newCollector(sc, o, start)
	pos := sc.slotPos(sc.order[0])
	expected, _ := sc.expectedTiles(pos, 300, o.Zoom)
	relevant := sc.relevantAmong(pos, 300, expected)
	require.NotEmpty(t, relevant)
	require.Greater(t, len(expected), len(relevant))
	inside := relevant[0]
	outside := int32(-1)
	for _, v := range expected {
		if geo.Distance(pos, sc.vehicles[v]) > 300 {
			outside = v
			break
		}
	}
	require.NotEqual(t, int32(-1), outside)
	c.register(sc.order[0], 100*time.Millisecond, start.UnixMilli(), expected, relevant)
	alert := alertFor(t, sc, 0, 99, start)

	c.deliver(outside, alert, 102*time.Millisecond)
	var res Result
	(&runner{col: c}).finish(&res)
	require.Equal(t, int64(len(expected)), res.AlertsExpected)
	require.Equal(t, int64(len(relevant)), res.AlertsRelevantExpected)
	require.Equal(t, int64(1), res.AlertsReceived)
	require.Zero(t, res.AlertsRelevantReceived, "outside the circle")
	require.Zero(t, res.LatencyRelevantMs.Samples)
	require.Zero(t, res.AlertsUnexpected)

	c.deliver(inside, alert, 107*time.Millisecond)
	c.deliver(inside, alert, 108*time.Millisecond) // another tile's copy
	(&runner{col: c}).finish(&res)
	require.Equal(t, int64(2), res.AlertsReceived)
	require.Equal(t, int64(1), res.AlertsRelevantReceived)
	require.Equal(t, int64(1), res.LatencyRelevantMs.Samples)
	require.InDelta(t, 7, res.LatencyRelevantMs.Max, 0.01)
	require.Equal(t, int64(2), res.LatencyMs.Samples)
	require.InDelta(t, 2, res.LatencyMs.P50, 0.01)
}

func TestCollectorIgnoresAlertsOfNoHazardOfTheRun(t *testing.T) {
	o := testOptions(t)
	start := time.Now()
	sc := newScenario(o, 0)
	c := newCollector(sc, o, start)
	c.register(sc.order[0], 0, start.UnixMilli(), []int32{0}, []int32{0})

	c.deliver(0, alertFor(t, sc, 0, 99, start.Add(-time.Minute)), time.Millisecond) // an earlier run's, retained
	c.deliver(0, alertFor(t, sc, 0, 97, start), time.Millisecond)                   // another cause
	c.deliver(0, alertFor(t, sc, 1, 99, start), time.Millisecond)                   // a slot not injected
	c.deliver(0, []byte("{not json"), time.Millisecond)
	require.Equal(t, int64(4), c.unmatched.Load())
	require.Equal(t, int64(1), c.malformed.Load())
	require.Zero(t, c.snapshot().received)
}

func TestCollectorCorrectsForCoordinatedOmission(t *testing.T) {
	o := testOptions(t, func(o *Options) { o.HazardRate = 2 }) // one hazard every 500 ms
	start := time.Now()
	sc := newScenario(o, 0)
	c := newCollector(sc, o, start)
	c.register(sc.order[0], 0, start.UnixMilli(), []int32{0}, []int32{0})
	c.deliver(0, alertFor(t, sc, 0, 99, start), 1200*time.Millisecond)

	var res Result
	(&runner{col: c}).finish(&res)
	require.Equal(t, int64(1), res.LatencyRawMs.Samples)
	// A 1.2 s stall hides the injection due 500 ms later, which would have waited 700 ms: its
	// sample is filled in (HdrHistogram back-fills down to the expected interval).
	require.Equal(t, int64(2), res.LatencyMs.Samples)
	require.InDelta(t, 700, res.LatencyMs.P50, 1)
	require.InDelta(t, 1200, res.LatencyMs.Max, 1)
}

func TestCollectorFlagsAnotherRadius(t *testing.T) {
	o := testOptions(t, func(o *Options) { o.HazardRadiusM = 1000 })
	start := time.Now()
	sc := newScenario(o, 0)
	c := newCollector(sc, o, start)
	c.register(sc.order[0], 0, start.UnixMilli(), []int32{0}, []int32{0})
	c.deliver(0, alertFor(t, sc, 0, 99, start), time.Millisecond) // says "less than 500 m"
	require.Equal(t, int64(1), c.radiusMismatch.Load())
}
