package store_test

import (
	"database/sql"
	"errors"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/michi-v2x/michi/internal/hub/store"
	"github.com/michi-v2x/michi/internal/hub/storetest"
)

func TestMigrationsIdempotent(t *testing.T) {
	storetest.Run(t, func(t *testing.T, b storetest.Backend) {
		s := b.Open(t)
		n, err := s.Migrate(ctxT(t))
		require.NoError(t, err)
		require.Zero(t, n, "second Migrate applies nothing")

		// A second store on the same database (another replica starting) applies nothing either.
		s2 := b.Open(t)
		n, err = s2.Migrate(ctxT(t))
		require.NoError(t, err)
		require.Zero(t, n)

		db, err := sql.Open(driver(b), dsn(b))
		require.NoError(t, err)
		defer db.Close()
		var count, maxV int
		require.NoError(t, db.QueryRow("SELECT COUNT(*), MAX(version) FROM schema_migrations").Scan(&count, &maxV))
		require.Equal(t, store.SchemaVersion(), maxV)
		require.Equal(t, store.SchemaVersion(), count, "one row per version")
	})
}

// TestMigrationsConcurrent starts several stores on one empty database at once, like hub
// replicas starting together: every one must come up and the schema must be applied once.
func TestMigrationsConcurrent(t *testing.T) {
	storetest.Run(t, func(t *testing.T, b storetest.Backend) {
		errs := make(chan error, 4)
		for range 4 {
			go func() {
				s, err := store.Open(ctxT(t), store.Options{DSN: b.DSN})
				if err == nil {
					err = s.Close()
				}
				errs <- err
			}()
		}
		for range 4 {
			require.NoError(t, <-errs)
		}
		s := b.Open(t)
		hw, err := s.HighWater(ctxT(t), "nobody")
		require.NoError(t, err)
		require.Zero(t, hw)
	})
}

func TestSchemaSameInBothDialects(t *testing.T) {
	sq := storetest.SQLite(t)
	sq.Open(t)
	sqCols := columns(t, "sqlite", sq.DSN, `SELECT m.name, p.name FROM sqlite_master m JOIN pragma_table_info(m.name) p
		WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite_%' ORDER BY 1, 2`)
	require.Contains(t, sqCols, "hazard_events.action_id")
	pg, ok := storetest.Postgres(t)
	if !ok {
		t.Skip("PostgreSQL not configured")
	}
	pg.Open(t)
	pgCols := columns(t, "pgx", pg.DSN, `SELECT table_name, column_name FROM information_schema.columns
		WHERE table_schema = current_schema() AND column_name <> 'geom' ORDER BY 1, 2`)
	require.Equal(t, sqCols, pgCols)
}

func columns(t *testing.T, driver, dsn, q string) []string {
	db, err := sql.Open(driver, dsn)
	require.NoError(t, err)
	defer db.Close()
	rows, err := db.Query(q)
	require.NoError(t, err)
	defer rows.Close()
	var out []string
	for rows.Next() {
		var a, b string
		require.NoError(t, rows.Scan(&a, &b))
		out = append(out, a+"."+b)
	}
	require.NoError(t, rows.Err())
	return out
}

func driver(b storetest.Backend) string {
	if b.Name == "postgres" {
		return "pgx"
	}
	return "sqlite"
}

func dsn(b storetest.Backend) string { return b.DSN }

// TestPostGISGeometry runs where the PostgreSQL database has PostGIS (scripts/postgres-test.sh
// with MICHI_PG_POSTGIS=1): the positioned tables get a generated geometry column.
func TestPostGISGeometry(t *testing.T) {
	pg, ok := storetest.Postgres(t)
	if !ok {
		t.Skip("PostgreSQL not configured")
	}
	s := pg.Open(t)
	db, err := sql.Open("pgx", pg.DSN)
	require.NoError(t, err)
	defer db.Close()
	var ns string
	err = db.QueryRow(`SELECT n.nspname FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace
		WHERE e.extname = 'postgis'`).Scan(&ns)
	if errors.Is(err, sql.ErrNoRows) {
		t.Skip("PostGIS not installed in the test database (MICHI_PG_POSTGIS=1 scripts/postgres-test.sh)")
	}
	require.NoError(t, err)
	store1(t, s, "edge-a", []store.Record{hazardRec(1, 1, 1, "created", 48.1, 11.5, t0)})
	var lon, lat float64
	require.NoError(t, db.QueryRow(`SELECT `+ns+`.ST_X(geom), `+ns+`.ST_Y(geom) FROM hazards`).Scan(&lon, &lat))
	require.Equal(t, 11.5, lon)
	require.Equal(t, 48.1, lat)
	var again bool
	require.NoError(t, db.QueryRow(`SELECT michi_enable_postgis()`).Scan(&again))
	require.True(t, again, "idempotent")
}
