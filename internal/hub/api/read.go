package api

import (
	"net/http"
	"slices"
	"time"

	"github.com/michi-v2x/michi/internal/hub/store"
)

func (a *API) connected() map[string]bool {
	out := map[string]bool{}
	if a.o.Downlink != nil {
		for _, id := range a.o.Downlink.Connected() {
			out[id] = true
		}
	}
	return out
}

// serveEdges: GET /api/v1/edges[?format=json|geojson]. JSON lists every edge with its latest
// health; GeoJSON gives each edge with a known coverage as a polygon.
func (a *API) serveEdges(w http.ResponseWriter, r *http.Request) {
	q := newQuery(r.URL.Query(), a.o.Now(), "format")
	format := q.choice("format", "json", "json", "geojson")
	if q.err != nil {
		a.fail(w, r, q.err)
		return
	}
	edges, err := a.o.Store.Edges(r.Context())
	if err != nil {
		a.fail(w, r, err)
		return
	}
	conn := a.connected()
	if format == "geojson" {
		var fs []feature
		for _, e := range edges {
			if !e.Health.HasCoverage() {
				continue
			}
			ej := edgeOf(&e, conn[e.ID])
			fs = append(fs, feature{Type: "Feature", ID: e.ID, Geometry: polygon(e.Health.Coverage), Properties: map[string]any{
				"id": ej.ID, "connected": ej.Connected, "last_seen": ej.LastSeen, "health": ej.Health,
			}})
		}
		writeGeoJSON(w, collection(fs, false))
		return
	}
	out := make([]edgeJSON, 0, len(edges))
	for _, e := range edges {
		out = append(out, edgeOf(&e, conn[e.ID]))
	}
	writeJSON(w, http.StatusOK, map[string]any{"edges": out})
}

func edgeOf(e *store.Edge, connected bool) edgeJSON {
	return edgeJSON{ID: e.ID, Connected: connected, FirstSeen: ts(e.FirstSeen), LastSeen: ts(e.LastSeen),
		HighWater: e.HighWater, Health: healthOf(e.Health)}
}

// serveEdgeHealth: GET /api/v1/edges/{id}/health?from=&to=&limit=&format=json|csv, oldest first.
func (a *API) serveEdgeHealth(w http.ResponseWriter, r *http.Request) {
	now := a.o.Now()
	q := newQuery(r.URL.Query(), now, "from", "to", "limit", "format")
	hq := store.HealthQuery{EdgeID: r.PathValue("id"), From: q.time("from", time.Time{}), To: q.time("to", time.Time{}), Limit: q.limit("limit")}
	format := q.choice("format", "json", "json", "csv")
	if q.err != nil {
		a.fail(w, r, q.err)
		return
	}
	samples, err := a.o.Store.HealthSamples(r.Context(), hq)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	if format == "csv" {
		writeHealthCSV(w, samples)
		return
	}
	out := make([]*healthJSON, 0, len(samples))
	for i := range samples {
		out = append(out, healthOf(&samples[i]))
	}
	writeJSON(w, http.StatusOK, map[string]any{"edge_id": hq.EdgeID, "samples": out})
}

// serveHazards: GET /api/v1/hazards?bbox=&active=&since=&edge=&origin=all|edge|authority&limit=&format=geojson|csv.
// Edge hazards (latest state per edge and action id) and authority hazards, newest first.
func (a *API) serveHazards(w http.ResponseWriter, r *http.Request) {
	now := a.o.Now()
	q := newQuery(r.URL.Query(), now, "bbox", "active", "since", "edge", "origin", "limit", "format")
	hq := store.HazardQuery{Box: q.bbox("bbox"), Active: q.boolean("active"), Since: q.time("since", time.Time{}),
		EdgeID: q.v.Get("edge"), Now: now, Limit: q.limit("limit")}
	origin := q.choice("origin", "all", "all", "edge", "authority")
	format := q.choice("format", "geojson", "geojson", "csv")
	if q.err != nil {
		a.fail(w, r, q.err)
		return
	}
	if hq.EdgeID != "" && origin == "all" {
		origin = "edge"
	}
	lim := hq.Limit
	if lim == 0 {
		lim = store.DefaultLimit
	}
	var edgeHs []store.Hazard
	var auths []store.Authority
	var err error
	if origin != "authority" {
		if edgeHs, err = a.o.Store.Hazards(r.Context(), hq); err != nil {
			a.fail(w, r, err)
			return
		}
	}
	if origin != "edge" {
		aq := store.AuthorityQuery{Box: hq.Box, Active: hq.Active, Since: hq.Since, Now: now, Limit: hq.Limit}
		if auths, err = a.o.Store.Authorities(r.Context(), aq); err != nil {
			a.fail(w, r, err)
			return
		}
	}
	type row struct {
		updated time.Time
		f       feature
	}
	rows := make([]row, 0, len(edgeHs)+len(auths))
	for i := range auths {
		rows = append(rows, row{auths[i].UpdatedAt, authorityFeature(&auths[i], now)})
	}
	for i := range edgeHs {
		rows = append(rows, row{edgeHs[i].UpdatedAt, hazardFeature(&edgeHs[i], now)})
	}
	slices.SortStableFunc(rows, func(x, y row) int { return y.updated.Compare(x.updated) })
	truncated := len(rows) > lim || len(edgeHs) == lim || len(auths) == lim
	if len(rows) > lim {
		rows = rows[:lim]
	}
	fs := make([]feature, 0, len(rows))
	for _, x := range rows {
		fs = append(fs, x.f)
	}
	if format == "csv" {
		writeHazardsCSV(w, fs)
		return
	}
	writeGeoJSON(w, collection(fs, truncated))
}

