package store

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/michi-v2x/michi/pkg/geo"
)

const hazardEventCols = `edge_id, seq, at, received_at, action_id, station_id, sequence_number, event, cause,
	sub_cause, lat, lon, radius_m, heading_deg, quality, sources, detection_time, reference_time, expiry, authority`

const hazardCols = `edge_id, action_id, station_id, sequence_number, state, last_event, last_seq, first_at,
	updated_at, cause, sub_cause, lat, lon, radius_m, heading_deg, quality, sources, detection_time,
	reference_time, expiry, authority`

// hazardUpsertTail keeps the latest event per hazard; a late, older event changes nothing.
const hazardUpsertTail = `ON CONFLICT (edge_id, action_id) DO UPDATE SET
	state = excluded.state, last_event = excluded.last_event, last_seq = excluded.last_seq,
	updated_at = excluded.updated_at, cause = excluded.cause, sub_cause = excluded.sub_cause,
	lat = excluded.lat, lon = excluded.lon, radius_m = excluded.radius_m,
	heading_deg = excluded.heading_deg, quality = excluded.quality, sources = excluded.sources,
	detection_time = excluded.detection_time, reference_time = excluded.reference_time,
	expiry = excluded.expiry, authority = excluded.authority
	WHERE hazards.last_seq < excluded.last_seq`

func (s *Store) writeHazards(ctx context.Context, tx *sql.Tx, edgeID string, recs []*Record, now time.Time) error {
	if len(recs) == 0 {
		return nil
	}
	d := s.d
	err := s.insertRows(ctx, tx, "INSERT INTO hazard_events ("+hazardEventCols+")", "", 20, len(recs), func(i int, a []any) []any {
		r := recs[i]
		h := r.Hazard
		return append(a, edgeID, int64(r.Seq), d.ts(r.At), d.ts(now), h.ActionID.String(),
			int64(h.ActionID.OriginatingStationID), int64(h.ActionID.SequenceNumber), h.Event,
			int64(h.Cause), int64(h.SubCause), h.Lat, h.Lon, h.RadiusM, nullF(h.HeadingDeg),
			int64(h.Quality), sourcesJSON(h.Sources), d.ts(h.Detection), d.ts(h.Reference),
			d.ts(h.Expiry), h.Authority)
	})
	if err != nil {
		return fmt.Errorf("hazard_events: %w", err)
	}

	// One upsert row per hazard: its latest event in the batch (PostgreSQL refuses to update
	// one row twice in a statement), with the batch's first event time as first_at.
	type cur struct {
		last  *Record
		first time.Time
	}
	byID := map[string]*cur{}
	var order []string
	for _, r := range recs {
		id := r.Hazard.ActionID.String()
		c, ok := byID[id]
		if !ok {
			c = &cur{first: r.At}
			byID[id] = c
			order = append(order, id)
		}
		c.last = r
	}
	err = s.insertRows(ctx, tx, "INSERT INTO hazards ("+hazardCols+")", hazardUpsertTail, 21, len(order), func(i int, a []any) []any {
		c := byID[order[i]]
		r, h := c.last, c.last.Hazard
		state, _ := hazardState(h.Event)
		return append(a, edgeID, order[i], int64(h.ActionID.OriginatingStationID),
			int64(h.ActionID.SequenceNumber), state, h.Event, int64(r.Seq), d.ts(c.first), d.ts(r.At),
			int64(h.Cause), int64(h.SubCause), h.Lat, h.Lon, h.RadiusM, nullF(h.HeadingDeg),
			int64(h.Quality), sourcesJSON(h.Sources), d.ts(h.Detection), d.ts(h.Reference),
			d.ts(h.Expiry), h.Authority)
	})
	if err != nil {
		return fmt.Errorf("hazards: %w", err)
	}
	return nil
}

// trafficUpsertTail merges a repeated (tile, minute, edge): counts add, means combine weighted by
// count. Right-hand sides see the row as it was before the update, in both dialects.
const trafficUpsertTail = `ON CONFLICT (quadkey, minute, edge_id) DO UPDATE SET
	mean_speed = CASE WHEN traffic.count + excluded.count > 0
		THEN (traffic.mean_speed * traffic.count + excluded.mean_speed * excluded.count) / (traffic.count + excluded.count)
		ELSE excluded.mean_speed END,
	count = traffic.count + excluded.count`

