package client

import (
	"errors"
	"fmt"
	"strings"

	"github.com/michi-v2x/michi/pkg/v2x/native"
)

// Sentinel errors. Errors returned by this package wrap one of them, or a context error, or an
// error of pkg/v2x (an invalid state or report wraps v2x.ErrInvalid).
var (
	// ErrClosed: the client was closed (Close) or its context ended; nothing more is sent.
	ErrClosed = errors.New("client: closed")
	// ErrNotConnected: the client is between connections (reconnecting). SendState fails with it
	// at once, since a fresher state follows; Report waits for the connection instead.
	ErrNotConnected = errors.New("client: not connected")
	// ErrInvalidOptions: Options.Validate found problems; the error is an *OptionsError.
	ErrInvalidOptions = errors.New("client: invalid options")
	// ErrRefused: the server answered and refused the session (an MQTT CONNACK return code or a
	// native protocol error); the error is a *ConnectError whose Code says why.
	ErrRefused = errors.New("client: connection refused by the server")
)

// OptionsError lists every problem Options.Validate found. errors.Is(err, ErrInvalidOptions).
type OptionsError struct {
	Problems []string
}

func (e *OptionsError) Error() string {
	return "client: invalid options: " + strings.Join(e.Problems, "; ")
}

// Is reports whether target is ErrInvalidOptions.
func (e *OptionsError) Is(target error) bool { return target == ErrInvalidOptions }

// ConnectError says why a connection attempt failed. Code is the server's refusal code (the MQTT
// 5 CONNACK reason code, ≥ 0x80, or the native protocol's error code), 0 when the attempt failed
// before the server answered (network, TLS, timeout); errors.Is(err, ErrRefused) holds when it is
// not 0. Unwrap gives the underlying error.
type ConnectError struct {
	Transport string // "mqtt-tcp", "quic", …
	Addr      string // what was dialled
	Code      int
	Err       error
}

func (e *ConnectError) Error() string {
	if e.Code != 0 {
		return fmt.Sprintf("client: %s %s: refused (code %d): %v", e.Transport, e.Addr, e.Code, e.Err)
	}
	return fmt.Sprintf("client: %s %s: %v", e.Transport, e.Addr, e.Err)
}

func (e *ConnectError) Unwrap() error { return e.Err }

// Retryable reports whether connecting again may succeed: true unless the server refused for a
// reason the same attempt would meet again (MQTT: bad protocol version, client id rejected, bad
// credentials, not authorised, banned…; native: native.Code.Retryable). A client that meets such
// a refusal while reconnecting ends, with the *ConnectError as its Err.
func (e *ConnectError) Retryable() bool {
	if e.Code == 0 {
		return true
	}
	if e.Transport == TransportQUIC {
		return native.Code(e.Code).Retryable()
	}
	switch e.Code {
	case 0x80, 0x88, 0x89, 0x97, 0x9F: // unspecified, server unavailable, busy, quota, rate
		return true
	}
	return false
}

// Is reports whether target is ErrRefused and the server refused.
func (e *ConnectError) Is(target error) bool { return target == ErrRefused && e.Code != 0 }
