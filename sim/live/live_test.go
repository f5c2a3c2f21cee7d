package live

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/michi-v2x/michi/internal/detect"
	"github.com/michi-v2x/michi/internal/edge"
	"github.com/michi-v2x/michi/pkg/geo"
	"github.com/michi-v2x/michi/sim"
	"github.com/michi-v2x/michi/sim/report"
)

var lyon = geo.Point{Lat: 45.76, Lon: 4.83}

func share(v float64) *float64 { return &v }

// quickEdge makes the stationary-vehicle detector fire after 2 s instead of 10 s.
func quickEdge() EdgeSpec {
	return EdgeSpec{ID: "e1", Options: edge.Options{Detect: detect.Options{Stationary: detect.StationaryOptions{MinStopped: 2 * time.Second}}}}
}

func runReport(t *testing.T, o Options) *report.Report {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), o.Duration+60*time.Second)
	defer cancel()
	rep, err := Run(ctx, o)
	require.NoError(t, err)
	b, _ := json.MarshalIndent(rep, "", " ")
	t.Logf("%s", b)
	return rep
}

// A car stops on a 2 km highway; every connected vehicle inside the relevance area is warned,
// nobody outside it is, and the cars upstream get the warning before they reach it.
func TestStoppedVehicleEndToEnd(t *testing.T) {
	rep := runReport(t, Options{
		Name: "stopped", Duration: 12 * time.Second, Edges: []EdgeSpec{quickEdge()},
		World: sim.Config{Origin: lyon, Seed: 1,
			Roads:   []sim.RoadSpec{{Highway: &sim.HighwaySpec{LengthM: 2000, Lanes: 2}}},
			Traffic: sim.Traffic{Vehicles: 40, Connected: share(1)},
			Hazards: []sim.HazardSpec{{Kind: sim.StoppedVehicle, At: sim.XY(600, -5.25), Start: time.Second}}},
	})
	require.Len(t, rep.Hazards, 1)
	h := rep.Hazards[0]
	require.True(t, h.Detected, "the edge found the stopped car")
	require.Greater(t, h.AlertsExpected, 10)
	require.Equal(t, h.AlertsExpected, h.AlertsDelivered, "every vehicle inside the relevance area warned")
	require.Zero(t, rep.Overall.FalseDeliveries)
	require.Greater(t, h.LeadTimeS.N, 0, "warned vehicles reached the hazard")
	require.Greater(t, h.LeadTimeS.Min, 0.0, "and were warned before they got there")
	require.Greater(t, h.AlertLatencyMS.N, 0)
	requireAlertLatencyHoldsDelivery(t, h.Summary)
	require.Equal(t, 41, rep.Connected)
	require.Zero(t, rep.Traffic.AlertsUnverified, "every vehicle checked its edge's signature on every alert, replays included")
}

// A pedestrian seen only by a roadside camera (CPM): the edge raises cause 12 and every
// connected vehicle inside the relevance area is warned, nobody outside it.
func TestPedestrianFromRoadsideSensorEndToEnd(t *testing.T) {
	rep := runReport(t, Options{
		Name: "pedestrian", Duration: 14 * time.Second,
		Edges: []EdgeSpec{{ID: "e1"}},
		World: sim.Config{Origin: lyon, Seed: 2,
			Roads:   []sim.RoadSpec{{Grid: &sim.GridSpec{Cols: 3, Rows: 3, BlockM: 150}}},
			Traffic: sim.Traffic{Vehicles: 30, Connected: share(1)},
			Sensors: []sim.SensorSpec{{ID: "cam", At: sim.XY(5, 5), RangeM: 120, Hz: 10}},
			Hazards: []sim.HazardSpec{{Kind: sim.Pedestrian, At: sim.XY(0, 60), Start: 6 * time.Second}}},
	})
	h := rep.Hazards[0]
	require.True(t, h.Detected, "the edge found the pedestrian in the camera's CPMs")
	require.EqualValues(t, 12, h.EdgeHazards[0].Cause)
	require.Positive(t, h.AlertsExpected)
	require.Equal(t, h.AlertsExpected, h.AlertsDelivered, "%+v", h.Missed)
	require.Zero(t, rep.Overall.FalseDeliveries)
	require.Positive(t, rep.Traffic.CPMs)
}

