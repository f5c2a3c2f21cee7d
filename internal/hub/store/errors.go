package store

import (
	"errors"

	"github.com/michi-v2x/michi/internal/uplink"
)

// Sentinel errors; wrapped with context by the functions that return them.
var (
	// ErrNotFound: no row with that key (e.g. an authority hazard id).
	ErrNotFound = errors.New("not found")
	// ErrBadRecord: a record that cannot be stored as given (another edge's, a missing payload,
	// a value out of range). The uplink's sentinel, so errors.Is works across both packages.
	ErrBadRecord = uplink.ErrBadRecord
	// ErrBadDSN: the --db value is neither a file path nor a postgres:// URL that parses.
	ErrBadDSN = errors.New("bad database address")
	// ErrTerminated: an update of an authority hazard that was already terminated (issue a
	// new one instead).
	ErrTerminated = errors.New("authority hazard already terminated")
	// ErrClosed: the store was closed.
	ErrClosed = errors.New("store closed")
)
