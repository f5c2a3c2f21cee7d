package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/michi-v2x/michi/pkg/geo"
)

// Result says what one StoreBatch call did.
type Result struct {
	HighWater  uint64   // the edge's mark after the batch
	Stored     []Record // records newly stored, in seq order
	Duplicates int      // records at or below the mark before the batch (replays), or repeated in it
	Invalid    []Invalid
}

// Invalid is a record that was skipped because it cannot be stored. Its seq still counts
// towards the high-water mark: the edge must not resend it forever.
type Invalid struct {
	Seq uint64
	Err error
}

// Store implements uplink.Sink: it stores the records of one edge exactly once and returns the
// edge's new seq high-water mark. See StoreBatch.
func (s *Store) Store(ctx context.Context, edgeID string, recs []Record) (uint64, error) {
	r, err := s.StoreBatch(ctx, edgeID, recs)
	return r.HighWater, err
}

// HighWater implements uplink.Sink: the highest seq stored for the edge, 0 if none.
func (s *Store) HighWater(ctx context.Context, edgeID string) (uint64, error) {
	rows, err := s.query(ctx, "SELECT high_water FROM edge_seq WHERE edge_id = $1", edgeID)
	if err != nil {
		return 0, fmt.Errorf("high water %s: %w", edgeID, err)
	}
	defer rows.Close()
	var hw int64
	if rows.Next() {
		if err := rows.Scan(&hw); err != nil {
			return 0, err
		}
	}
	return uint64(hw), rows.Err()
}

// StoreBatch writes, in one transaction, every record of edgeID whose seq is above the stored
// high-water mark, and the new mark. The edge's edge_seq row is locked first (SELECT … FOR
// UPDATE on PostgreSQL, BEGIN IMMEDIATE on SQLite), so stores racing for the same edge — in
// one hub or in several replicas sharing a PostgreSQL — take turns and each record is stored
// exactly once; (edge_id, seq) keys are the backstop. Records that cannot be stored (a foreign
// EdgeID, a missing payload, an out-of-range value) are skipped and reported in Result.Invalid.
// On error nothing is stored.
func (s *Store) StoreBatch(ctx context.Context, edgeID string, recs []Record) (Result, error) {
	var res Result
	if edgeID == "" {
		return res, fmt.Errorf("store: %w: empty edge id", ErrBadRecord)
	}
	now := s.o.Now()
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		res = Result{}
		if _, err := s.exec(ctx, tx, "INSERT INTO edge_seq (edge_id, high_water) VALUES ($1, 0) ON CONFLICT (edge_id) DO NOTHING", edgeID); err != nil {
			return fmt.Errorf("edge_seq: %w", err)
		}
		var hw int64
		if err := tx.QueryRowContext(ctx, s.d.rebind("SELECT high_water FROM edge_seq WHERE edge_id = $1"+s.d.lockHighWater()), edgeID).Scan(&hw); err != nil {
			return fmt.Errorf("edge_seq: %w", err)
		}
		res.HighWater = uint64(hw)
		fresh, dup, invalid, top := sortNew(edgeID, recs, res.HighWater)
		res.Duplicates, res.Invalid = dup, invalid
		if top <= res.HighWater {
			return nil
		}
		if err := s.write(ctx, tx, edgeID, fresh, now); err != nil {
			return err
		}
		if _, err := s.exec(ctx, tx, "UPDATE edge_seq SET high_water = $2 WHERE edge_id = $1 AND high_water < $2", edgeID, int64(top)); err != nil {
			return fmt.Errorf("edge_seq: %w", err)
		}
		res.HighWater, res.Stored = top, fresh
		return nil
	})
	if err != nil {
		return Result{}, fmt.Errorf("store %d records of %s: %w", len(recs), edgeID, err)
	}
	return res, nil
}

// sortNew returns the valid records above hw in seq order without repeats, how many were
// replays, the invalid ones, and the highest seq seen above hw (valid or not).
func sortNew(edgeID string, recs []Record, hw uint64) (fresh []Record, dup int, invalid []Invalid, top uint64) {
	top = hw
	for i := range recs {
		r := &recs[i]
		if r.Seq <= hw {
			dup++
			continue
		}
		top = max(top, r.Seq)
		if r.EdgeID != "" && r.EdgeID != edgeID {
			// A record claiming another edge is never stored; its seq still counts on this
			// link so that it is not resent forever.
			invalid = append(invalid, Invalid{Seq: r.Seq, Err: fmt.Errorf("%w: record of %q on the link of %q", ErrBadRecord, r.EdgeID, edgeID)})
			continue
		}
		if err := checkRecord(r); err != nil {
			invalid = append(invalid, Invalid{Seq: r.Seq, Err: err})
			continue
		}
		fresh = append(fresh, *r)
	}
	slices.SortStableFunc(fresh, func(a, b Record) int {
		switch {
		case a.Seq < b.Seq:
			return -1
		case a.Seq > b.Seq:
			return 1
		}
		return 0
	})
	fresh = slices.CompactFunc(fresh, func(a, b Record) bool {
		if a.Seq == b.Seq {
			dup++
			return true
		}
		return false
	})
	for i := range fresh {
		fresh[i].EdgeID = edgeID
	}
	return fresh, dup, invalid, top
}