// serveAuthority: GET /api/v1/hazards/{id}, one authority hazard as a GeoJSON Feature.
func (a *API) serveAuthority(w http.ResponseWriter, r *http.Request) {
	au, err := a.o.Store.Authority(r.Context(), r.PathValue("id"))
	if err != nil {
		a.fail(w, r, err)
		return
	}
	writeGeoJSON(w, authorityFeature(&au, a.o.Now()))
}

// serveHazardEvents: GET /api/v1/hazard-events?bbox=&from=&to=&edge=&cause=&limit=&format=geojson|csv,
// the hazard history (planning: hotspots), oldest first.
func (a *API) serveHazardEvents(w http.ResponseWriter, r *http.Request) {
	now := a.o.Now()
	q := newQuery(r.URL.Query(), now, "bbox", "from", "to", "edge", "cause", "limit", "format")
	eq := store.EventQuery{Box: q.bbox("bbox"), From: q.time("from", now.Add(-24*time.Hour)), To: q.time("to", time.Time{}),
		EdgeID: q.v.Get("edge"), Cause: q.cause("cause"), Limit: q.limit("limit")}
	format := q.choice("format", "geojson", "geojson", "csv")
	if q.err == nil && !eq.To.IsZero() && !eq.From.Before(eq.To) {
		q.fail(badParam("to", "must be after from"))
	}
	if q.err != nil {
		a.fail(w, r, q.err)
		return
	}
	evs, err := a.o.Store.HazardEvents(r.Context(), eq)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	fs := make([]feature, 0, len(evs))
	for i := range evs {
		fs = append(fs, eventFeature(&evs[i]))
	}
	if format == "csv" {
		writeHazardsCSV(w, fs)
		return
	}
	writeGeoJSON(w, collection(fs, len(evs) == limitOr(eq.Limit)))
}

func limitOr(n int) int {
	if n == 0 {
		return store.DefaultLimit
	}
	return n
}

// serveTraffic: GET /api/v1/traffic?bbox=&from=&to=&bucket=&edge=&geometry=polygon|point&limit=&format=geojson|csv.
// Count and mean speed per zoom-16 tile and bucket; to defaults to now (the current minute
// included), from to an hour before to.
func (a *API) serveTraffic(w http.ResponseWriter, r *http.Request) {
	now := a.o.Now()
	q := newQuery(r.URL.Query(), now, "bbox", "from", "to", "bucket", "edge", "geometry", "limit", "format")
	to := q.time("to", now.Truncate(time.Minute).Add(time.Minute))
	tq := store.TrafficQuery{Box: q.bbox("bbox"), From: q.time("from", to.Add(-time.Hour)), To: to,
		Bucket: q.bucket("bucket", time.Minute), EdgeID: q.v.Get("edge"), Limit: q.limit("limit")}
	geom := q.choice("geometry", "polygon", "polygon", "point")
	format := q.choice("format", "geojson", "geojson", "csv")
	if q.err == nil && !tq.From.Before(tq.To) {
		q.fail(badParam("to", "must be after from"))
	}
	if q.err != nil {
		a.fail(w, r, q.err)
		return
	}
	cells, err := a.o.Store.Traffic(r.Context(), tq)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	if format == "csv" {
		writeTrafficCSV(w, cells)
		return
	}
	fs := make([]feature, 0, len(cells))
	for i := range cells {
		fs = append(fs, trafficFeature(&cells[i], geom == "point"))
	}
	writeGeoJSON(w, collection(fs, len(cells) == limitOr(tq.Limit)))
}
