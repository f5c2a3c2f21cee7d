package edge

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/pprof"
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/michi-v2x/michi/internal/hazard"
	"github.com/michi-v2x/michi/internal/ldm"
	"github.com/michi-v2x/michi/pkg/geo"
	"github.com/michi-v2x/michi/pkg/v2x"
)

// Handler serves /healthz, /metrics, /api/v1/tls, /api/v1/keys (the public key alerts are signed
// with), /api/v1/ldm?bbox= and /api/v1/hazards[?bbox=], and
// with Options.Pprof Go's profiler under /debug/pprof/.
// Geographic answers are GeoJSON FeatureCollections (RFC 7946: coordinates lon,lat;
// bbox=minLon,minLat,maxLon,maxLat).
func (n *Node) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		body := map[string]any{"status": "ok", "edge_id": n.opts.EdgeID,
			"source_uuid": n.opts.SourceUUID, "station_id": n.opts.StationID}
		if st, ok := n.UplinkStats(); ok { // the edge is healthy without its hub: reported, not failed
			body["uplink"] = map[string]any{"hub": n.opts.HubAddr, "connected": st.Connected, "depth": st.Depth,
				"acked_seq": st.AckedSeq, "last_error": st.LastError}
		}
		writeJSON(w, http.StatusOK, body)
	})
	mux.HandleFunc("GET /api/v1/tls", func(w http.ResponseWriter, _ *http.Request) {
		writeJSON(w, http.StatusOK, map[string]any{"fingerprint_sha256": n.tlsFingerprint, "generated": n.tlsGenerated,
			"mqtt_tls": n.addrs.MQTTTLS, "wss": n.addrs.WSS, "mqtt_quic": n.addrs.MQTTQUIC})
	})
	mux.HandleFunc("GET /api/v1/keys", func(w http.ResponseWriter, _ *http.Request) {
		if n.signer == nil { // a handler asked for before Run has loaded the key
			writeJSON(w, http.StatusServiceUnavailable, map[string]any{"error": "the signing key is not loaded yet"})
			return
		}
		writeJSON(w, http.StatusOK, map[string]any{"keys": []map[string]string{{
			"alg": v2x.SigAlgEd25519, "key_id": n.signer.KeyID(), "public_key": v2x.MarshalPublicKey(n.signer.Public())}}})
	})
	mux.Handle("GET /metrics", promhttp.HandlerFor(n.metrics.reg, promhttp.HandlerOpts{}))
	mux.HandleFunc("GET /api/v1/ldm", n.serveLDM)
	mux.HandleFunc("GET /api/v1/hazards", n.serveHazards)
	mux.HandleFunc("GET /api/v1/road", n.serveRoad)
	if n.opts.Pprof {
		mux.HandleFunc("GET /debug/pprof/", pprof.Index)
		mux.HandleFunc("GET /debug/pprof/cmdline", pprof.Cmdline)
		mux.HandleFunc("GET /debug/pprof/profile", pprof.Profile)
		mux.HandleFunc("GET /debug/pprof/symbol", pprof.Symbol)
		mux.HandleFunc("GET /debug/pprof/trace", pprof.Trace)
	}
	return mux
}

type featureCollection struct {
	Type     string    `json:"type"`
	Features []feature `json:"features"`
}

type feature struct {
	Type       string         `json:"type"`
	ID         string         `json:"id,omitempty"`
	Geometry   pointGeometry  `json:"geometry"`
	Properties map[string]any `json:"properties"`
}

type pointGeometry struct {
	Type        string     `json:"type"`
	Coordinates [2]float64 `json:"coordinates"`
}

func pointFeature(id string, p geo.Point, props map[string]any) feature {
	return feature{Type: "Feature", ID: id, Geometry: pointGeometry{Type: "Point", Coordinates: [2]float64{p.Lon, p.Lat}}, Properties: props}
}

