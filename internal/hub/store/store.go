package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"strings"
	"sync/atomic"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // registers the "pgx" database/sql driver
	_ "modernc.org/sqlite"             // registers the "sqlite" database/sql driver
)

// Options configures a Store. The zero value of every field means "the default".
type Options struct {
	// DSN selects the backend: a postgres:// or postgresql:// URL (or a "host=… dbname=…"
	// keyword string) opens PostgreSQL; anything else is a SQLite file path, with an optional
	// "sqlite:" or "file:" prefix. Default "./michi-hub.db".
	DSN string `yaml:"db"`
	// BusyTimeout is how long SQLite waits for a lock held by another process. Default 5 s.
	BusyTimeout time.Duration `yaml:"busy_timeout"`
	// MaxConns bounds the connection pool (PostgreSQL) or the reader pool (SQLite, whose writes
	// use one connection). Default 8 for PostgreSQL, 4 for SQLite.
	MaxConns int `yaml:"max_conns"`
	// BatchRows is the number of rows per multi-row INSERT. Default 200.
	BatchRows int `yaml:"batch_rows"`

	Log *slog.Logger     `yaml:"-"`
	Now func() time.Time `yaml:"-"` // hub clock for received_at / last_seen; default time.Now
}

// DefaultDSN is the SQLite file used when Options.DSN is empty.
const DefaultDSN = "./michi-hub.db"

func (o *Options) setDefaults() {
	if o.DSN == "" {
		o.DSN = DefaultDSN
	}
	if o.BusyTimeout == 0 {
		o.BusyTimeout = 5 * time.Second
	}
	if o.MaxConns == 0 {
		o.MaxConns = 8
		if !IsPostgres(o.DSN) {
			o.MaxConns = 4
		}
	}
	if o.BatchRows == 0 {
		o.BatchRows = 200
	}
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	if o.Now == nil {
		o.Now = time.Now
	}
}

// Validate reports every problem with the options at once. It applies defaults first.
func (o *Options) Validate() error {
	o.setDefaults()
	var errs []error
	if IsPostgres(o.DSN) {
		if strings.Contains(o.DSN, "://") {
			if _, err := url.Parse(o.DSN); err != nil {
				errs = append(errs, fmt.Errorf("db: %w: %v", ErrBadDSN, err))
			}
		}
	} else if sqlitePath(o.DSN) == "" {
		errs = append(errs, fmt.Errorf("db %q: %w: empty SQLite path", o.DSN, ErrBadDSN))
	}
	if o.BusyTimeout < 0 {
		errs = append(errs, fmt.Errorf("busy_timeout %s: must not be negative", o.BusyTimeout))
	}
	if o.MaxConns < 1 || o.MaxConns > 1000 {
		errs = append(errs, fmt.Errorf("max_conns %d: want 1 … 1000", o.MaxConns))
	}
	if o.BatchRows < 1 || o.BatchRows > 1000 {
		errs = append(errs, fmt.Errorf("batch_rows %d: want 1 … 1000", o.BatchRows))
	}
	return errors.Join(errs...)
}

// IsPostgres reports whether dsn selects the PostgreSQL backend.
func IsPostgres(dsn string) bool {
	d := strings.ToLower(strings.TrimSpace(dsn))
	return strings.HasPrefix(d, "postgres://") || strings.HasPrefix(d, "postgresql://") ||
		strings.Contains(d, "dbname=") || strings.HasPrefix(d, "host=")
}

func sqlitePath(dsn string) string {
	p := strings.TrimSpace(dsn)
	p = strings.TrimPrefix(p, "sqlite://")
	p = strings.TrimPrefix(p, "sqlite:")
	p = strings.TrimPrefix(p, "file:")
	return p
}

// Store is the hub's database: one schema on SQLite or PostgreSQL. It is safe for concurrent
// use; several Stores (in one or several processes) may share one PostgreSQL database.
type Store struct {
	o      Options
	d      dialect
	w      *sql.DB // writes; SQLite: a single connection, transactions BEGIN IMMEDIATE
	r      *sql.DB // reads; PostgreSQL: the same pool as w
	closed atomic.Bool
}

