package api_test

import (
	"encoding/csv"
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/michi-v2x/michi/internal/alertlatency"
	"github.com/michi-v2x/michi/internal/hub/storetest"
)

func TestEdges(t *testing.T) {
	storetest.Run(t, func(t *testing.T, b storetest.Backend) {
		f := newFixture(t, b, token)
		f.seed(t)
		f.sender.connected = []string{"edge-b"}

		resp, body := f.get(t, "/api/v1/edges")
		require.Equal(t, http.StatusOK, resp.StatusCode)
		var out struct {
			Edges []struct {
				ID        string `json:"id"`
				Connected bool   `json:"connected"`
				HighWater uint64 `json:"high_water"`
				Health    *struct {
					Clients    int     `json:"clients"`
					HandoffP99 float64 `json:"alert_handoff_p99_ms"`
					Coverage   *struct {
						MinLat float64 `json:"min_lat"`
					} `json:"coverage"`
				} `json:"health"`
			} `json:"edges"`
		}
		require.NoError(t, json.Unmarshal(body, &out))
		require.Len(t, out.Edges, 2)
		a := out.Edges[0]
		require.Equal(t, "edge-a", a.ID)
		require.False(t, a.Connected)
		require.Equal(t, uint64(7), a.HighWater)
		require.Equal(t, 3, a.Health.Clients)
		require.Equal(t, 1.5, a.Health.HandoffP99, "the edge's hand-off, named as the edge's metric and the dashboard name it")
		require.Equal(t, 48.0, a.Health.Coverage.MinLat)
		require.True(t, out.Edges[1].Connected)

		resp, body = f.get(t, "/api/v1/edges?format=geojson")
		require.Equal(t, "application/geo+json", resp.Header.Get("Content-Type"))
		c := decodeFC(t, body)
		require.Len(t, c.Features, 2)
		require.Equal(t, "Polygon", c.Features[0].Geometry.Type)

		resp, body = f.get(t, "/api/v1/edges/edge-a/health")
		require.Equal(t, http.StatusOK, resp.StatusCode, string(body))
		require.Contains(t, string(body), `"`+alertlatency.HandoffP99Field+`":1.5`)
		require.NotContains(t, string(body), `"alert_p99_ms"`, "one name for the hand-off")
		resp, body = f.get(t, "/api/v1/edges/edge-a/health?format=csv")
		require.Equal(t, http.StatusOK, resp.StatusCode)
		rows, err := csv.NewReader(strings.NewReader(string(body))).ReadAll()
		require.NoError(t, err)
		require.Len(t, rows, 2)
		require.Equal(t, []string{alertlatency.HandoffP50Field, alertlatency.HandoffP99Field}, rows[0][8:10])
		require.Equal(t, "alert_handoff_p99_ms", rows[0][9], "the API's documented name")
	})
}

func TestHazardsFilters(t *testing.T) {
	storetest.Run(t, func(t *testing.T, b storetest.Backend) {
		f := newFixture(t, b, token)
		f.seed(t)

		resp, body := f.get(t, "/api/v1/hazards")
		require.Equal(t, http.StatusOK, resp.StatusCode, string(body))
		c := decodeFC(t, body)
		require.Equal(t, []string{"edge-a/77/1", "edge-a/77/2", "edge-b/77/9"}, featureIDs(c))
		for _, ft := range c.Features {
			if ft.ID == "edge-a/77/1" {
				require.Equal(t, "Point", ft.Geometry.Type)
				require.JSONEq(t, "[11.2,48.1]", string(ft.Geometry.Coordinates), "GeoJSON is lon,lat")
				require.Equal(t, "stationaryVehicle", ft.Properties["cause_name"])
				require.Equal(t, true, ft.Properties["active"])
				require.Equal(t, "edge", ft.Properties["origin"])
			}
		}

		_, body = f.get(t, "/api/v1/hazards?active=true")
		require.Equal(t, []string{"edge-a/77/1", "edge-b/77/9"}, featureIDs(decodeFC(t, body)))
		_, body = f.get(t, "/api/v1/hazards?active=false")
		require.Equal(t, []string{"edge-a/77/2"}, featureIDs(decodeFC(t, body)))
		_, body = f.get(t, "/api/v1/hazards?bbox=11.7,48.0,11.9,48.2")
		require.Equal(t, []string{"edge-b/77/9"}, featureIDs(decodeFC(t, body)))
		_, body = f.get(t, "/api/v1/hazards?since=2026-03-02T08:00:03Z")
		require.Equal(t, []string{"edge-a/77/2"}, featureIDs(decodeFC(t, body)), "updated at 08:00:04")
		_, body = f.get(t, "/api/v1/hazards?edge=edge-b")
		require.Equal(t, []string{"edge-b/77/9"}, featureIDs(decodeFC(t, body)))
		_, body = f.get(t, "/api/v1/hazards?limit=1")
		c = decodeFC(t, body)
		require.Len(t, c.Features, 1)
		require.True(t, c.Truncated)

		resp, body = f.get(t, "/api/v1/hazards?format=csv&active=true")
		require.Equal(t, http.StatusOK, resp.StatusCode)
		require.Equal(t, "text/csv; charset=utf-8", resp.Header.Get("Content-Type"))
		rows, err := csv.NewReader(strings.NewReader(string(body))).ReadAll()
		require.NoError(t, err)
		require.Len(t, rows, 3)
		head := map[string]int{}
		for i, h := range rows[0] {
			head[h] = i
		}
		require.Equal(t, "lat", rows[0][0])
		for _, r := range rows[1:] {
			require.Equal(t, "'=evil;station:5", r[head["sources"]], "text that looks like a formula is defused")
		}

		resp, body = f.get(t, "/api/v1/hazard-events?from=2026-03-02T07:00:00Z&format=geojson")
		require.Equal(t, http.StatusOK, resp.StatusCode, string(body))
		require.Len(t, decodeFC(t, body).Features, 4)
		_, body = f.get(t, "/api/v1/hazard-events?from=2026-03-02T07:00:00Z&cause=27")
		require.Len(t, decodeFC(t, body).Features, 1)
	})
}

