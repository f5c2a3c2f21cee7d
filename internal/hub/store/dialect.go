package store

import (
	"database/sql"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// dialect is what differs between the two backends. Everything else — the SQL text of the
// queries, the ingest transaction, the row mapping — is shared, so both backends store the same
// records the same way. SQL is written with PostgreSQL's $n placeholders; rebind turns them into
// SQLite's ?n form.
type dialect interface {
	name() string // "sqlite" or "postgres"
	migrationDir() string
	rebind(q string) string
	// ts converts a time to the column's driver value (nil for the zero time).
	ts(t time.Time) any
	// lockHighWater is appended to the SELECT of an edge's high-water row: FOR UPDATE where
	// several writers may race (PostgreSQL). SQLite serialises writers with BEGIN IMMEDIATE.
	lockHighWater() string
	// migrationLock is run first in the migration transaction so that concurrently starting
	// replicas apply migrations one at a time ("" = the transaction itself serialises).
	migrationLock() string
	// bucket is an SQL expression truncating the time column col to multiples of secs seconds,
	// in the column's own type.
	bucket(col string, secs int64) string
}

type sqliteDialect struct{}

func (sqliteDialect) name() string         { return "sqlite" }
func (sqliteDialect) migrationDir() string { return "migrations/sqlite" }

// rebind turns PostgreSQL placeholders into SQLite's: $1, $2, … used once each in order become
// anonymous "?" (binding those is O(1); modernc resolves numbered ones by a linear name
// lookup, quadratic over a multi-row INSERT), anything else ?1, ?2 (bound by index, as
// PostgreSQL binds $1, $2).
func (sqliteDialect) rebind(q string) string {
	if !strings.Contains(q, "$") {
		return q
	}
	b := []byte(q)
	out := make([]byte, 0, len(b))
	next, inOrder := 1, true
	for i := 0; i < len(b); i++ {
		if b[i] != '$' || i+1 >= len(b) || b[i+1] < '0' || b[i+1] > '9' {
			continue
		}
		j := i + 1
		n := 0
		for j < len(b) && b[j] >= '0' && b[j] <= '9' {
			n = n*10 + int(b[j]-'0')
			j++
		}
		if n != next {
			inOrder = false
			break
		}
		next++
	}
	for i := 0; i < len(b); i++ {
		if b[i] == '$' && i+1 < len(b) && b[i+1] >= '0' && b[i+1] <= '9' {
			out = append(out, '?')
			if inOrder {
				for i+1 < len(b) && b[i+1] >= '0' && b[i+1] <= '9' {
					i++
				}
			}
			continue
		}
		out = append(out, b[i])
	}
	return string(out)
}

func (sqliteDialect) ts(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t.UnixMilli()
}
func (sqliteDialect) lockHighWater() string { return "" }
func (sqliteDialect) migrationLock() string { return "" }
func (sqliteDialect) bucket(col string, secs int64) string {
	ms := strconv.FormatInt(secs*1000, 10)
	return "((" + col + " / " + ms + ") * " + ms + ")"
}

type postgresDialect struct{}

func (postgresDialect) name() string           { return "postgres" }
func (postgresDialect) migrationDir() string   { return "migrations/postgres" }
func (postgresDialect) rebind(q string) string { return q }
func (postgresDialect) ts(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t.UTC()
}
func (postgresDialect) lockHighWater() string { return " FOR UPDATE" }

// migrationLockKey is an arbitrary constant shared by every michi hub ("michi" in ASCII).
const migrationLockKey = 0x6d69636869

func (postgresDialect) migrationLock() string {
	return fmt.Sprintf("SELECT pg_advisory_xact_lock(%d)", migrationLockKey)
}
func (postgresDialect) bucket(col string, secs int64) string {
	s := strconv.FormatInt(secs, 10)
	return "to_timestamp(floor(extract(epoch FROM " + col + ") / " + s + ") * " + s + ")"
}

// timeCol scans a time column of either dialect: Unix milliseconds (SQLite) or a timestamp
// (PostgreSQL); NULL leaves the zero time.
type timeCol struct{ t *time.Time }

func (c timeCol) Scan(v any) error {
	switch x := v.(type) {
	case nil:
		*c.t = time.Time{}
	case int64:
		*c.t = time.UnixMilli(x).UTC()
	case float64:
		*c.t = time.UnixMilli(int64(x)).UTC()
	case time.Time:
		*c.t = x.UTC()
	default:
		return fmt.Errorf("time column: unexpected %T", v)
	}
	return nil
}

var _ sql.Scanner = timeCol{}
