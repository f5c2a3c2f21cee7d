package store

import (
	"context"
	"database/sql"
	"embed"
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strconv"
	"strings"
)

//go:embed migrations
var migrationsFS embed.FS

// migration is one NNNN_name.sql file of a dialect's directory.
type migration struct {
	version int
	name    string
	sql     string
}

// migrations returns the dialect's migrations in version order.
func migrations(d dialect) ([]migration, error) {
	entries, err := fs.ReadDir(migrationsFS, d.migrationDir())
	if err != nil {
		return nil, fmt.Errorf("migrations: %w", err)
	}
	var ms []migration
	for _, e := range entries {
		n := e.Name()
		if e.IsDir() || !strings.HasSuffix(n, ".sql") {
			continue
		}
		num, rest, ok := strings.Cut(strings.TrimSuffix(n, ".sql"), "_")
		v, err := strconv.Atoi(num)
		if !ok || err != nil || v < 1 {
			return nil, fmt.Errorf("migration %s: want NNNN_name.sql", n)
		}
		b, err := migrationsFS.ReadFile(path.Join(d.migrationDir(), n))
		if err != nil {
			return nil, err
		}
		ms = append(ms, migration{version: v, name: rest, sql: string(b)})
	}
	sort.Slice(ms, func(i, j int) bool { return ms[i].version < ms[j].version })
	for i := 1; i < len(ms); i++ {
		if ms[i].version == ms[i-1].version {
			return nil, fmt.Errorf("migrations: version %d twice", ms[i].version)
		}
	}
	return ms, nil
}

// SchemaVersion is the highest migration version this build knows.
func SchemaVersion() int {
	ms, err := migrations(sqliteDialect{})
	if err != nil || len(ms) == 0 {
		return 0
	}
	return ms[len(ms)-1].version
}

// Migrate applies the migrations not yet recorded in schema_migrations, all in one transaction
// (both backends have transactional DDL), and returns how many it applied. Running it again is
// a no-op. On PostgreSQL an advisory lock makes replicas that start together take turns.
// A database migrated by a newer hub (an unknown version recorded) is refused.
func (s *Store) Migrate(ctx context.Context) (applied int, err error) {
	ms, err := migrations(s.d)
	if err != nil {
		return 0, err
	}
	err = s.inTx(ctx, func(tx *sql.Tx) error {
		if l := s.d.migrationLock(); l != "" {
			if _, err := tx.ExecContext(ctx, l); err != nil {
				return fmt.Errorf("migration lock: %w", err)
			}
		}
		if _, err := tx.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
			version    INTEGER PRIMARY KEY,
			name       TEXT    NOT NULL,
			applied_at TEXT    NOT NULL
		)`); err != nil {
			return fmt.Errorf("schema_migrations: %w", err)
		}
		done := map[int]bool{}
		rows, err := tx.QueryContext(ctx, "SELECT version FROM schema_migrations")
		if err != nil {
			return fmt.Errorf("schema_migrations: %w", err)
		}
		for rows.Next() {
			var v int
			if err := rows.Scan(&v); err != nil {
				rows.Close()
				return err
			}
			done[v] = true
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		latest := 0
		if len(ms) > 0 {
			latest = ms[len(ms)-1].version
		}
		for v := range done {
			if v > latest {
				return fmt.Errorf("database schema version %d is newer than this hub's %d: upgrade the hub", v, latest)
			}
		}
		for _, m := range ms {
			if done[m.version] {
				continue
			}
			if !onlyComments(m.sql) {
				if _, err := tx.ExecContext(ctx, m.sql); err != nil {
					return fmt.Errorf("migration %04d_%s: %w", m.version, m.name, err)
				}
			}
			if _, err := tx.ExecContext(ctx, s.d.rebind("INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)"),
				m.version, m.name, s.o.Now().UTC().Format("2006-01-02T15:04:05.000Z")); err != nil {
				return fmt.Errorf("record migration %d: %w", m.version, err)
			}
			applied++
			s.o.Log.Info("applied migration", "version", m.version, "name", m.name, "backend", s.d.name())
		}
		return nil
	})
	if err != nil {
		return 0, err
	}
	return applied, nil
}

func onlyComments(q string) bool {
	for _, line := range strings.Split(q, "\n") {
		line = strings.TrimSpace(line)
		if line != "" && !strings.HasPrefix(line, "--") {
			return false
		}
	}
	return true
}
