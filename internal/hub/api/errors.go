package api

import (
	"errors"
	"fmt"
)

// ErrBadParam is wrapped by every *ParamError.
var ErrBadParam = errors.New("bad parameter")

// ParamError is a request parameter or body field the API cannot accept; it becomes a 400
// answer {"error": …, "field": Field}.
type ParamError struct {
	Field  string // query parameter or JSON field name
	Reason string
}

func (e *ParamError) Error() string { return fmt.Sprintf("%s: %s", e.Field, e.Reason) }
func (e *ParamError) Unwrap() error { return ErrBadParam }

func badParam(field, format string, a ...any) *ParamError {
	return &ParamError{Field: field, Reason: fmt.Sprintf(format, a...)}
}