func TestTraffic(t *testing.T) {
	storetest.Run(t, func(t *testing.T, b storetest.Backend) {
		f := newFixture(t, b, token)
		f.seed(t)
		base := "/api/v1/traffic?from=2026-03-02T08:00:00Z&to=2026-03-02T09:00:00Z"

		resp, body := f.get(t, base)
		require.Equal(t, http.StatusOK, resp.StatusCode, string(body))
		c := decodeFC(t, body)
		require.Len(t, c.Features, 3)
		require.Equal(t, "Polygon", c.Features[0].Geometry.Type)

		_, body = f.get(t, base+"&bucket=1h&geometry=point&bbox=11.1,48.05,11.3,48.15")
		c = decodeFC(t, body)
		require.Len(t, c.Features, 1)
		p := c.Features[0].Properties
		require.Equal(t, "Point", c.Features[0].Geometry.Type)
		require.Equal(t, 16.0, p["count"])
		require.InDelta(t, (10*20+6*10)/16.0, p["mean_speed_mps"], 1e-9)
		require.Equal(t, "2026-03-02T08:00:00.000Z", p["bucket"])

		resp, body = f.get(t, base+"&bucket=1h&format=csv")
		require.Equal(t, http.StatusOK, resp.StatusCode)
		rows, err := csv.NewReader(strings.NewReader(string(body))).ReadAll()
		require.NoError(t, err)
		require.Equal(t, []string{"quadkey", "bucket", "lat", "lon", "count", "mean_speed_mps"}, rows[0])
		require.Len(t, rows, 3)

		// Default window: the hour before now (08:01) holds everything.
		_, body = f.get(t, "/api/v1/traffic")
		require.Len(t, decodeFC(t, body).Features, 3)
	})
}

func TestBadParams(t *testing.T) {
	f := newFixture(t, storetest.SQLite(t), token)
	for _, tc := range []struct{ path, field string }{
		{"/api/v1/hazards?bbox=1,2,3", "bbox"},
		{"/api/v1/hazards?bbox=a,2,3,4", "bbox"},
		{"/api/v1/hazards?bbox=0,50,1,40", "bbox"},
		{"/api/v1/hazards?bbox=0,0,200,1", "bbox"},
		{"/api/v1/hazards?active=maybe", "active"},
		{"/api/v1/hazards?since=yesterday", "since"},
		{"/api/v1/hazards?format=xml", "format"},
		{"/api/v1/hazards?limit=0", "limit"},
		{"/api/v1/hazards?colour=red", "colour"},
		{"/api/v1/traffic?bucket=90s", "bucket"},
		{"/api/v1/traffic?bucket=0m", "bucket"},
		{"/api/v1/traffic?from=2026-03-02T09:00:00Z&to=2026-03-02T08:00:00Z", "to"},
		{"/api/v1/traffic?geometry=hexagon", "geometry"},
		{"/api/v1/hazard-events?cause=300", "cause"},
		{"/api/v1/edges?format=csv", "format"},
		{"/api/v1/stream?types=hazard,gossip", "types"},
	} {
		resp, body := f.get(t, tc.path)
		require.Equal(t, http.StatusBadRequest, resp.StatusCode, tc.path)
		var e struct{ Error, Field string }
		require.NoError(t, json.Unmarshal(body, &e), tc.path)
		require.Equal(t, tc.field, e.Field, "%s: %s", tc.path, e.Error)
		require.NotEmpty(t, e.Error)
	}
	resp, _ := f.get(t, "/api/v1/nope")
	require.Equal(t, http.StatusNotFound, resp.StatusCode)
	resp, _ = f.do(t, http.MethodPut, "/api/v1/hazards", token, "{}")
	require.Equal(t, http.StatusMethodNotAllowed, resp.StatusCode)
}

func TestHealthzAndMetrics(t *testing.T) {
	f := newFixture(t, storetest.SQLite(t), token)
	resp, body := f.get(t, "/healthz")
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.Contains(t, string(body), `"backend":"sqlite"`)
	f.get(t, "/api/v1/edges")
	resp, body = f.get(t, "/metrics")
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.Contains(t, string(body), `michi_hub_http_requests_total{code="200",route="GET /api/v1/edges"} 1`)
	require.Contains(t, string(body), "michi_hub_stream_subscribers 0")

	require.NoError(t, f.store.Close())
	resp, _ = f.get(t, "/healthz")
	require.Equal(t, http.StatusServiceUnavailable, resp.StatusCode)
}
