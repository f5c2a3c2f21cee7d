package e2e

import (
	"fmt"
	"io"
	"net/http"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/michi-v2x/michi/internal/testutil"
	"github.com/michi-v2x/michi/pkg/geo"
	"github.com/michi-v2x/michi/pkg/v2x"
)

// clock is the real clock shifted by an offset a test moves forward (Options.Now).
type clock struct{ off atomic.Int64 }

func (c *clock) Now() time.Time      { return time.Now().Add(time.Duration(c.off.Load())) }
func (c *clock) Add(d time.Duration) { c.off.Add(int64(d)) }
func metricsOf(t *testing.T, e *testEdge) string {
	t.Helper()
	status, b := call(t, http.MethodGet, "http://"+e.n.HTTPAddr()+"/metrics", "")
	require.Equal(t, http.StatusOK, status)
	return string(b)
}

// TestRecordsReachTheHub: an edge's health (with the coverage grown from the vehicles it saw),
// its hazard and a closed minute of traffic arrive at a real hub and show in its API.
func TestRecordsReachTheHub(t *testing.T) {
	p := newPKI(t)
	h := startHub(t, p, filepath.Join(t.TempDir(), "hub.db"), "127.0.0.1:0")
	clk := &clock{}
	opts := edgeOptions(t, p, "edge-a", h.uplinkAddr())
	opts.Now = clk.Now // no Coverage: grown from the vehicles
	e := startEdge(t, opts)

	// Three vehicles on one zoom-16 tile at 10, 20 and 30 m/s, one on a tile 2 km away.
	tileBox, err := geo.QuadkeyBox(geo.Quadkey(border, 16))
	require.NoError(t, err)
	c := tileBox.Center()
	pos := []geo.Point{geo.Destination(c, 0, 50), geo.Destination(c, 90, 50), geo.Destination(c, 180, 50), geo.Destination(c, 270, 2000)}
	speeds := []float64{10, 20, 30, 25}
	var vs []*vehicle
	for i := range pos {
		v := newVehicle(t, e, uint32(100+i))
		v.cam(t, clk.Now(), pos[i], speeds[i])
		vs = append(vs, v)
	}
	testutil.CheckFor(t, 5*time.Second, func() error {
		for _, v := range vs {
			if _, ok := e.n.LDM().Vehicle(v.id); !ok {
				return fmt.Errorf("vehicle %d not tracked", v.id)
			}
		}
		return nil
	})
	e.n.SampleTraffic()
	clk.Add(time.Minute)
	e.n.SampleTraffic() // the minute closed: its aggregates go up

	accident := geo.Destination(c, 0, 20)
	vs[0].report(t, clk.Now(), 1, v2x.CauseAccident, accident, nil)

	testutil.CheckFor(t, 10*time.Second, func() error {
		a := edgesAtHub(t, h)["edge-a"]
		if !a.Connected || a.Health == nil || a.Health.Coverage == nil || a.Health.Clients < len(vs) || a.Health.Vehicles != len(vs) {
			return fmt.Errorf("edge at the hub: %+v", a)
		}
		cov := geo.Box{Min: geo.Point{Lat: a.Health.Coverage.MinLat, Lon: a.Health.Coverage.MinLon},
			Max: geo.Point{Lat: a.Health.Coverage.MaxLat, Lon: a.Health.Coverage.MaxLon}}
		for _, p := range pos {
			if !cov.Contains(p) {
				return fmt.Errorf("coverage %+v does not contain vehicle at %v", cov, p)
			}
		}
		return nil
	})

	testutil.CheckFor(t, 10*time.Second, func() error {
		var fc featureCollection
		getJSON(t, h.base+"/api/v1/hazards?edge=edge-a", &fc)
		for _, f := range fc.Features {
			pr := f.Properties
			if pr["cause"] == float64(v2x.CauseAccident) && pr["event"] == "created" && pr["origin"] == "edge" &&
				pr["action"] == fmt.Sprintf("%d/1", e.n.Options().StationID) && pr["authority"] == "" {
				return nil
			}
		}
		return fmt.Errorf("hazards at the hub: %+v", fc.Features)
	})

	testutil.CheckFor(t, 10*time.Second, func() error {
		var fc featureCollection
		getJSON(t, h.base+"/api/v1/traffic?bbox="+bbox(tileBox), &fc)
		for _, f := range fc.Features {
			if f.Properties["quadkey"] == geo.Quadkey(border, 16) {
				require.Equal(t, float64(3), f.Properties["count"], "three distinct vehicles on the tile")
				require.InDelta(t, 20, f.Properties["mean_speed_mps"], 1e-9)
				return nil
			}
		}
		return fmt.Errorf("traffic at the hub: %+v", fc.Features)
	})

	m := metricsOf(t, e)
	require.Contains(t, m, "michi_edge_uplink_connected 1")
	require.Contains(t, m, `michi_edge_uplink_records_total{kind="hazard"} 1`)
	require.Contains(t, m, `michi_edge_uplink_records_total{kind="traffic"} 2`)
	require.Contains(t, m, "michi_edge_uplink_queue_depth ")
	require.NotContains(t, m, "michi_edge_uplink_lost_total{")
}

