// Package storetest opens hub stores for tests: SQLite in a temporary directory always, and
// PostgreSQL when the environment names one. It is imported only by _test files.
//
// Environment:
//   - MICHI_TEST_POSTGRES: a PostgreSQL DSN (scripts/postgres-test.sh prints one). Each test
//     gets its own schema in that database (dropped afterwards), so tests never see each other.
//   - MICHI_REQUIRE_INTEGRATION=1: a missing MICHI_TEST_POSTGRES fails the test instead of
//     skipping the PostgreSQL half (CI sets it).
//
// It must not be imported by non-test code.
package storetest

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/michi-v2x/michi/internal/hub/store"
)

// EnvPostgres and EnvRequire are the environment variables read by Backends.
const (
	EnvPostgres = "MICHI_TEST_POSTGRES"
	EnvRequire  = "MICHI_REQUIRE_INTEGRATION"
)

// Backend is one database for a test. Open may be called several times: every Store it returns
// shares the same database (to test several hub replicas), and each is closed by t.Cleanup.
type Backend struct {
	Name string // "sqlite" or "postgres"
	DSN  string
	Open func(t testing.TB, mod ...func(*store.Options)) *store.Store
}

// Backends returns a fresh SQLite database and, when configured, a fresh PostgreSQL schema.
func Backends(t testing.TB) []Backend {
	bs := []Backend{SQLite(t)}
	if pg, ok := Postgres(t); ok {
		bs = append(bs, pg)
	}
	return bs
}

// Run runs fn as a subtest per backend.
func Run(t *testing.T, fn func(t *testing.T, b Backend)) {
	t.Helper()
	for _, b := range Backends(t) {
		t.Run(b.Name, func(t *testing.T) { fn(t, b) })
	}
}

func opener(dsn string) func(t testing.TB, mod ...func(*store.Options)) *store.Store {
	return func(t testing.TB, mod ...func(*store.Options)) *store.Store {
		t.Helper()
		o := store.Options{DSN: dsn, Log: slog.New(slog.DiscardHandler)}
		for _, m := range mod {
			m(&o)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		s, err := store.Open(ctx, o)
		if err != nil {
			t.Fatalf("open %s store: %v", dsnName(dsn), err)
		}
		t.Cleanup(func() { s.Close() })
		return s
	}
}

func dsnName(dsn string) string {
	if store.IsPostgres(dsn) {
		return "postgres"
	}
	return "sqlite"
}

// SQLite returns a backend on a new database file in t.TempDir().
func SQLite(t testing.TB) Backend {
	dsn := filepath.Join(t.TempDir(), "hub.db")
	return Backend{Name: "sqlite", DSN: dsn, Open: opener(dsn)}
}

// Postgres returns a backend on a new schema of the MICHI_TEST_POSTGRES database; ok is false
// (after t.Skip-style logging) when the variable is unset, and the test fails instead when
// MICHI_REQUIRE_INTEGRATION=1.
func Postgres(t testing.TB) (Backend, bool) {
	t.Helper()
	dsn := os.Getenv(EnvPostgres)
	if dsn == "" {
		if os.Getenv(EnvRequire) == "1" {
			t.Fatalf("%s=1 but %s is not set: run scripts/postgres-test.sh", EnvRequire, EnvPostgres)
		}
		t.Logf("%s not set: PostgreSQL half skipped", EnvPostgres)
		return Backend{}, false
	}
	var b [6]byte
	rand.Read(b[:])
	schema := "michi_test_" + hex.EncodeToString(b[:])
	admin, err := sql.Open("pgx", dsn)
	if err != nil {
		t.Fatalf("postgres %s: %v", EnvPostgres, err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if _, err := admin.ExecContext(ctx, "CREATE SCHEMA "+schema); err != nil {
		admin.Close()
		t.Fatalf("postgres: create schema: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if _, err := admin.ExecContext(ctx, "DROP SCHEMA "+schema+" CASCADE"); err != nil {
			t.Logf("postgres: drop schema %s: %v", schema, err)
		}
		admin.Close()
	})
	return Backend{Name: "postgres", DSN: withSearchPath(t, dsn, schema), Open: opener(withSearchPath(t, dsn, schema))}, true
}

// withSearchPath sets the schema every connection of the DSN uses.
func withSearchPath(t testing.TB, dsn, schema string) string {
	if strings.Contains(dsn, "://") {
		u, err := url.Parse(dsn)
		if err != nil {
			t.Fatalf("%s: %v", EnvPostgres, err)
		}
		q := u.Query()
		q.Set("search_path", schema)
		u.RawQuery = q.Encode()
		return u.String()
	}
	return dsn + " search_path=" + schema
}
