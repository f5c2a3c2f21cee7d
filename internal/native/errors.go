package native

import "errors"

var (
	// ErrRunning is returned by Run when the server is running or has run: a Server runs once.
	ErrRunning = errors.New("native: server already started")
)
