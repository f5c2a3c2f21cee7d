package e2e

import (
	"encoding/json"
	"fmt"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/michi-v2x/michi/internal/edge"
	"github.com/michi-v2x/michi/internal/testutil"
	"github.com/michi-v2x/michi/pkg/geo"
	"github.com/michi-v2x/michi/pkg/v2x"
)

// hubHazard returns the hub's current hazard of edge id whose properties match, if any.
func hubHazard(t *testing.T, h *testHub, id string, match func(map[string]any) bool) (map[string]any, error) {
	t.Helper()
	var fc featureCollection
	getJSON(t, h.base+"/api/v1/hazards?edge="+id, &fc)
	for _, f := range fc.Features {
		if match(f.Properties) {
			return f.Properties, nil
		}
	}
	return nil, fmt.Errorf("no such hazard of %s at the hub: %+v", id, fc.Features)
}

// TestAuthorityRoadWorksReachVehiclesOnTwoEdges: road works posted to the hub's API reach the
// two edges whose coverage they touch (not a third far away), and from them a vehicle on MQTT
// on one edge and vehicles on MQTT and native QUIC on the other; the edges report the hazard
// back as the authority's; DELETE ends it everywhere.
func TestAuthorityRoadWorksReachVehiclesOnTwoEdges(t *testing.T) {
	p := newPKI(t)
	h := startHub(t, p, filepath.Join(t.TempDir(), "hub.db"), "127.0.0.1:0")
	start := func(name string, box geo.Box, mutate ...func(*edge.Options)) *testEdge {
		o := edgeOptions(t, p, name, h.uplinkAddr())
		o.Coverage = bbox(box)
		for _, m := range mutate {
			m(&o)
		}
		return startEdge(t, o)
	}
	a := start("edge-a", boxA)
	b := start("edge-b", boxB, func(o *edge.Options) { o.QUICAddr = "127.0.0.1:0" })
	far := start("edge-far", boxFar)

	works := geo.Destination(border, 270, 100) // in A, its 600 m circle reaches into B
	inA, inB := geo.Destination(works, 270, 300), geo.Destination(works, 90, 400)
	subA := subscribeDENMs(t, mqttClient(t, a, "car-a"), inA)
	subB := subscribeDENMs(t, mqttClient(t, b, "car-b"), inB)
	quicB := quicVehicle(t, b, 42, inB)
	waitCoverage(t, h, "edge-a", "edge-b", "edge-far")

	status, body := call(t, http.MethodPost, h.base+"/api/v1/hazards",
		fmt.Sprintf(`{"id":"works-1","cause":3,"sub_cause":4,"lat":%f,"lon":%f,"radius_m":600,"validity_s":7200,"issuer":"Ville de Paris"}`, works.Lat, works.Lon))
	require.Equal(t, http.StatusCreated, status, "%s", body)
	var issued struct {
		SentTo []string `json:"sent_to"`
	}
	require.NoError(t, json.Unmarshal(body, &issued))
	require.ElementsMatch(t, []string{"edge-a", "edge-b"}, issued.SentTo, "the edges whose coverage the circle touches")

	for name, got := range map[string]*v2x.DENM{
		"MQTT vehicle on edge A":   nextDENM(t, subA, "road works on A", isCause(v2x.CauseRoadworks, false)),
		"MQTT vehicle on edge B":   nextDENM(t, subB, "road works on B", isCause(v2x.CauseRoadworks, false)),
		"native vehicle on edge B": nextAlert(t, quicB, "road works on B over QUIC", isCause(v2x.CauseRoadworks, false)),
	} {
		_, sub := got.Cause()
		require.Equal(t, uint8(4), sub, name)
		require.InDelta(t, 0, geo.Distance(got.EventPosition(), works), 0.05, name)
		r, ok := got.AwarenessRadius()
		require.True(t, ok, name)
		require.Equal(t, 1000.0, r, "%s: 600 m is ETSI relevance distance lessThan1000m", name)
		require.InDelta(t, 7200, got.Validity().Seconds(), 2, name)
	}
	require.Zero(t, far.n.Hazards().Len(), "the far edge carries nothing")
	for _, id := range []string{"edge-a", "edge-b"} {
		testutil.CheckFor(t, 10*time.Second, func() error {
			_, err := hubHazard(t, h, id, func(p map[string]any) bool {
				return p["authority"] == "works-1" && p["state"] == "active" && p["radius_m"] == 600.0
			})
			return err
		})
	}

	status, body = call(t, http.MethodDelete, h.base+"/api/v1/hazards/works-1", "")
	require.Equal(t, http.StatusOK, status, "%s", body)
	nextDENM(t, subA, "termination on A", isCause(v2x.CauseRoadworks, true))
	nextDENM(t, subB, "termination on B", isCause(v2x.CauseRoadworks, true))
	nextAlert(t, quicB, "termination on B over QUIC", isCause(v2x.CauseRoadworks, true))
	require.Zero(t, a.n.Hazards().Len())
	require.Zero(t, b.n.Hazards().Len())
	testutil.CheckFor(t, 10*time.Second, func() error {
		_, err := hubHazard(t, h, "edge-b", func(p map[string]any) bool { return p["authority"] == "works-1" && p["state"] == "terminated" })
		return err
	})
}

// TestNeighbourHazardRelayed: an accident a vehicle reports to edge A, 300 m from the border,
// has a 1 km relevance circle reaching into edge B's coverage; the hub relays it and a vehicle
// on B gets it from B. B reports it back as relayed (so it is not relayed again), and the
// reporter's cancellation ends it on B too.
func TestNeighbourHazardRelayed(t *testing.T) {
	p := newPKI(t)
	h := startHub(t, p, filepath.Join(t.TempDir(), "hub.db"), "127.0.0.1:0")
	oa, ob := edgeOptions(t, p, "edge-a", h.uplinkAddr()), edgeOptions(t, p, "edge-b", h.uplinkAddr())
	oa.Coverage, ob.Coverage = bbox(boxA), bbox(boxB)
	a, b := startEdge(t, oa), startEdge(t, ob)

	accident := geo.Destination(border, 270, 300)
	onB := geo.Destination(border, 90, 300)
	subB := subscribeDENMs(t, mqttClient(t, b, "car-b"), onB)
	waitCoverage(t, h, "edge-a", "edge-b")

	reporter := newVehicle(t, a, 7)
	reporter.report(t, time.Now(), 1, v2x.CauseAccident, accident, nil)
	d := nextDENM(t, subB, "the relayed accident on B", isCause(v2x.CauseAccident, false))
	require.InDelta(t, 0, geo.Distance(d.EventPosition(), accident), 0.05)
	require.Equal(t, b.n.Options().StationID, d.ActionID().OriginatingStationID, "B originates what it disseminates")

	relay := fmt.Sprintf("relay:edge-a:%d/", a.n.Options().StationID)
	testutil.CheckFor(t, 10*time.Second, func() error {
		_, err := hubHazard(t, h, "edge-b", func(p map[string]any) bool {
			s, _ := p["authority"].(string)
			return strings.HasPrefix(s, relay) && p["state"] == "active"
		})
		return err
	})
	require.Equal(t, 1, a.n.Hazards().Len(), "A has its own hazard only")

	term := v2x.Termination(0)
	reporter.report(t, time.Now(), 1, v2x.CauseAccident, accident, &term)
	nextDENM(t, subB, "the relayed accident's end on B", isCause(v2x.CauseAccident, true))
	require.Zero(t, b.n.Hazards().Len())
}