// A wrong-way driver: detected against the flow the edge learned from the traffic in the first
// half minute (a fresh edge holds back), and the vehicles it meets are warned before they meet
// it.
func TestWrongWayDriverEndToEnd(t *testing.T) {
	if raceEnabled {
		// The moving hazard is republished (retained) many times a second while vehicles
		// re-subscribe: mochi-mqtt v2.7.9 reads a topic's retainPath in scanMessages without the
		// lock RetainMessage writes it under, and the race detector flags it in the broker.
		t.Skip("mochi-mqtt v2.7.9 retained-message race; runs without -race")
	}
	rep := runReport(t, Options{
		Name: "wrong-way", Duration: 45 * time.Second, Edges: []EdgeSpec{{ID: "e1"}},
		World: sim.Config{Origin: lyon, Seed: 3,
			Roads:   []sim.RoadSpec{{Highway: &sim.HighwaySpec{LengthM: 3000, Lanes: 2}}},
			Traffic: sim.Traffic{Vehicles: 80, Connected: share(1)},
			Hazards: []sim.HazardSpec{{Kind: sim.WrongWay, At: sim.XY(1300, -1.75), Start: 30 * time.Second}}},
	})
	h := rep.Hazards[0]
	require.True(t, h.Detected)
	require.Positive(t, h.AlertsDelivered)
	require.Positive(t, h.LeadTimeS.N, "vehicles met the driver after the warning")
	require.Positive(t, h.LeadTimeS.P50)
	require.Zero(t, rep.Overall.FalseDeliveries)
}

// The same breakdown over michi's native QUIC protocol: the edge geocasts to the vehicles
// inside the relevance circle that head towards the hazard, and the report measures against
// that rule.
func TestStoppedVehicleOverNativeQUIC(t *testing.T) {
	rep := runReport(t, Options{
		Name: "stopped-quic", Duration: 12 * time.Second, Edges: []EdgeSpec{quickEdge()}, Transport: TransportQUIC,
		World: sim.Config{Origin: lyon, Seed: 1,
			Roads:   []sim.RoadSpec{{Highway: &sim.HighwaySpec{LengthM: 2000, Lanes: 2}}},
			Traffic: sim.Traffic{Vehicles: 40, Connected: share(1)},
			Hazards: []sim.HazardSpec{{Kind: sim.StoppedVehicle, At: sim.XY(600, -5.25), Start: time.Second}}},
	})
	require.Equal(t, TransportQUIC, rep.Transport)
	require.Contains(t, rep.Relevance, "native QUIC geocast")
	h := rep.Hazards[0]
	require.True(t, h.Detected)
	require.Positive(t, h.AlertsExpected)
	require.Equal(t, h.AlertsExpected, h.AlertsDelivered, "%+v", h.Missed)
	require.Zero(t, rep.Overall.FalseDeliveries)
	require.Positive(t, h.LeadTimeS.N)
	require.Positive(t, h.LeadTimeS.Min)
	requireAlertLatencyHoldsDelivery(t, h.Summary)
	require.Zero(t, rep.Traffic.AlertsUnverified, "every vehicle checked its edge's signature on every alert")
}

// requireAlertLatencyHoldsDelivery: alert latency starts at the edge's accept, before the send
// stamp the delivery part starts at (1 ms for the millisecond reference time), per alert.
func requireAlertLatencyHoldsDelivery(t *testing.T, s report.Summary) {
	t.Helper()
	require.Equal(t, s.AlertLatencyMS.N, s.DeliveryMS.N)
	require.GreaterOrEqual(t, s.AlertLatencyMS.P50, s.DeliveryMS.P50-1)
	require.GreaterOrEqual(t, s.AlertLatencyMS.Max, s.DeliveryMS.Max-1)
}
