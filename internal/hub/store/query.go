package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/michi-v2x/michi/pkg/geo"
	"github.com/michi-v2x/michi/pkg/v2x"
)

// Query limits: a query without a limit returns at most DefaultLimit rows, and no query more
// than MaxLimit.
const (
	DefaultLimit = 10_000
	MaxLimit     = 100_000
)

func limit(n int) int {
	switch {
	case n <= 0:
		return DefaultLimit
	case n > MaxLimit:
		return MaxLimit
	}
	return n
}

// where accumulates AND-ed conditions with numbered placeholders.
type where struct {
	conds []string
	args  []any
}

func (w *where) arg(v any) string {
	w.args = append(w.args, v)
	return "$" + strconv.Itoa(len(w.args))
}

func (w *where) add(cond string) { w.conds = append(w.conds, cond) }

// box adds "the point (latCol, lonCol) lies in b", across the antimeridian too.
func (w *where) box(b *geo.Box, latCol, lonCol string) {
	if b == nil {
		return
	}
	w.add(fmt.Sprintf("%s BETWEEN %s AND %s", latCol, w.arg(b.Min.Lat), w.arg(b.Max.Lat)))
	if b.CrossesAntimeridian() {
		w.add(fmt.Sprintf("(%s >= %s OR %s <= %s)", lonCol, w.arg(b.Min.Lon), lonCol, w.arg(b.Max.Lon)))
	} else {
		w.add(fmt.Sprintf("%s BETWEEN %s AND %s", lonCol, w.arg(b.Min.Lon), w.arg(b.Max.Lon)))
	}
}

func (w *where) String() string {
	if len(w.conds) == 0 {
		return ""
	}
	return " WHERE " + strings.Join(w.conds, " AND ")
}

// Edge is an edge node as the hub knows it.
type Edge struct {
	ID        string
	FirstSeen time.Time // hub clock
	LastSeen  time.Time // hub clock: the last batch that stored something
	HighWater uint64
	Health    *HealthSample // the latest; nil before the first health record
}

// HealthSample is one health record of an edge.
type HealthSample struct {
	EdgeID string
	Seq    uint64
	At     time.Time // edge clock
	Health
}

// HasCoverage reports whether the sample carries a coverage box.
func (h *HealthSample) HasCoverage() bool { return h != nil && h.Coverage != (geo.Box{}) }

// coverageScan reads four nullable cov_* columns.
type coverageScan struct{ v [4]sql.NullFloat64 }

func (c *coverageScan) dest() []any { return []any{&c.v[0], &c.v[1], &c.v[2], &c.v[3]} }
func (c *coverageScan) box() geo.Box {
	if !c.v[0].Valid {
		return geo.Box{}
	}
	return geo.Box{Min: geo.Point{Lat: c.v[0].Float64, Lon: c.v[1].Float64}, Max: geo.Point{Lat: c.v[2].Float64, Lon: c.v[3].Float64}}
}

// Edges returns every edge, ordered by id.
func (s *Store) Edges(ctx context.Context) ([]Edge, error) {
	rows, err := s.query(ctx, `SELECT e.edge_id, e.first_seen, e.last_seen, COALESCE(q.high_water, 0), e.health_seq, e.health_at,
		COALESCE(e.clients, 0), COALESCE(e.vehicles, 0), COALESCE(e.objects, 0), COALESCE(e.active_hazards, 0),
		COALESCE(e.ingest_per_s, 0), COALESCE(e.alert_p50_ms, 0), COALESCE(e.alert_p99_ms, 0), COALESCE(e.queue_depth, 0),
		e.cov_min_lat, e.cov_min_lon, e.cov_max_lat, e.cov_max_lon
		FROM edges e LEFT JOIN edge_seq q ON q.edge_id = e.edge_id ORDER BY e.edge_id`)
	if err != nil {
		return nil, fmt.Errorf("edges: %w", err)
	}
	defer rows.Close()
	var out []Edge
	for rows.Next() {
		var e Edge
		var hw int64
		var hseq sql.NullInt64
		var h HealthSample
		var cov coverageScan
		dest := []any{&e.ID, timeCol{&e.FirstSeen}, timeCol{&e.LastSeen}, &hw, &hseq, timeCol{&h.At},
			&h.Clients, &h.Vehicles, &h.Objects, &h.ActiveHazards, &h.IngestPerS, &h.AlertP50Ms, &h.AlertP99Ms, &h.QueueDepth}
		if err := rows.Scan(append(dest, cov.dest()...)...); err != nil {
			return nil, fmt.Errorf("edges: %w", err)
		}
		e.HighWater = uint64(hw)
		if hseq.Valid {
			h.EdgeID, h.Seq, h.Coverage = e.ID, uint64(hseq.Int64), cov.box()
			e.Health = &h
		}
		out = append(out, e)
	}
	return out, rows.Err()
}

