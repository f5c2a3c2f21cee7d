package native

import (
	"errors"
	"strconv"
)

// Code is an error code of the protocol. It travels in Error frames and, when a peer closes the
// connection because of it, as the QUIC application error code of the CONNECTION_CLOSE.
//
// A Code is itself an error, so errors.Is(err, native.CodeUnauthorized) asks whether err carries
// that code (see Error.Is).
type Code uint16

// Error codes. Values are part of the wire format; new codes are only ever added.
const (
	// CodeNone: no error. A connection closed with it ended normally (Bye, Close).
	CodeNone Code = 0
	// CodeBadFrame: a frame could not be decoded, was not allowed where it was sent, or was
	// refused by the receiver. The default code for a refused frame.
	CodeBadFrame Code = 1
	// CodeUnauthorized: the hello's credentials were refused.
	CodeUnauthorized Code = 2
	// CodeTooLarge: a frame's length exceeds MaxFrameSize or the peer's max_frame.
	CodeTooLarge Code = 3
	// CodeSlowConsumer: the client did not take its alerts fast enough (its alert queue overflowed
	// or an alert stream could not be written in time) and was disconnected.
	CodeSlowConsumer Code = 4
	// CodeShuttingDown: the server is stopping; reconnect later, possibly elsewhere.
	CodeShuttingDown Code = 5
	// CodeForbidden: the client sent something its identity does not allow, such as a CAM with
	// another station's id.
	CodeForbidden Code = 6
	// CodeInvalid: a well-formed message broke a rule of its schema or of the receiver
	// (ranges, clock skew).
	CodeInvalid Code = 7
	// CodeBusy: the server has no room for another session.
	CodeBusy Code = 8
	// CodeTimeout: the hello did not arrive within the server's handshake timeout.
	CodeTimeout Code = 9
	// CodeReplaced: a newer session of the same station took over this one.
	CodeReplaced Code = 10
	// CodeInternal: the peer failed for a reason of its own.
	CodeInternal Code = 11
)

var codeNames = [...]string{
	CodeNone:         "no_error",
	CodeBadFrame:     "bad_frame",
	CodeUnauthorized: "unauthorized",
	CodeTooLarge:     "too_large",
	CodeSlowConsumer: "slow_consumer",
	CodeShuttingDown: "shutting_down",
	CodeForbidden:    "forbidden",
	CodeInvalid:      "invalid",
	CodeBusy:         "busy",
	CodeTimeout:      "timeout",
	CodeReplaced:     "replaced",
	CodeInternal:     "internal",
}

// String returns the code's name as the protocol documentation spells it, e.g. "bad_frame",
// or "code_N" for a code this version does not know.
func (c Code) String() string {
	if int(c) < len(codeNames) {
		return codeNames[c]
	}
	return "code_" + strconv.Itoa(int(c))
}

// Error implements error.
func (c Code) Error() string { return "michi-v2x: " + c.String() }

// Retryable reports whether a client refused or disconnected with this code may simply connect
// again (after a backoff): true for transient conditions, false where the same hello would be
// refused again (unauthorized, forbidden, bad_frame).
func (c Code) Retryable() bool {
	switch c {
	case CodeUnauthorized, CodeForbidden, CodeBadFrame, CodeTooLarge, CodeInvalid:
		return false
	}
	return true
}

// Error is a protocol error: a Code and a human-readable reason. It is what an Error frame
// carries, what DecodeFrame returns for bad input, and what a Conn reports when the server
// refused or closed it. errors.Is(err, code) matches the code; Unwrap gives the cause, if any.
type Error struct {
	Code   Code
	Reason string
	// Remote is true when the error was sent by the peer.
	Remote bool
	err    error
}

// Errorf returns an *Error with the given code and a reason; use it in a Handler to choose the
// code the client receives.
func Errorf(code Code, reason string) *Error { return &Error{Code: code, Reason: reason} }

// WrapError returns an *Error with the given code whose reason is err's text and which unwraps
// to err.
func WrapError(code Code, err error) *Error {
	return &Error{Code: code, Reason: err.Error(), err: err}
}

func (e *Error) Error() string {
	s := "michi-v2x: " + e.Code.String()
	if e.Remote {
		s += " from peer"
	}
	if e.Reason != "" {
		s += ": " + e.Reason
	}
	return s
}

// Is reports whether target is e's Code.
func (e *Error) Is(target error) bool {
	c, ok := target.(Code)
	return ok && c == e.Code
}

// Unwrap returns the error e was made from, if any.
func (e *Error) Unwrap() error { return e.err }

// CodeOf returns the protocol code err carries (an *Error or a Code in its chain), or def when
// it carries none. CodeOf(nil, def) is CodeNone.
func CodeOf(err error, def Code) Code {
	if err == nil {
		return CodeNone
	}
	if e, ok := errors.AsType[*Error](err); ok {
		return e.Code
	}
	if c, ok := errors.AsType[Code](err); ok {
		return c
	}
	return def
}

// Sentinel errors of the client.
var (
	// ErrClosed is returned by a Conn's methods after Close, and by Err when the connection was
	// closed locally.
	ErrClosed = errors.New("michi-v2x: connection closed")
	// ErrHandshake wraps what went wrong before the welcome arrived (other than an Error frame
	// from the server, which is returned as an *Error).
	ErrHandshake = errors.New("michi-v2x: handshake failed")
)

// maxReason bounds the reason an Error frame carries.
const maxReason = 256

func truncReason(s string) string {
	if len(s) <= maxReason {
		return s
	}
	// Cut at a rune boundary so the string stays valid UTF-8.
	cut := maxReason
	for cut > 0 && s[cut]&0xc0 == 0x80 {
		cut--
	}
	return s[:cut]
}
