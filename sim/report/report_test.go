package report

import (
	"bytes"
	"encoding/json"
	"html"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/michi-v2x/michi/internal/alertlatency"
	"github.com/michi-v2x/michi/pkg/geo"
	"github.com/michi-v2x/michi/pkg/v2x"
)

func TestReportFigures(t *testing.T) {
	start := time.Now().Truncate(time.Millisecond)
	at := func(s float64) time.Time { return start.Add(time.Duration(s * float64(time.Second))) }
	c := New(Options{Start: start})
	hz := geo.Point{Lat: 45.76, Lon: 4.83}
	far := geo.Destination(hz, 0, 20000)
	behind := geo.Destination(hz, 270, 300)
	c.Injected(Incident{Index: 0, ID: "stop", Kind: "stopped_vehicle", Causes: []uint8{94}, Start: 5, Pos: hz})
	for i := range 4 {
		c.Vehicle(i, "e1", uint32(100+i))
	}
	pos := []geo.Point{behind, far, hz, behind}
	step := func(t float64) {
		var vs []VehicleState
		for i, p := range pos {
			vs = append(vs, VehicleState{ID: i, Active: true, Pos: p, CAMPos: p})
		}
		c.Step(t, vs, false)
	}
	step(1)
	// The edge publishes at 15 s: 10 s detection delay.
	d := v2x.NewDENM(v2x.DENMSpec{SourceUUID: "michi_e1", StationID: 1, StationType: v2x.StationRoadSideUnit,
		ActionID: v2x.ActionID{OriginatingStationID: 1, SequenceNumber: 1}, Cause: 94, Pos: hz, AwarenessRadiusM: 500, At: at(15)})
	for _, qk := range geo.TilesCoveringCircle(hz, 500, 16) {
		c.Published("e1", d, v2x.Topic{Root: "michi", Queue: v2x.OutQueue, Type: v2x.TypeDENM, SourceID: "michi_e1", Quadkey: qk})
	}
	step(15.1)
	c.Delivered(0, "e1", Alert{DENM: d, Received: at(15.002), AlertLatency: 12345 * time.Microsecond, Delivery: 2 * time.Millisecond})
	c.Delivered(1, "e1", Alert{DENM: d, Received: at(15.004), AlertLatency: 14321 * time.Microsecond, Delivery: 4 * time.Millisecond}) // far away: false
	c.Delivered(0, "e1", Alert{DENM: d, Received: at(15.5), AlertLatency: 11 * time.Millisecond, Delivery: time.Millisecond})          // duplicate
	// vehicle 2 is inside and never warned; vehicle 3 is inside, warned late by a replay
	c.Delivered(3, "e1", Alert{DENM: d, Received: at(16), AlertLatency: time.Second, Delivery: time.Second, Replayed: true})
	c.Reached(0, 2, 8)  // before detection
	c.Reached(0, 0, 25) // 10 s of lead time
	c.Reached(0, 2, 40) // again, still unwarned, counted once
	step(60)
	r := c.Report()
	require.Len(t, r.Hazards, 1)
	h := r.Hazards[0]
	require.True(t, h.Detected)
	require.InDelta(t, 10, *h.DetectionDelayS, 0.01)
	require.Equal(t, 3, h.AlertsExpected, "vehicles 0, 2 and 3 were inside")
	require.Equal(t, 2, h.AlertsDelivered)
	require.Equal(t, 1, h.FalseDeliveries)
	require.Equal(t, 1, h.Replayed)
	require.Equal(t, 2, h.AlertLatencyMS.N, "replayed copies are not latencies")
	require.Equal(t, 14.321, h.AlertLatencyMS.Max, "JSON keeps the microseconds")
	require.Equal(t, 2, h.DeliveryMS.N)
	require.Equal(t, 4.0, h.DeliveryMS.Max)
	require.Equal(t, 1, h.LeadTimeS.N)
	require.InDelta(t, 10, h.LeadTimeS.Min, 0.01)
	require.Equal(t, 1, h.ReachedBeforeDetection)
	require.Equal(t, 1, h.ReachedUnwarned, "vehicle 2 came back after the publication, still unwarned")
	require.Equal(t, 1, r.Overall.HazardsDetected)
	require.InDelta(t, 0.6667, r.Overall.DeliveryRatio, 0.001)
	require.Empty(t, r.OtherHazards)

	var buf bytes.Buffer
	require.NoError(t, r.WriteHTML(&buf))
	out := buf.String()
	require.Contains(t, out, "<svg")
	require.NotContains(t, strings.ToLower(out), "<script")
	require.NotContains(t, out, "http://tile")
	require.Equal(t, 3, strings.Count(out, "<svg "), "latency CDF, lead-time histogram, map")
	// The page names alert latency and says from where to where, as docs/metrics.md does.
	require.Contains(t, out, html.EscapeString(alertlatency.Definition))
	require.Contains(t, out, html.EscapeString(alertlatency.DeliveryDefinition))
	require.Contains(t, out, "alert latency p50 / p99<b>12 / 14 ms</b>", "rounded for people")
	require.NotRegexp(t, `\d\.\d{3}`, out, "no figure with three decimals")
	js, err := json.Marshal(r)
	require.NoError(t, err)
	require.Contains(t, string(js), `"`+alertlatency.JSONField+`":{"n":2,`)
	require.Contains(t, string(js), `"`+alertlatency.DeliveryJSONField+`":{"n":2,`)
	require.NotContains(t, string(js), `"latency_ms"`, "one name per figure")
}

func TestUnmatchedEdgeHazardIsListed(t *testing.T) {
	start := time.Now()
	c := New(Options{Start: start})
	c.Injected(Incident{Index: 0, ID: "ped", Kind: "pedestrian", Causes: []uint8{12}, Start: 1, Pos: geo.Point{Lat: 45, Lon: 5}})
	d := v2x.NewDENM(v2x.DENMSpec{SourceUUID: "x", StationID: 1, ActionID: v2x.ActionID{OriginatingStationID: 1, SequenceNumber: 9},
		Cause: 27, Pos: geo.Point{Lat: 45, Lon: 5}, At: start.Add(3 * time.Second)})
	c.Published("e1", d, v2x.Topic{Quadkey: geo.Quadkey(geo.Point{Lat: 45, Lon: 5}, 16)})
	r := c.Report()
	require.Len(t, r.OtherHazards, 1)
	require.False(t, r.Hazards[0].Detected)
	require.Nil(t, r.Hazards[0].DetectionDelayS)
}

func TestQuantiles(t *testing.T) {
	s := []float64{1, 2, 3, 4, 5, 6, 7, 8, 9, 10}
	d := dist(s)
	require.Equal(t, Dist{N: 10, P50: 5, P90: 9, P99: 10, Max: 10}, d)
	l := lead([]float64{-1, 4, 2})
	require.Equal(t, Lead{N: 3, Min: -1, P5: -1, P50: 2}, l)
}
