package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/michi-v2x/michi/pkg/geo"
)

// Authority is a hazard a road authority issued through the hub, with its bookkeeping.
type Authority struct {
	AuthorityHazard           // Terminate mirrors TerminatedAt being set
	CreatedAt       time.Time // hub clock
	UpdatedAt       time.Time
	TerminatedAt    time.Time // zero while not terminated
}

// End is when the hazard stops being in force by itself: Start + Validity.
func (a *Authority) End() time.Time { return a.Start.Add(a.Validity) }

// Active reports whether the hazard is in force at now: started, not past its end, not terminated.
func (a *Authority) Active(now time.Time) bool {
	return a.TerminatedAt.IsZero() && !now.Before(a.Start) && now.Before(a.End())
}

// PutAuthority inserts the authority hazard or replaces the one with the same ID (an update);
// CreatedAt of an existing one is kept.
func (s *Store) PutAuthority(ctx context.Context, a Authority) error {
	if a.ID == "" {
		return fmt.Errorf("put authority: %w: empty id", ErrBadRecord)
	}
	d := s.d
	return s.inTx(ctx, func(tx *sql.Tx) error {
		_, err := s.exec(ctx, tx, `INSERT INTO authority_hazards (id, cause, sub_cause, lat, lon, radius_m, heading_deg,
			start_time, validity_s, issuer, created_at, updated_at, terminated_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)
			ON CONFLICT (id) DO UPDATE SET cause = excluded.cause, sub_cause = excluded.sub_cause,
			lat = excluded.lat, lon = excluded.lon, radius_m = excluded.radius_m, heading_deg = excluded.heading_deg,
			start_time = excluded.start_time, validity_s = excluded.validity_s, issuer = excluded.issuer,
			updated_at = excluded.updated_at, terminated_at = excluded.terminated_at`,
			a.ID, int64(a.Cause), int64(a.SubCause), a.Lat, a.Lon, a.RadiusM, nullF(a.HeadingDeg),
			d.ts(a.Start), int64(a.Validity/time.Second), a.Issuer, d.ts(a.CreatedAt), d.ts(a.UpdatedAt), d.ts(a.TerminatedAt))
		if err != nil {
			return fmt.Errorf("put authority %s: %w", a.ID, err)
		}
		return nil
	})
}

// TerminateAuthority marks the authority hazard terminated at at (if it was not already) and
// returns it. ErrNotFound if there is none with that id.
func (s *Store) TerminateAuthority(ctx context.Context, id string, at time.Time) (Authority, error) {
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		_, err := s.exec(ctx, tx, `UPDATE authority_hazards SET terminated_at = $2, updated_at = $2
			WHERE id = $1 AND terminated_at IS NULL`, id, s.d.ts(at))
		return err
	})
	if err != nil {
		return Authority{}, fmt.Errorf("terminate authority %s: %w", id, err)
	}
	return s.Authority(ctx, id)
}

const authorityCols = `id, cause, sub_cause, lat, lon, radius_m, heading_deg, start_time, validity_s, issuer,
	created_at, updated_at, terminated_at`

func scanAuthority(rows *sql.Rows) (Authority, error) {
	var a Authority
	var cause, sub, validity int64
	var heading sql.NullFloat64
	if err := rows.Scan(&a.ID, &cause, &sub, &a.Lat, &a.Lon, &a.RadiusM, &heading, timeCol{&a.Start}, &validity,
		&a.Issuer, timeCol{&a.CreatedAt}, timeCol{&a.UpdatedAt}, timeCol{&a.TerminatedAt}); err != nil {
		return a, err
	}
	a.Cause, a.SubCause = uint8(cause), uint8(sub)
	a.Validity = time.Duration(validity) * time.Second
	if heading.Valid {
		v := heading.Float64
		a.HeadingDeg = &v
	}
	a.Terminate = !a.TerminatedAt.IsZero()
	return a, nil
}

// Authority returns one authority hazard; ErrNotFound if there is none with that id.
func (s *Store) Authority(ctx context.Context, id string) (Authority, error) {
	rows, err := s.query(ctx, "SELECT "+authorityCols+" FROM authority_hazards WHERE id = $1", id)
	if err != nil {
		return Authority{}, fmt.Errorf("authority %s: %w", id, err)
	}
	defer rows.Close()
	if !rows.Next() {
		if err := rows.Err(); err != nil {
			return Authority{}, fmt.Errorf("authority %s: %w", id, err)
		}
		return Authority{}, fmt.Errorf("authority %s: %w", id, ErrNotFound)
	}
	a, err := scanAuthority(rows)
	if err != nil {
		return Authority{}, fmt.Errorf("authority %s: %w", id, err)
	}
	return a, nil
}

// AuthorityQuery selects authority hazards.
type AuthorityQuery struct {
	Box    *geo.Box
	Active *bool // true: in force at Now; false: not
	Since  time.Time
	Now    time.Time
	Limit  int
}

// Authorities returns authority hazards, newest update first.
func (s *Store) Authorities(ctx context.Context, q AuthorityQuery) ([]Authority, error) {
	if q.Now.IsZero() {
		q.Now = s.o.Now()
	}
	var w where
	w.box(q.Box, "lat", "lon")
	if !q.Since.IsZero() {
		w.add("updated_at >= " + w.arg(s.d.ts(q.Since)))
	}
	if q.Active != nil {
		w.add("terminated_at IS NULL") // narrows; Active(now) below decides (start + validity is not portable SQL)
	}
	rows, err := s.query(ctx, "SELECT "+authorityCols+" FROM authority_hazards"+w.String()+
		" ORDER BY updated_at DESC, id", w.args...)
	if err != nil {
		return nil, fmt.Errorf("authorities: %w", err)
	}
	defer rows.Close()
	var out []Authority
	lim := limit(q.Limit)
	for rows.Next() && len(out) < lim {
		a, err := scanAuthority(rows)
		if err != nil {
			return nil, fmt.Errorf("authorities: %w", err)
		}
		if q.Active != nil && a.Active(q.Now) != *q.Active {
			continue
		}
		out = append(out, a)
	}
	return out, rows.Err()
}

// EdgeAuthority is what an edge last reported about an authority hazard it carries.
type EdgeAuthority struct {
	EdgeID, AuthorityID, State string
	Expiry                     time.Time
}

// EdgeAuthorities returns, for every edge copy of an authority hazard, its reported state
// (the hub resends what an edge lacks and terminates what it should not have).
func (s *Store) EdgeAuthorities(ctx context.Context, edgeID string) ([]EdgeAuthority, error) {
	var w where
	w.add("authority <> ''")
	if edgeID != "" {
		w.add("edge_id = " + w.arg(edgeID))
	}
	rows, err := s.query(ctx, "SELECT edge_id, authority, state, expiry FROM hazards"+w.String()+" ORDER BY edge_id, authority, updated_at LIMIT "+strconv.Itoa(MaxLimit), w.args...)
	if err != nil {
		return nil, fmt.Errorf("edge authorities: %w", err)
	}
	defer rows.Close()
	var out []EdgeAuthority
	for rows.Next() {
		var e EdgeAuthority
		if err := rows.Scan(&e.EdgeID, &e.AuthorityID, &e.State, timeCol{&e.Expiry}); err != nil {
			return nil, fmt.Errorf("edge authorities: %w", err)
		}
		out = append(out, e)
	}
	return out, rows.Err()
}

// IsNotFound reports whether err means "no such row".
func IsNotFound(err error) bool { return errors.Is(err, ErrNotFound) }