// TestExactlyOnceAcrossHubOutageAndEdgeRestart: the hub stops; the edge keeps serving its
// vehicles, and is itself restarted (same data directory) during the outage; the hub comes back
// on the same address and database. Every record the edge wrote is stored exactly once: the
// hub's high-water mark is the edge's last seq and the stored records' seqs are 1…N, each once.
func TestExactlyOnceAcrossHubOutageAndEdgeRestart(t *testing.T) {
	p := newPKI(t)
	dsn := filepath.Join(t.TempDir(), "hub.db")
	h := startHub(t, p, dsn, "127.0.0.1:0")
	addr := h.uplinkAddr()
	opts := edgeOptions(t, p, "edge-r", addr)
	opts.Coverage = bbox(boxA)
	opts.Uplink.HealthEvery = time.Hour // one health record per start, so the record count is known
	e := startEdge(t, opts)

	hazardAt := func(i int) geo.Point { return geo.Destination(geo.Point{Lat: 48.85, Lon: 2.32}, 0, float64(i)*400) }
	report := func(e *testEdge, from, to int) {
		v := newVehicle(t, e, uint32(1000+from))
		for i := from; i <= to; i++ {
			v.report(t, time.Now(), uint16(i), v2x.CauseStationaryVehicle, hazardAt(i), nil)
		}
	}
	hazardEvents := func(h *testHub) []uint64 {
		var fc featureCollection
		getJSON(t, h.base+"/api/v1/hazard-events?edge=edge-r&from=-1h", &fc)
		var seqs []uint64
		for _, f := range fc.Features {
			seqs = append(seqs, uint64(f.Properties["seq"].(float64)))
		}
		return seqs
	}

	report(e, 1, 3)
	testutil.CheckFor(t, 10*time.Second, func() error {
		if got := hazardEvents(h); len(got) != 3 {
			return fmt.Errorf("hazard events at the hub: %v", got)
		}
		return nil
	})

	h.stop() // outage
	sub := subscribeDENMs(t, mqttClient(t, e, "watcher"), hazardAt(4))
	report(e, 4, 5)
	nextDENM(t, sub, "a vehicle's report disseminated while the hub is away", isCause(v2x.CauseStationaryVehicle, false))
	testutil.CheckFor(t, 5*time.Second, func() error {
		if st, _ := e.n.UplinkStats(); st.Connected || st.Depth < 2 {
			return fmt.Errorf("uplink during the outage: %+v", st)
		}
		return nil
	})

	e.stop() // edge restart during the outage, same data directory
	e = startEdge(t, opts)
	report(e, 6, 8)
	require.Len(t, e.n.Hazards().Active(), 8, "the restarted edge serves, and resumed the hazards of before (no new record for them)")

	h = startHub(t, p, dsn, addr) // back, same address and database
	const records = 3 + 2 + 3 + 2 // hazards before, during, after the restart; one health per start
	testutil.CheckFor(t, 20*time.Second, func() error {
		st, _ := e.n.UplinkStats()
		r := edgesAtHub(t, h)["edge-r"]
		if r.HighWater != records || st.AckedSeq != records || st.Depth != 0 {
			return fmt.Errorf("hub high water %d, edge %+v", r.HighWater, st)
		}
		return nil
	})

	seqs := hazardEvents(h)
	var health struct {
		Samples []struct {
			Seq uint64 `json:"seq"`
		} `json:"samples"`
	}
	getJSON(t, h.base+"/api/v1/edges/edge-r/health?from=-1h", &health)
	for _, s := range health.Samples {
		seqs = append(seqs, s.Seq)
	}
	slices.Sort(seqs)
	want := make([]uint64, records)
	for i := range want {
		want[i] = uint64(i + 1)
	}
	require.Equal(t, want, seqs, "every record stored, each once")
}

// TestUnknownCAEdgeRefused: an edge whose certificate another CA signed is refused by the hub
// (it trusts the hub, the hub does not trust it); it keeps serving its vehicles and keeps its
// records queued.
func TestUnknownCAEdgeRefused(t *testing.T) {
	p := newPKI(t)
	h := startHub(t, p, filepath.Join(t.TempDir(), "hub.db"), "127.0.0.1:0")
	intruder := newPKI(t)
	opts := edgeOptions(t, intruder, "edge-x", h.uplinkAddr())
	opts.HubCA = p.caFile
	opts.Coverage = bbox(boxA)
	e := startEdge(t, opts)

	sub := subscribeDENMs(t, mqttClient(t, e, "watcher"), border)
	newVehicle(t, e, 5).report(t, time.Now(), 1, v2x.CauseAccident, border, nil)
	nextDENM(t, sub, "the edge serves its vehicles", isCause(v2x.CauseAccident, false))

	testutil.CheckFor(t, 10*time.Second, func() error {
		if st, _ := e.n.UplinkStats(); st.Failures < 2 || st.Connects > 0 || st.Depth == 0 {
			return fmt.Errorf("uplink: %+v", st)
		}
		return nil
	})
	st, _ := e.n.UplinkStats()
	t.Log("refused:", st.LastError)
	require.Empty(t, edgesAtHub(t, h), "the hub stored nothing from it")
	require.Contains(t, metricsOf(t, e), "michi_edge_uplink_connected 0")

	resp, err := http.Get("http://" + e.n.HTTPAddr() + "/healthz")
	require.NoError(t, err)
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.True(t, strings.Contains(string(b), `"connected":false`), "%s", b)
}
