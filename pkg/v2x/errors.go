package v2x

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// Sentinel errors. Every error of this package wraps one of them.
var (
	// ErrMalformed: the bytes are not a well-formed message (syntax, types,
	// duplicate, unknown or missing members, trailing data).
	ErrMalformed = errors.New("v2x: malformed message")
	// ErrInvalid: the message breaks a rule of its schema (a range, a
	// constant, a required member, a choice).
	ErrInvalid = errors.New("v2x: invalid message")
	// ErrTooLarge: the message is larger than MaxMessageSize.
	ErrTooLarge = errors.New("v2x: message too large")
	// ErrUnknownType: message_type is not cam, denm or cpm.
	ErrUnknownType = errors.New("v2x: unknown message type")
	// ErrBadTopic: an MQTT topic does not follow the its-client layout.
	ErrBadTopic = errors.New("v2x: bad topic")
)

// ValidationError names the member that breaks the schema, as a JSON path
// from the envelope (e.g. "message.basic_container.reference_position.latitude").
// errors.Is(err, ErrInvalid) holds.
type ValidationError struct {
	Field  string
	Reason string
}

func (e *ValidationError) Error() string {
	if e.Field == "" {
		return "v2x: invalid message: " + e.Reason
	}
	return "v2x: invalid " + e.Field + ": " + e.Reason
}

// Is reports whether target is ErrInvalid.
func (e *ValidationError) Is(target error) bool { return target == ErrInvalid }

// DecodeError says where decoding stopped. errors.Is(err, ErrMalformed)
// holds; so does errors.Is(err, ErrInvalid) when the bytes were well formed
// but broke the schema's structure (unknown, duplicate or missing member, an
// integer beyond its type).
type DecodeError struct {
	Field  string // JSON path of the member, "" for the document itself
	Offset int    // byte offset in the input
	Reason string
	schema bool
}

func (e *DecodeError) Error() string {
	var b strings.Builder
	b.WriteString("v2x: malformed message")
	if e.Field != "" {
		b.WriteString(" at ")
		b.WriteString(e.Field)
	}
	b.WriteString(" (offset ")
	b.WriteString(strconv.Itoa(e.Offset))
	b.WriteString("): ")
	b.WriteString(e.Reason)
	return b.String()
}

// Is reports whether target is ErrMalformed, or ErrInvalid for schema breaches.
func (e *DecodeError) Is(target error) bool {
	return target == ErrMalformed || (e.schema && target == ErrInvalid)
}

func joinPath(parent, child string) string {
	switch {
	case child == "":
		return parent
	case child[0] == '[':
		return parent + child
	}
	return parent + "." + child
}

// wrapField prefixes a validation error with the member it was found in.
func wrapField(name string, err error) error {
	if ve, ok := err.(*ValidationError); ok {
		ve.Field = joinPath(name, ve.Field)
		return ve
	}
	return fmt.Errorf("%s: %w", name, err)
}

func wrapIndex(name string, i int, err error) error {
	return wrapField(name+"["+strconv.Itoa(i)+"]", err)
}

func rangeError(name string, v, lo, hi int64) error {
	return &ValidationError{Field: name, Reason: fmt.Sprintf("%d out of range [%d, %d]", v, lo, hi)}
}

func countError(name string, n, lo, hi int) error {
	r := fmt.Sprintf("%d items, want at least %d", n, lo)
	if hi >= 0 {
		r = fmt.Sprintf("%d items, want %d to %d", n, lo, hi)
	}
	return &ValidationError{Field: name, Reason: r}
}

func lengthError(name string, n, lo, hi int) error {
	return &ValidationError{Field: name, Reason: fmt.Sprintf("length %d, want %d to %d characters", n, lo, hi)}
}

func constError(name, got, want string) error {
	return &ValidationError{Field: name, Reason: fmt.Sprintf("%q, want %q", got, want)}
}

func enumError(name, got, allowed string) error {
	return &ValidationError{Field: name, Reason: fmt.Sprintf("%q, want one of %s", got, allowed)}
}

func oneOfError(names ...string) error {
	return &ValidationError{Reason: "exactly one of " + strings.Join(names, ", ") + " must be present"}
}

// MQTT v5 reason codes (OASIS MQTT v5.0 §2.4) for refusing a publication.
const (
	ReasonSuccess              byte = 0x00
	ReasonUnspecified          byte = 0x80
	ReasonTopicNameInvalid     byte = 0x90
	ReasonPacketTooLarge       byte = 0x95
	ReasonPayloadFormatInvalid byte = 0x99
)

// ReasonCode maps an error of this package to the MQTT v5 reason code a
// broker answers a PUBLISH with: a bad topic 0x90, an oversized message
// 0x95, a malformed, invalid or unknown message 0x99, anything else 0x80.
func ReasonCode(err error) byte {
	switch {
	case err == nil:
		return ReasonSuccess
	case errors.Is(err, ErrBadTopic):
		return ReasonTopicNameInvalid
	case errors.Is(err, ErrTooLarge):
		return ReasonPacketTooLarge
	case errors.Is(err, ErrMalformed), errors.Is(err, ErrInvalid), errors.Is(err, ErrUnknownType):
		return ReasonPayloadFormatInvalid
	}
	return ReasonUnspecified
}