type trafficKey struct {
	qk     string
	minute int64
}

type trafficSum struct {
	count     int64
	speedSum  float64 // Σ count·mean
	lat, lon  float64
	meanIfNil float64
}

func (s *Store) writeTraffic(ctx context.Context, tx *sql.Tx, edgeID string, recs []*Record) error {
	if len(recs) == 0 {
		return nil
	}
	// Merge repeats inside the batch first, for the same reason as hazards above.
	sums := map[trafficKey]*trafficSum{}
	var order []trafficKey
	for _, r := range recs {
		t := r.Traffic
		k := trafficKey{t.Quadkey, t.Minute.Truncate(time.Minute).UnixMilli()}
		v, ok := sums[k]
		if !ok {
			box, _ := geo.QuadkeyBox(t.Quadkey) // checked in checkRecord
			c := box.Center()
			v = &trafficSum{lat: c.Lat, lon: c.Lon, meanIfNil: t.MeanSpeedMPS}
			sums[k] = v
			order = append(order, k)
		}
		v.count += int64(t.Count)
		v.speedSum += float64(t.Count) * t.MeanSpeedMPS
	}
	err := s.insertRows(ctx, tx, "INSERT INTO traffic (quadkey, minute, edge_id, lat, lon, count, mean_speed)", trafficUpsertTail, 7, len(order), func(i int, a []any) []any {
		k := order[i]
		v := sums[k]
		mean := v.meanIfNil
		if v.count > 0 {
			mean = v.speedSum / float64(v.count)
		}
		return append(a, k.qk, s.d.ts(time.UnixMilli(k.minute)), edgeID, v.lat, v.lon, v.count, mean)
	})
	if err != nil {
		return fmt.Errorf("traffic: %w", err)
	}
	return nil
}

// coverageArgs gives the four cov_* values, NULL for the zero box (coverage not known).
func coverageArgs(b geo.Box) []any {
	if b == (geo.Box{}) {
		return []any{nil, nil, nil, nil}
	}
	return []any{b.Min.Lat, b.Min.Lon, b.Max.Lat, b.Max.Lon}
}

func (s *Store) writeHealth(ctx context.Context, tx *sql.Tx, edgeID string, recs []*Record) error {
	if len(recs) == 0 {
		return nil
	}
	err := s.insertRows(ctx, tx, `INSERT INTO health_samples (edge_id, seq, at, clients, vehicles, objects, active_hazards,
		ingest_per_s, alert_p50_ms, alert_p99_ms, queue_depth, cov_min_lat, cov_min_lon, cov_max_lat, cov_max_lon)`, "", 15, len(recs), func(i int, a []any) []any {
		r := recs[i]
		h := r.Health
		a = append(a, edgeID, int64(r.Seq), s.d.ts(r.At), int64(h.Clients), int64(h.Vehicles), int64(h.Objects),
			int64(h.ActiveHazards), h.IngestPerS, h.AlertP50Ms, h.AlertP99Ms, int64(h.QueueDepth))
		return append(a, coverageArgs(h.Coverage)...)
	})
	if err != nil {
		return fmt.Errorf("health_samples: %w", err)
	}
	r := recs[len(recs)-1] // seq order: the latest
	h := r.Health
	args := []any{edgeID, int64(r.Seq), s.d.ts(r.At), int64(h.Clients), int64(h.Vehicles), int64(h.Objects),
		int64(h.ActiveHazards), h.IngestPerS, h.AlertP50Ms, h.AlertP99Ms, int64(h.QueueDepth)}
	args = append(args, coverageArgs(h.Coverage)...)
	if _, err := s.exec(ctx, tx, `UPDATE edges SET health_seq = $2, health_at = $3, clients = $4, vehicles = $5,
		objects = $6, active_hazards = $7, ingest_per_s = $8, alert_p50_ms = $9, alert_p99_ms = $10,
		queue_depth = $11, cov_min_lat = $12, cov_min_lon = $13, cov_max_lat = $14, cov_max_lon = $15
		WHERE edge_id = $1 AND (health_seq IS NULL OR health_seq < $2)`, args...); err != nil {
		return fmt.Errorf("edges health: %w", err)
	}
	return nil
}