// HealthQuery selects health samples of one edge.
type HealthQuery struct {
	EdgeID   string
	From, To time.Time // edge clock; zero = unbounded; To exclusive
	Limit    int       // the newest Limit samples, returned oldest first
}

// HealthSamples returns an edge's health history, oldest first.
func (s *Store) HealthSamples(ctx context.Context, q HealthQuery) ([]HealthSample, error) {
	var w where
	w.add("edge_id = " + w.arg(q.EdgeID))
	if !q.From.IsZero() {
		w.add("at >= " + w.arg(s.d.ts(q.From)))
	}
	if !q.To.IsZero() {
		w.add("at < " + w.arg(s.d.ts(q.To)))
	}
	rows, err := s.query(ctx, `SELECT edge_id, seq, at, clients, vehicles, objects, active_hazards, ingest_per_s,
		alert_p50_ms, alert_p99_ms, queue_depth, cov_min_lat, cov_min_lon, cov_max_lat, cov_max_lon
		FROM health_samples`+w.String()+" ORDER BY at DESC, seq DESC LIMIT "+strconv.Itoa(limit(q.Limit)), w.args...)
	if err != nil {
		return nil, fmt.Errorf("health samples: %w", err)
	}
	defer rows.Close()
	var out []HealthSample
	for rows.Next() {
		var h HealthSample
		var seq int64
		var cov coverageScan
		dest := []any{&h.EdgeID, &seq, timeCol{&h.At}, &h.Clients, &h.Vehicles, &h.Objects, &h.ActiveHazards,
			&h.IngestPerS, &h.AlertP50Ms, &h.AlertP99Ms, &h.QueueDepth}
		if err := rows.Scan(append(dest, cov.dest()...)...); err != nil {
			return nil, fmt.Errorf("health samples: %w", err)
		}
		h.Seq, h.Coverage = uint64(seq), cov.box()
		out = append(out, h)
	}
	for i, j := 0, len(out)-1; i < j; i, j = i+1, j-1 {
		out[i], out[j] = out[j], out[i]
	}
	return out, rows.Err()
}

// Hazard is the latest known state of one hazard of one edge.
type Hazard struct {
	EdgeID    string
	State     string    // active, terminated or expired (as last reported; see Active)
	LastSeq   uint64    // seq of the latest event (HazardEvent.Event)
	FirstAt   time.Time // edge clock of the first event the hub stored
	UpdatedAt time.Time // edge clock of the latest event
	HazardEvent
}

// Active reports whether the hazard is in force at now: reported active and not past expiry
// (an edge that went away cannot report the expiry).
func (h *Hazard) Active(now time.Time) bool {
	return h.State == "active" && (h.Expiry.IsZero() || now.Before(h.Expiry))
}

// HazardQuery selects current hazards.
type HazardQuery struct {
	Box       *geo.Box
	Active    *bool     // true: only hazards in force at Now; false: only those that are not
	Since     time.Time // updated at or after
	EdgeID    string
	Authority string // only the edges' copies of this authority hazard
	Now       time.Time
	Limit     int
}

