package api

import (
	"math"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/michi-v2x/michi/internal/hub/store"
	"github.com/michi-v2x/michi/pkg/geo"
)

// query reads typed parameters from a URL query, collecting the first problem.
type query struct {
	v   url.Values
	now time.Time
	err *ParamError
}

func newQuery(v url.Values, now time.Time, known ...string) *query {
	q := &query{v: v, now: now}
	allowed := map[string]bool{}
	for _, k := range known {
		allowed[k] = true
	}
	for k := range v {
		if !allowed[k] {
			q.fail(badParam(k, "unknown parameter (known: %s)", strings.Join(known, ", ")))
		}
	}
	return q
}

func (q *query) fail(e *ParamError) {
	if q.err == nil {
		q.err = e
	}
}

// bbox parses "minLon,minLat,maxLon,maxLat" (the GeoJSON bbox order, RFC 7946 §5). A box with
// minLon > maxLon crosses the antimeridian.
func (q *query) bbox(name string) *geo.Box {
	s := q.v.Get(name)
	if s == "" {
		return nil
	}
	parts := strings.Split(s, ",")
	if len(parts) != 4 {
		q.fail(badParam(name, "want minLon,minLat,maxLon,maxLat, got %d values", len(parts)))
		return nil
	}
	var f [4]float64
	for i, p := range parts {
		v, err := strconv.ParseFloat(strings.TrimSpace(p), 64)
		if err != nil || math.IsNaN(v) || math.IsInf(v, 0) {
			q.fail(badParam(name, "value %d (%q) is not a number", i+1, p))
			return nil
		}
		f[i] = v
	}
	b := geo.Box{Min: geo.Point{Lat: f[1], Lon: f[0]}, Max: geo.Point{Lat: f[3], Lon: f[2]}}
	if !b.Min.Valid() || !b.Max.Valid() {
		q.fail(badParam(name, "longitudes must be within -180…180 and latitudes within -90…90"))
		return nil
	}
	if b.Min.Lat > b.Max.Lat {
		q.fail(badParam(name, "minLat %v is above maxLat %v", b.Min.Lat, b.Max.Lat))
		return nil
	}
	return &b
}

// time parses RFC 3339, Unix milliseconds, or a negative duration relative to now ("-15m").
func (q *query) time(name string, def time.Time) time.Time {
	s := strings.TrimSpace(q.v.Get(name))
	if s == "" {
		return def
	}
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return t.UTC()
	}
	if ms, err := strconv.ParseInt(s, 10, 64); err == nil {
		return time.UnixMilli(ms).UTC()
	}
	if strings.HasPrefix(s, "-") {
		if d, err := time.ParseDuration(s); err == nil {
			return q.now.Add(d).UTC()
		}
	}
	q.fail(badParam(name, "want RFC 3339 (2026-03-02T08:00:00Z), Unix milliseconds or a negative duration (-15m), got %q", s))
	return def
}

func (q *query) boolean(name string) *bool {
	s := q.v.Get(name)
	if s == "" {
		return nil
	}
	b, err := strconv.ParseBool(s)
	if err != nil {
		q.fail(badParam(name, "want true or false, got %q", s))
		return nil
	}
	return &b
}

func (q *query) limit(name string) int {
	s := q.v.Get(name)
	if s == "" {
		return 0
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 1 || n > store.MaxLimit {
		q.fail(badParam(name, "want 1 … %d, got %q", store.MaxLimit, s))
		return 0
	}
	return n
}

// choice returns the parameter if it is one of opts; def when absent.
func (q *query) choice(name, def string, opts ...string) string {
	s := q.v.Get(name)
	if s == "" {
		return def
	}
	for _, o := range opts {
		if s == o {
			return s
		}
	}
	q.fail(badParam(name, "want one of %s, got %q", strings.Join(opts, ", "), s))
	return def
}

// bucket parses a whole number of minutes as a Go duration ("15m", "1h") or with a day
// suffix ("1d"), between 1 minute and 31 days.
func (q *query) bucket(name string, def time.Duration) time.Duration {
	s := strings.TrimSpace(q.v.Get(name))
	if s == "" {
		return def
	}
	var d time.Duration
	var err error
	if n, ok := strings.CutSuffix(s, "d"); ok {
		var days int
		days, err = strconv.Atoi(n)
		d = time.Duration(days) * 24 * time.Hour
	} else {
		d, err = time.ParseDuration(s)
	}
	if err != nil || d < time.Minute || d > 31*24*time.Hour || d%time.Minute != 0 {
		q.fail(badParam(name, "want a whole number of minutes from 1m to 31d (1m, 15m, 1h, 1d), got %q", s))
		return def
	}
	return d
}

func (q *query) cause(name string) *uint8 {
	s := q.v.Get(name)
	if s == "" {
		return nil
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 0 || n > 255 {
		q.fail(badParam(name, "want 0 … 255, got %q", s))
		return nil
	}
	c := uint8(n)
	return &c
}
