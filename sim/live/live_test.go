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
	require.Greater(t, h.LatencyMS.N, 0)
	require.Equal(t, 41, rep.Connected)
}