// hazardSelect reads the columns hazard_events and hazards share, in this order.
const hazardShared = `station_id, sequence_number, cause, sub_cause, lat, lon, radius_m, heading_deg,
	quality, sources, detection_time, reference_time, expiry, authority`

func scanShared(h *HazardEvent) (dest []any, finish func() error) {
	var station, seqNo, cause, sub, quality int64
	var heading sql.NullFloat64
	var sources string
	dest = []any{&station, &seqNo, &cause, &sub, &h.Lat, &h.Lon, &h.RadiusM, &heading, &quality, &sources,
		timeCol{&h.Detection}, timeCol{&h.Reference}, timeCol{&h.Expiry}, &h.Authority}
	return dest, func() error {
		h.ActionID = v2x.ActionID{OriginatingStationID: uint32(station), SequenceNumber: uint16(seqNo)}
		h.Cause, h.SubCause, h.Quality = uint8(cause), uint8(sub), uint8(quality)
		if heading.Valid {
			v := heading.Float64
			h.HeadingDeg = &v
		}
		if sources != "" && sources != "[]" {
			if err := json.Unmarshal([]byte(sources), &h.Sources); err != nil {
				return fmt.Errorf("sources: %w", err)
			}
		}
		return nil
	}
}

// Hazards returns the current state of hazards, newest update first.
func (s *Store) Hazards(ctx context.Context, q HazardQuery) ([]Hazard, error) {
	if q.Now.IsZero() {
		q.Now = s.o.Now()
	}
	var w where
	w.box(q.Box, "lat", "lon")
	if !q.Since.IsZero() {
		w.add("updated_at >= " + w.arg(s.d.ts(q.Since)))
	}
	if q.EdgeID != "" {
		w.add("edge_id = " + w.arg(q.EdgeID))
	}
	if q.Authority != "" {
		w.add("authority = " + w.arg(q.Authority))
	}
	if q.Active != nil {
		now := w.arg(s.d.ts(q.Now))
		active := "(state = 'active' AND (expiry IS NULL OR expiry > " + now + "))"
		if *q.Active {
			w.add(active)
		} else {
			w.add("NOT " + active)
		}
	}
	rows, err := s.query(ctx, `SELECT edge_id, state, last_event, last_seq, first_at, updated_at, `+hazardShared+
		` FROM hazards`+w.String()+" ORDER BY updated_at DESC, edge_id, action_id LIMIT "+strconv.Itoa(limit(q.Limit)), w.args...)
	if err != nil {
		return nil, fmt.Errorf("hazards: %w", err)
	}
	defer rows.Close()
	var out []Hazard
	for rows.Next() {
		var h Hazard
		var lastSeq int64
		shared, finish := scanShared(&h.HazardEvent)
		dest := append([]any{&h.EdgeID, &h.State, &h.Event, &lastSeq, timeCol{&h.FirstAt}, timeCol{&h.UpdatedAt}}, shared...)
		if err := rows.Scan(dest...); err != nil {
			return nil, fmt.Errorf("hazards: %w", err)
		}
		if err := finish(); err != nil {
			return nil, fmt.Errorf("hazards: %w", err)
		}
		h.LastSeq = uint64(lastSeq)
		out = append(out, h)
	}
	return out, rows.Err()
}

// StoredHazardEvent is one row of the hazard history.
type StoredHazardEvent struct {
	EdgeID     string
	Seq        uint64
	At         time.Time // edge clock
	ReceivedAt time.Time // hub clock
	HazardEvent
}

// EventQuery selects hazard history.
type EventQuery struct {
	Box      *geo.Box
	From, To time.Time // edge clock; To exclusive
	EdgeID   string
	Cause    *uint8
	Limit    int
}

