package api

import (
	"time"

	"github.com/michi-v2x/michi/internal/hub/store"
	"github.com/michi-v2x/michi/pkg/geo"
	"github.com/michi-v2x/michi/pkg/v2x"
)

// GeoJSON (RFC 7946): coordinates are [lon, lat].

type featureCollection struct {
	Type      string    `json:"type"`
	Features  []feature `json:"features"`
	Truncated bool      `json:"truncated,omitempty"` // foreign member: the limit cut the answer
}

type feature struct {
	Type       string         `json:"type"`
	ID         string         `json:"id,omitempty"`
	Geometry   any            `json:"geometry"`
	Properties map[string]any `json:"properties"`
}

type geometry struct {
	Type        string `json:"type"`
	Coordinates any    `json:"coordinates"`
}

func point(lat, lon float64) geometry {
	return geometry{Type: "Point", Coordinates: [2]float64{lon, lat}}
}

// polygon is b's outline, counter-clockwise (RFC 7946 §3.1.6).
func polygon(b geo.Box) geometry {
	ring := [][2]float64{
		{b.Min.Lon, b.Min.Lat}, {b.Max.Lon, b.Min.Lat}, {b.Max.Lon, b.Max.Lat}, {b.Min.Lon, b.Max.Lat}, {b.Min.Lon, b.Min.Lat},
	}
	return geometry{Type: "Polygon", Coordinates: [][][2]float64{ring}}
}

func collection(fs []feature, truncated bool) featureCollection {
	if fs == nil {
		fs = []feature{}
	}
	return featureCollection{Type: "FeatureCollection", Features: fs, Truncated: truncated}
}

// ts formats a time as RFC 3339 UTC with milliseconds; the zero time as null.
func ts(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t.UTC().Format("2006-01-02T15:04:05.000Z07:00")
}

func optF(p *float64) any {
	if p == nil {
		return nil
	}
	return *p
}