func finite(vs ...float64) bool {
	for _, v := range vs {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return false
		}
	}
	return true
}

// checkRecord rejects what the schema cannot hold or what would poison queries.
func checkRecord(r *Record) error {
	bad := func(format string, a ...any) error {
		return fmt.Errorf("%w: seq %d: %s", ErrBadRecord, r.Seq, fmt.Sprintf(format, a...))
	}
	if err := r.Validate(); err != nil {
		return fmt.Errorf("seq %d: %w", r.Seq, err)
	}
	if r.At.IsZero() {
		return bad("no time")
	}
	switch r.Kind {
	case KindHazard:
		h := r.Hazard
		if h == nil {
			return bad("hazard record without hazard")
		}
		if _, ok := hazardState(h.Event); !ok {
			return bad("hazard event %q: want created, updated, terminated or expired", h.Event)
		}
		if !(geo.Point{Lat: h.Lat, Lon: h.Lon}).Valid() || !finite(h.RadiusM) || h.RadiusM < 0 {
			return bad("hazard position %v,%v radius %v", h.Lat, h.Lon, h.RadiusM)
		}
		if h.HeadingDeg != nil && !finite(*h.HeadingDeg) {
			return bad("hazard heading not finite")
		}
	case KindTraffic:
		t := r.Traffic
		if t == nil {
			return bad("traffic record without aggregate")
		}
		if _, err := geo.QuadkeyBox(t.Quadkey); err != nil {
			return bad("traffic quadkey %q: %v", t.Quadkey, err)
		}
		if t.Minute.IsZero() || t.Count < 0 || !finite(t.MeanSpeedMPS) || t.MeanSpeedMPS < 0 {
			return bad("traffic minute %v count %d mean speed %v", t.Minute, t.Count, t.MeanSpeedMPS)
		}
	case KindHealth:
		h := r.Health
		if h == nil {
			return bad("health record without health")
		}
		c := h.Coverage
		if !finite(h.IngestPerS, h.AlertP50Ms, h.AlertP99Ms, c.Min.Lat, c.Min.Lon, c.Max.Lat, c.Max.Lon) {
			return bad("health values not finite")
		}
		if c != (geo.Box{}) && (!c.Min.Valid() || !c.Max.Valid() || c.Min.Lat > c.Max.Lat) {
			return bad("health coverage %v", c)
		}
	default:
		return bad("unknown kind %d", r.Kind)
	}
	return nil
}

// hazardState maps a lifecycle event to the state of the hazard after it.
func hazardState(event string) (string, bool) {
	switch event {
	case "created", "updated":
		return "active", true
	case "terminated":
		return "terminated", true
	case "expired":
		return "expired", true
	}
	return "", false
}

func nullF(p *float64) any {
	if p == nil {
		return nil
	}
	return *p
}

func sourcesJSON(src []string) string {
	if len(src) == 0 {
		return "[]"
	}
	b, _ := json.Marshal(src)
	return string(b)
}

// write stores fresh (valid, above the mark, seq order) in the open transaction.
func (s *Store) write(ctx context.Context, tx *sql.Tx, edgeID string, fresh []Record, now time.Time) error {
	var hazards, traffic, health []*Record
	for i := range fresh {
		switch fresh[i].Kind {
		case KindHazard:
			hazards = append(hazards, &fresh[i])
		case KindTraffic:
			traffic = append(traffic, &fresh[i])
		case KindHealth:
			health = append(health, &fresh[i])
		}
	}
	if _, err := s.exec(ctx, tx, `INSERT INTO edges (edge_id, first_seen, last_seen) VALUES ($1, $2, $2)
		ON CONFLICT (edge_id) DO UPDATE SET last_seen = excluded.last_seen`, edgeID, s.d.ts(now)); err != nil {
		return fmt.Errorf("edges: %w", err)
	}
	if err := s.writeHazards(ctx, tx, edgeID, hazards, now); err != nil {
		return err
	}
	if err := s.writeTraffic(ctx, tx, edgeID, traffic); err != nil {
		return err
	}
	return s.writeHealth(ctx, tx, edgeID, health)
}

// insertRows runs "head VALUES (…), (…) tail" over n rows in chunks of BatchRows, with cols
// placeholders per row; row(i, args) appends row i's values.
func (s *Store) insertRows(ctx context.Context, tx *sql.Tx, head, tail string, cols, n int, row func(i int, args []any) []any) error {
	chunk := s.o.BatchRows
	args := make([]any, 0, min(n, chunk)*cols)
	var q strings.Builder
	for start := 0; start < n; start += chunk {
		end := min(start+chunk, n)
		q.Reset()
		q.WriteString(head)
		q.WriteString(" VALUES ")
		args = args[:0]
		p := 1
		for i := start; i < end; i++ {
			if i > start {
				q.WriteString(", ")
			}
			q.WriteByte('(')
			for c := 0; c < cols; c++ {
				if c > 0 {
					q.WriteString(", ")
				}
				q.WriteByte('$')
				q.WriteString(strconv.Itoa(p))
				p++
			}
			q.WriteByte(')')
			args = row(i, args)
		}
		q.WriteByte(' ')
		q.WriteString(tail)
		if _, err := s.exec(ctx, tx, q.String(), args...); err != nil {
			return err
		}
	}
	return nil
}
