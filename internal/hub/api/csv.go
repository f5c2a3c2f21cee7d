package api

import (
	"encoding/csv"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/michi-v2x/michi/internal/alertlatency"
	"github.com/michi-v2x/michi/internal/hub/store"
)

func csvWriter(w http.ResponseWriter, name string) *csv.Writer {
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Content-Disposition", `attachment; filename="`+name+`.csv"`)
	w.Header().Set("Cache-Control", "no-store")
	return csv.NewWriter(w)
}

func f64(v float64) string { return strconv.FormatFloat(v, 'f', -1, 64) }

// cell formats a GeoJSON property value for CSV: null as empty, lists joined with ';'.
func cell(v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case string:
		return defuse(x)
	case []string:
		return defuse(strings.Join(x, ";"))
	case float64:
		return f64(x)
	case map[string]any:
		return ""
	}
	return fmt.Sprint(v)
}

// defuse keeps a spreadsheet from reading a text cell (an issuer name, a source) as a formula.
func defuse(s string) string {
	if s != "" && strings.ContainsRune("=+@\t\r", rune(s[0])) || len(s) > 1 && s[0] == '-' && (s[1] < '0' || s[1] > '9') {
		return "'" + s
	}
	return s
}

// hazardCSVColumns are the property names written per hazard (edge, authority or history row);
// a property a row does not have is left empty.
var hazardCSVColumns = []string{"origin", "id", "edge_id", "seq", "action", "event", "state", "active", "cause", "cause_name",
	"sub_cause", "sub_cause_name", "radius_m", "heading_deg", "quality", "sources", "detection_time",
	"reference_time", "expiry", "first_at", "updated_at", "at", "received_at", "authority", "issuer",
	"start", "end", "validity_s", "terminated_at"}

func writeHazardsCSV(w http.ResponseWriter, fs []feature) {
	cw := csvWriter(w, "hazards")
	cw.Write(append([]string{"lat", "lon"}, hazardCSVColumns...))
	for _, f := range fs {
		g := f.Geometry.(geometry).Coordinates.([2]float64)
		row := []string{f64(g[1]), f64(g[0])}
		for _, c := range hazardCSVColumns {
			v, ok := f.Properties[c]
			if c == "id" && !ok {
				v = f.ID
			}
			row = append(row, cell(v))
		}
		cw.Write(row)
	}
	cw.Flush()
}

func writeTrafficCSV(w http.ResponseWriter, cells []store.TrafficCell) {
	cw := csvWriter(w, "traffic")
	cw.Write([]string{"quadkey", "bucket", "lat", "lon", "count", "mean_speed_mps"})
	for _, c := range cells {
		cw.Write([]string{c.Quadkey, cell(ts(c.Bucket)), f64(c.Lat), f64(c.Lon), strconv.FormatInt(c.Count, 10), f64(c.MeanSpeedMPS)})
	}
	cw.Flush()
}

func writeHealthCSV(w http.ResponseWriter, hs []store.HealthSample) {
	cw := csvWriter(w, "health")
	cw.Write([]string{"edge_id", "seq", "at", "clients", "vehicles", "objects", "active_hazards", "ingest_per_s",
		alertlatency.HandoffP50Field, alertlatency.HandoffP99Field, "queue_depth"})
	for _, h := range hs {
		cw.Write([]string{h.EdgeID, strconv.FormatUint(h.Seq, 10), cell(ts(h.At)), strconv.Itoa(h.Clients),
			strconv.Itoa(h.Vehicles), strconv.Itoa(h.Objects), strconv.Itoa(h.ActiveHazards), f64(h.IngestPerS),
			f64(h.AlertP50Ms), f64(h.AlertP99Ms), strconv.Itoa(h.QueueDepth)})
	}
	cw.Flush()
}