// HazardEvents returns hazard lifecycle events, oldest first.
func (s *Store) HazardEvents(ctx context.Context, q EventQuery) ([]StoredHazardEvent, error) {
	var w where
	w.box(q.Box, "lat", "lon")
	if !q.From.IsZero() {
		w.add("at >= " + w.arg(s.d.ts(q.From)))
	}
	if !q.To.IsZero() {
		w.add("at < " + w.arg(s.d.ts(q.To)))
	}
	if q.EdgeID != "" {
		w.add("edge_id = " + w.arg(q.EdgeID))
	}
	if q.Cause != nil {
		w.add("cause = " + w.arg(int64(*q.Cause)))
	}
	rows, err := s.query(ctx, `SELECT edge_id, seq, at, received_at, event, `+hazardShared+
		` FROM hazard_events`+w.String()+" ORDER BY at, edge_id, seq LIMIT "+strconv.Itoa(limit(q.Limit)), w.args...)
	if err != nil {
		return nil, fmt.Errorf("hazard events: %w", err)
	}
	defer rows.Close()
	var out []StoredHazardEvent
	for rows.Next() {
		var e StoredHazardEvent
		var seq int64
		shared, finish := scanShared(&e.HazardEvent)
		dest := append([]any{&e.EdgeID, &seq, timeCol{&e.At}, timeCol{&e.ReceivedAt}, &e.Event}, shared...)
		if err := rows.Scan(dest...); err != nil {
			return nil, fmt.Errorf("hazard events: %w", err)
		}
		if err := finish(); err != nil {
			return nil, fmt.Errorf("hazard events: %w", err)
		}
		e.Seq = uint64(seq)
		out = append(out, e)
	}
	return out, rows.Err()
}

// TrafficCell is the traffic on one tile during one bucket, summed over the edges that saw it
// (edges with overlapping coverage each count the vehicles they saw).
type TrafficCell struct {
	Quadkey      string
	Bucket       time.Time // start of the bucket
	Count        int64
	MeanSpeedMPS float64 // weighted by count
	Lat, Lon     float64 // tile centre
}

// TrafficQuery selects traffic aggregates.
type TrafficQuery struct {
	Box      *geo.Box // tiles whose centre lies in it
	From, To time.Time
	Bucket   time.Duration // a whole number of minutes; 0 = one minute
	EdgeID   string
	Limit    int
}

// Traffic returns traffic per tile and bucket, ordered by bucket then quadkey.
func (s *Store) Traffic(ctx context.Context, q TrafficQuery) ([]TrafficCell, error) {
	secs := int64(q.Bucket / time.Second)
	if secs < 60 {
		secs = 60
	}
	var w where
	w.box(q.Box, "lat", "lon")
	if !q.From.IsZero() {
		w.add("minute >= " + w.arg(s.d.ts(q.From)))
	}
	if !q.To.IsZero() {
		w.add("minute < " + w.arg(s.d.ts(q.To)))
	}
	if q.EdgeID != "" {
		w.add("edge_id = " + w.arg(q.EdgeID))
	}
	b := s.d.bucket("minute", secs)
	rows, err := s.query(ctx, `SELECT quadkey, `+b+` AS bucket, MIN(lat), MIN(lon), CAST(SUM(count) AS BIGINT),
		SUM(count * mean_speed) / NULLIF(SUM(count), 0)
		FROM traffic`+w.String()+` GROUP BY quadkey, bucket ORDER BY bucket, quadkey LIMIT `+strconv.Itoa(limit(q.Limit)), w.args...)
	if err != nil {
		return nil, fmt.Errorf("traffic: %w", err)
	}
	defer rows.Close()
	var out []TrafficCell
	for rows.Next() {
		var c TrafficCell
		var mean sql.NullFloat64
		if err := rows.Scan(&c.Quadkey, timeCol{&c.Bucket}, &c.Lat, &c.Lon, &c.Count, &mean); err != nil {
			return nil, fmt.Errorf("traffic: %w", err)
		}
		c.MeanSpeedMPS = mean.Float64
		out = append(out, c)
	}
	return out, rows.Err()
}