func sourcesOrEmpty(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// hazardID is the public id of an edge hazard: edge/station/sequence.
func hazardID(edgeID string, a v2x.ActionID) string { return edgeID + "/" + a.String() }

func hazardEventProps(h *store.HazardEvent) map[string]any {
	return map[string]any{
		"action_id":      map[string]any{"originating_station_id": h.ActionID.OriginatingStationID, "sequence_number": h.ActionID.SequenceNumber},
		"action":         h.ActionID.String(),
		"event":          h.Event,
		"cause":          h.Cause,
		"cause_name":     v2x.CauseName(h.Cause),
		"sub_cause":      h.SubCause,
		"sub_cause_name": v2x.SubCauseName(h.Cause, h.SubCause),
		"radius_m":       h.RadiusM,
		"heading_deg":    optF(h.HeadingDeg),
		"quality":        h.Quality,
		"sources":        sourcesOrEmpty(h.Sources),
		"detection_time": ts(h.Detection),
		"reference_time": ts(h.Reference),
		"expiry":         ts(h.Expiry),
		"authority":      h.Authority,
	}
}

func hazardFeature(h *store.Hazard, now time.Time) feature {
	p := hazardEventProps(&h.HazardEvent)
	p["origin"] = "edge"
	p["edge_id"] = h.EdgeID
	p["state"] = h.State
	p["active"] = h.Active(now)
	p["first_at"] = ts(h.FirstAt)
	p["updated_at"] = ts(h.UpdatedAt)
	p["last_seq"] = h.LastSeq
	return feature{Type: "Feature", ID: hazardID(h.EdgeID, h.ActionID), Geometry: point(h.Lat, h.Lon), Properties: p}
}

func eventFeature(e *store.StoredHazardEvent) feature {
	p := hazardEventProps(&e.HazardEvent)
	p["edge_id"] = e.EdgeID
	p["seq"] = e.Seq
	p["at"] = ts(e.At)
	p["received_at"] = ts(e.ReceivedAt)
	return feature{Type: "Feature", ID: hazardID(e.EdgeID, e.ActionID), Geometry: point(e.Lat, e.Lon), Properties: p}
}

// authorityState is active, terminated, pending (not started) or ended (validity over).
func authorityState(a *store.Authority, now time.Time) string {
	switch {
	case !a.TerminatedAt.IsZero():
		return "terminated"
	case now.Before(a.Start):
		return "pending"
	case !now.Before(a.End()):
		return "ended"
	}
	return "active"
}

func authorityFeature(a *store.Authority, now time.Time) feature {
	p := map[string]any{
		"origin":         "authority",
		"id":             a.ID,
		"cause":          a.Cause,
		"cause_name":     v2x.CauseName(a.Cause),
		"sub_cause":      a.SubCause,
		"sub_cause_name": v2x.SubCauseName(a.Cause, a.SubCause),
		"radius_m":       a.RadiusM,
		"heading_deg":    optF(a.HeadingDeg),
		"start":          ts(a.Start),
		"validity_s":     int64(a.Validity / time.Second),
		"end":            ts(a.End()),
		"issuer":         a.Issuer,
		"state":          authorityState(a, now),
		"active":         a.Active(now),
		"created_at":     ts(a.CreatedAt),
		"updated_at":     ts(a.UpdatedAt),
		"terminated_at":  ts(a.TerminatedAt),
	}
	return feature{Type: "Feature", ID: a.ID, Geometry: point(a.Lat, a.Lon), Properties: p}
}

func trafficFeature(c *store.TrafficCell, asPoint bool) feature {
	var g geometry
	if asPoint {
		g = point(c.Lat, c.Lon)
	} else if b, err := geo.QuadkeyBox(c.Quadkey); err == nil {
		g = polygon(b)
	} else {
		g = point(c.Lat, c.Lon)
	}
	return feature{Type: "Feature", ID: c.Quadkey + "@" + c.Bucket.UTC().Format(time.RFC3339), Geometry: g, Properties: map[string]any{
		"quadkey":        c.Quadkey,
		"bucket":         ts(c.Bucket),
		"count":          c.Count,
		"mean_speed_mps": c.MeanSpeedMPS,
		"mean_speed_kmh": c.MeanSpeedMPS * 3.6,
	}}
}

type coverageJSON struct {
	MinLat float64 `json:"min_lat"`
	MinLon float64 `json:"min_lon"`
	MaxLat float64 `json:"max_lat"`
	MaxLon float64 `json:"max_lon"`
}

type healthJSON struct {
	Seq           uint64  `json:"seq"`
	At            any     `json:"at"`
	Clients       int     `json:"clients"`
	Vehicles      int     `json:"vehicles"`
	Objects       int     `json:"objects"`
	ActiveHazards int     `json:"active_hazards"`
	IngestPerS    float64 `json:"ingest_per_s"`
	// The edge's hand-off, p50 and p99 of one health interval (0: no alert in it); the names
	// are alertlatency.HandoffP50Field and HandoffP99Field.
	HandoffP50Ms float64       `json:"alert_handoff_p50_ms"`
	HandoffP99Ms float64       `json:"alert_handoff_p99_ms"`
	QueueDepth   int           `json:"queue_depth"`
	Coverage     *coverageJSON `json:"coverage"`
}

func healthOf(h *store.HealthSample) *healthJSON {
	if h == nil {
		return nil
	}
	out := &healthJSON{Seq: h.Seq, At: ts(h.At), Clients: h.Clients, Vehicles: h.Vehicles, Objects: h.Objects,
		ActiveHazards: h.ActiveHazards, IngestPerS: h.IngestPerS, HandoffP50Ms: h.AlertP50Ms, HandoffP99Ms: h.AlertP99Ms,
		QueueDepth: h.QueueDepth}
	if h.HasCoverage() {
		c := h.Coverage
		out.Coverage = &coverageJSON{MinLat: c.Min.Lat, MinLon: c.Min.Lon, MaxLat: c.Max.Lat, MaxLon: c.Max.Lon}
	}
	return out
}

type edgeJSON struct {
	ID        string      `json:"id"`
	Connected bool        `json:"connected"`
	FirstSeen any         `json:"first_seen"`
	LastSeen  any         `json:"last_seen"`
	HighWater uint64      `json:"high_water"`
	Health    *healthJSON `json:"health"`
}