// Open connects to the database selected by o.DSN and applies every pending migration.
func Open(ctx context.Context, o Options) (*Store, error) {
	if err := o.Validate(); err != nil {
		return nil, err
	}
	s := &Store{o: o}
	var err error
	if IsPostgres(o.DSN) {
		s.d = postgresDialect{}
		s.w, err = sql.Open("pgx", o.DSN)
		if err != nil {
			return nil, fmt.Errorf("open postgres: %w: %v", ErrBadDSN, err)
		}
		s.w.SetMaxOpenConns(o.MaxConns)
		s.w.SetMaxIdleConns(o.MaxConns)
		s.w.SetConnMaxIdleTime(5 * time.Minute)
		s.r = s.w
	} else {
		s.d = sqliteDialect{}
		path := sqlitePath(o.DSN)
		// journal_mode is set once below: WAL persists in the file, and switching to it can be
		// refused (SQLITE_BUSY, without the busy handler) while another process opens the file.
		pragmas := fmt.Sprintf("_pragma=busy_timeout(%d)&_pragma=synchronous(full)&_pragma=foreign_keys(1)",
			o.BusyTimeout.Milliseconds())
		if s.w, err = sql.Open("sqlite", "file:"+path+"?"+pragmas+"&_txlock=immediate"); err != nil {
			return nil, fmt.Errorf("open sqlite %s: %w", path, err)
		}
		s.w.SetMaxOpenConns(1)
		s.w.SetMaxIdleConns(1)
		s.w.SetConnMaxIdleTime(0)
		if s.r, err = sql.Open("sqlite", "file:"+path+"?"+pragmas+"&_pragma=query_only(1)"); err != nil {
			s.w.Close()
			return nil, fmt.Errorf("open sqlite %s: %w", path, err)
		}
		s.r.SetMaxOpenConns(o.MaxConns)
		s.r.SetMaxIdleConns(o.MaxConns)
	}
	if err := s.w.PingContext(ctx); err != nil {
		s.Close()
		return nil, fmt.Errorf("connect %s: %w", s.d.name(), err)
	}
	if s.d.name() == "sqlite" {
		if err := s.walMode(ctx); err != nil {
			s.Close()
			return nil, err
		}
	}
	if _, err := s.Migrate(ctx); err != nil {
		s.Close()
		return nil, err
	}
	return s, nil
}

// walMode switches the SQLite file to write-ahead logging, retrying while another connection
// holds it busy, for up to BusyTimeout.
func (s *Store) walMode(ctx context.Context) error {
	deadline := time.Now().Add(s.o.BusyTimeout)
	for {
		var mode string
		err := s.w.QueryRowContext(ctx, "PRAGMA journal_mode=WAL").Scan(&mode)
		if err == nil {
			if !strings.EqualFold(mode, "wal") {
				return fmt.Errorf("sqlite: journal_mode is %q, want wal", mode)
			}
			return nil
		}
		if !strings.Contains(err.Error(), "SQLITE_BUSY") || time.Now().After(deadline) {
			return fmt.Errorf("sqlite: journal_mode=WAL: %w", err)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(10 * time.Millisecond):
		}
	}
}

// Backend is "sqlite" or "postgres".
func (s *Store) Backend() string { return s.d.name() }

// Ping checks that the database answers (for /healthz).
func (s *Store) Ping(ctx context.Context) error {
	if s.closed.Load() {
		return ErrClosed
	}
	return s.w.PingContext(ctx)
}

// Close closes the connection pools. It is idempotent.
func (s *Store) Close() error {
	if s.closed.Swap(true) {
		return nil
	}
	var errs []error
	if s.r != nil && s.r != s.w {
		errs = append(errs, s.r.Close())
	}
	if s.w != nil {
		errs = append(errs, s.w.Close())
	}
	return errors.Join(errs...)
}

// inTx runs fn in a write transaction and commits it if fn returns nil.
func (s *Store) inTx(ctx context.Context, fn func(tx *sql.Tx) error) error {
	if s.closed.Load() {
		return ErrClosed
	}
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	if err := fn(tx); err != nil {
		tx.Rollback()
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	return nil
}

// exec and query rebind the placeholders for the dialect.
func (s *Store) exec(ctx context.Context, tx *sql.Tx, q string, args ...any) (sql.Result, error) {
	return tx.ExecContext(ctx, s.d.rebind(q), args...)
}

func (s *Store) query(ctx context.Context, q string, args ...any) (*sql.Rows, error) {
	if s.closed.Load() {
		return nil, ErrClosed
	}
	return s.r.QueryContext(ctx, s.d.rebind(q), args...)
}
