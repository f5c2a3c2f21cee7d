package uplink

import (
	"errors"
	"fmt"

	"github.com/quic-go/quic-go"
)

var (
	// ErrBadRecord is wrapped by Record.Validate and AuthorityHazard.Validate.
	ErrBadRecord = errors.New("uplink: bad record")
	// ErrQueueFull is returned by Queue.Append when a record does not fit: a traffic or health
	// record when the soft limit is held by hazards alone (the record is counted as dropped), a
	// hazard when even the hard limit is reached (counted as rejected).
	ErrQueueFull = errors.New("uplink: queue full")
	// ErrRecordTooLarge is returned by Queue.Append for a record above MaxRecordBytes encoded.
	ErrRecordTooLarge = errors.New("uplink: record too large")
	// ErrClosed is returned by a closed Queue.
	ErrClosed = errors.New("uplink: queue closed")
	// ErrSyncFailed is returned by a Queue whose fsync failed and could not be made good by
	// rewriting the records it had not proven durable: it takes no more records (see
	// Queue.recoverSync).
	ErrSyncFailed = errors.New("uplink: queue fsync failed")
	// ErrCorrupt is wrapped when a queue file is damaged in a way that is not a torn tail.
	ErrCorrupt = errors.New("uplink: queue file corrupt")
	// ErrFrameTooLarge is returned when a frame's length prefix exceeds the limit.
	ErrFrameTooLarge = errors.New("uplink: frame too large")
	// ErrMalformed is wrapped when a frame cannot be decoded.
	ErrMalformed = errors.New("uplink: malformed frame")
	// ErrStarted is returned by a second call of Server.Run or Client.Run.
	ErrStarted = errors.New("uplink: already running")
)

// Code is the QUIC application error code with which the hub or the edge closes an uplink
// connection; the reason travels with it in the CONNECTION_CLOSE frame.
type Code = quic.ApplicationErrorCode

// Uplink close codes (the table is in docs/uplink-protocol.md).
const (
	CodeNoError       Code = 0x0 // normal close (the edge stopping)
	CodeGoingAway     Code = 0x1 // the hub is shutting down; reconnect later
	CodeProtocol      Code = 0x2 // malformed or unexpected frame
	CodeIdentity      Code = 0x3 // Hello names another edge than the certificate, or no identity
	CodeFrameTooLarge Code = 0x4 // a length prefix above the limit
	CodeBadRecord     Code = 0x5 // a record failed validation, names another edge, or seqs not ascending
	CodeStorage       Code = 0x6 // the hub's Sink failed; the edge retries after a backoff
	CodeReplaced      Code = 0x7 // a newer connection of the same edge took over from one that did not answer
	CodeTimeout       Code = 0x8 // no Hello / Welcome in time, or a frame stalled half-way
	CodeDuplicate     Code = 0x9 // the edge id is connected already, and that connection answers
)

func codeName(c Code) string {
	switch c {
	case CodeNoError:
		return "no error"
	case CodeGoingAway:
		return "going away"
	case CodeProtocol:
		return "protocol violation"
	case CodeIdentity:
		return "identity refused"
	case CodeFrameTooLarge:
		return "frame too large"
	case CodeBadRecord:
		return "bad record"
	case CodeStorage:
		return "storage failure"
	case CodeReplaced:
		return "replaced by a newer connection"
	case CodeTimeout:
		return "timeout"
	case CodeDuplicate:
		return "edge connected already"
	}
	return "unknown"
}

// ProtocolError is an uplink connection ended with a Code: sent by this side (Remote false) or
// received from the peer (Remote true).
type ProtocolError struct {
	Code   Code
	Reason string
	Remote bool
}

func (e *ProtocolError) Error() string {
	who := "local"
	if e.Remote {
		who = "remote"
	}
	if e.Reason == "" {
		return fmt.Sprintf("uplink: %s (%#x, %s)", codeName(e.Code), uint64(e.Code), who)
	}
	return fmt.Sprintf("uplink: %s (%#x, %s): %s", codeName(e.Code), uint64(e.Code), who, e.Reason)
}

func protoErr(code Code, format string, args ...any) *ProtocolError {
	return &ProtocolError{Code: code, Reason: fmt.Sprintf(format, args...)}
}

// asProtocolError returns err as a *ProtocolError when it is one or a QUIC application error
// (the peer closed with a code), else nil.
func asProtocolError(err error) *ProtocolError {
	if pe, ok := errors.AsType[*ProtocolError](err); ok {
		return pe
	}
	if ae, ok := errors.AsType[*quic.ApplicationError](err); ok {
		return &ProtocolError{Code: ae.ErrorCode, Reason: ae.ErrorMessage, Remote: ae.Remote}
	}
	return nil
}