func (n *Node) serveLDM(w http.ResponseWriter, r *http.Request) {
	box, ok, err := parseBBox(r.URL.Query().Get("bbox"))
	if err != nil {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": err.Error()})
		return
	}
	fc := featureCollection{Type: "FeatureCollection", Features: []feature{}}
	add := func(o *ldm.Object) bool {
		sources := make([]map[string]any, 0, len(o.Sources))
		for _, s := range o.Sources {
			sources = append(sources, map[string]any{"station_id": s.StationID, "object_id": s.ObjectID, "self": s.Self})
		}
		props := map[string]any{"kind": o.Kind.String(), "speed_mps": o.SpeedMPS, "updated": o.Updated.UTC().Format(time.RFC3339Nano), "sources": sources}
		if o.StationID != 0 {
			props["station_id"] = o.StationID
			props["station_type"] = v2x.StationType(o.StationType).String()
		}
		if o.HeadingOK {
			props["heading_deg"] = o.HeadingDeg
		}
		if !o.StoppedSince.IsZero() {
			props["stopped_since"] = o.StoppedSince.UTC().Format(time.RFC3339Nano)
		}
		fc.Features = append(fc.Features, pointFeature(strconv.FormatUint(o.ID, 10), o.Pos, props))
		return true
	}
	if ok {
		n.ldm.InBox(box, add)
	} else {
		n.ldm.Each(add)
	}
	writeJSON(w, http.StatusOK, fc)
}

func (n *Node) serveHazards(w http.ResponseWriter, r *http.Request) {
	box, ok, err := parseBBox(r.URL.Query().Get("bbox"))
	if err != nil {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": err.Error()})
		return
	}
	fc := featureCollection{Type: "FeatureCollection", Features: []feature{}}
	for _, h := range n.hazards.Active() {
		if ok && !box.Contains(h.Pos) {
			continue
		}
		fc.Features = append(fc.Features, pointFeature(h.ActionID.String(), h.Pos, hazardProps(h)))
	}
	writeJSON(w, http.StatusOK, fc)
}

func hazardProps(h hazard.Hazard) map[string]any {
	p := map[string]any{
		"action_id":           h.ActionID,
		"cause":               h.Cause,
		"cause_name":          v2x.CauseName(h.Cause),
		"subcause":            h.SubCause,
		"subcause_name":       v2x.SubCauseName(h.Cause, h.SubCause),
		"information_quality": h.InformationQuality,
		"relevance_radius_m":  h.RadiusM,
		"traffic_direction":   h.Direction,
		"detection_time":      h.Detection.UTC().Format(time.RFC3339Nano),
		"reference_time":      h.Reference.UTC().Format(time.RFC3339Nano),
		"expiry":              h.Expiry().UTC().Format(time.RFC3339Nano),
		"sources":             h.Sources,
		"detectors":           h.Detectors,
	}
	if h.HasHeading {
		p["heading_deg"] = h.HeadingDeg
	}
	return p
}

// parseBBox reads "minLon,minLat,maxLon,maxLat"; ok is false when the parameter is absent.
func parseBBox(s string) (geo.Box, bool, error) {
	if s == "" {
		return geo.Box{}, false, nil
	}
	parts := strings.Split(s, ",")
	if len(parts) != 4 {
		return geo.Box{}, false, fmt.Errorf("bbox %q: want minLon,minLat,maxLon,maxLat", s)
	}
	var v [4]float64
	for i, p := range parts {
		f, err := strconv.ParseFloat(strings.TrimSpace(p), 64)
		if err != nil {
			return geo.Box{}, false, fmt.Errorf("bbox %q: %q is not a number", s, p)
		}
		v[i] = f
	}
	b := geo.Box{Min: geo.Point{Lat: v[1], Lon: v[0]}, Max: geo.Point{Lat: v[3], Lon: v[2]}}
	if !b.Min.Valid() || !b.Max.Valid() || b.Min.Lat > b.Max.Lat || b.Min.Lon > b.Max.Lon {
		return geo.Box{}, false, fmt.Errorf("bbox %q: corners out of range or not south-west before north-east", s)
	}
	return b, true, nil
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	if _, ok := v.(featureCollection); ok {
		w.Header().Set("Content-Type", "application/geo+json")
	}
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}
