package native

import (
	"strconv"
	"time"

	"github.com/michi-v2x/michi/pkg/v2x"
)

// ALPN is the TLS application protocol of michi's native protocol, version 1. A server speaking
// another version announces another ALPN; within one version, frames only gain optional fields.
const ALPN = "michi-v2x/1"

// MaxFrameSize is the largest frame payload (the msgpack map, without the 4-byte length prefix)
// either side may send. A peer may announce a smaller limit (Welcome.MaxFrame).
const MaxFrameSize = 64 << 10

// lengthSize is the size of a frame's length prefix: a uint32, big-endian.
const lengthSize = 4

// FrameType identifies a frame: the value of the "type" key of its map.
type FrameType uint8

// Frame types. Values are part of the wire format.
const (
	TypeHello   FrameType = 1 // client → server, first frame on the control stream
	TypeWelcome FrameType = 2 // server → client, answer to Hello
	TypeError   FrameType = 3 // either way, control stream
	TypePing    FrameType = 4 // client → server, control stream
	TypePong    FrameType = 5 // server → client, answer to Ping
	TypeBye     FrameType = 6 // either way, control stream: the sender is closing normally
	TypeCAM     FrameType = 7 // client → server: vehicle state, datagram or telemetry stream
	TypeDENM    FrameType = 8 // client → server: a vehicle's hazard report
	TypeAlert   FrameType = 9 // server → client: a hazard, alone on a server-initiated stream
)

var typeNames = [...]string{
	TypeHello: "hello", TypeWelcome: "welcome", TypeError: "error", TypePing: "ping", TypePong: "pong",
	TypeBye: "bye", TypeCAM: "cam", TypeDENM: "denm", TypeAlert: "alert",
}

// String returns the frame type's name, e.g. "hello".
func (t FrameType) String() string {
	if int(t) < len(typeNames) && typeNames[t] != "" {
		return typeNames[t]
	}
	return "type_" + strconv.Itoa(int(t))
}

// Frame is one protocol frame: *Hello, *Welcome, *ErrorFrame, *Ping, *Pong, *Bye, *CAMFrame,
// *DENMFrame or *Alert.
type Frame interface {
	Type() FrameType
	// appendFields appends the map entries after "type" and returns their number.
	appendFields(b []byte) ([]byte, int, error)
	// setField decodes the value of key from r and returns the field's bit, or 0 for a key it
	// does not know (whose value the caller has skipped already).
	setField(key []byte, r *mpReader) fieldSet
	// check reports what is missing or inconsistent once every field has been read.
	check(seen fieldSet) string
}

// Hello opens a session: the client's identity and credentials.
type Hello struct {
	StationID   uint32          // ETSI station id; every CAM and DENM of the session must carry it
	StationType v2x.StationType // ETSI station type
	SourceUUID  string          // its-client source_uuid of the station
	Token       string          // credential, checked by the server; may be empty
	// ClientTimeNS is the client's clock (Unix ns) when it sent the hello; Dial fills it in.
	ClientTimeNS int64
}

// Welcome accepts a session.
type Welcome struct {
	EdgeID       string // the edge node's name
	SessionID    uint64 // unique among the server's sessions since it started
	ServerTimeNS int64  // the server's clock (Unix ns) when it sent the welcome
	// Datagrams is true when the server takes CAM frames as QUIC datagrams on this connection:
	// both sides enabled datagram support.
	Datagrams bool
	MaxFrame  uint32 // the largest frame payload the server accepts, ≤ MaxFrameSize
}

// ErrorFrame reports a protocol error. When Fatal is set the sender closes the connection right
// after it (with Code as the QUIC application error code); otherwise only the offending frame
// was dropped.
type ErrorFrame struct {
	Code   Code
	Reason string // at most 256 bytes are sent
	Fatal  bool
	// LastSeq, in a fatal Error from the server, is the Seq of the last alert it wrote on the
	// connection (0: none). Alert streams are not ordered with the control stream, so a client
	// reads its alert streams until it has seen every alert up to LastSeq (or briefly waited)
	// before it closes; the server drains its queue this way when it shuts down.
	LastSeq uint64
}

// Err returns the frame as an *Error received from the peer.
func (f *ErrorFrame) Err() *Error { return &Error{Code: f.Code, Reason: f.Reason, Remote: true} }

// Ping asks the server for its clock. TNS is the client's clock (Unix ns) when sent.
type Ping struct{ TNS int64 }

// Pong answers a Ping: TNS echoes the ping's, ServerTimeNS is the server's clock when it
// answered.
type Pong struct {
	TNS          int64
	ServerTimeNS int64
}

// Bye announces a normal close.
type Bye struct{ Reason string }

// CAMFrame carries a vehicle's state.
type CAMFrame struct{ CAM *v2x.CAM }

// DENMFrame carries a hazard reported by a vehicle.
type DENMFrame struct{ DENM *v2x.DENM }

// Alert carries a hazard to a vehicle. On the wire: the DENM, its action_id (repeated so a
// receiver can de-duplicate before decoding the DENM), the server's clock when it wrote the frame
// and a per-session sequence number. ReceivedAt and ClockOffset are filled in by Conn on receipt.
type Alert struct {
	DENM *v2x.DENM
	// ServerSendNS is the server's clock (Unix ns) when it wrote the alert to its stream.
	ServerSendNS int64
	// Seq numbers the alerts of a session from 1 in the order the server wrote them. A gap
	// means a queued version was superseded by a newer one, not that one was lost.
	Seq uint64

	// ReceivedAt is the client's clock when the alert had been read completely (not on the wire).
	ReceivedAt time.Time
	// ClockOffset is the estimate of server clock − client clock at receipt (not on the wire).
	ClockOffset time.Duration
	// Signature is the server's signature of the DENM's msgpack encoding; zero when unsigned.
	Signature v2x.Signature

	raw    []byte       // the DENM's msgpack encoding: cached by NewAlert, as received when decoded
	wireID v2x.ActionID // the action_id field as decoded, checked against the DENM's
}

// NewAlert returns an Alert for m with m's msgpack encoding cached, so that sending the same
// alert to many sessions encodes the DENM once. m must not be modified afterwards.
func NewAlert(m *v2x.DENM) Alert {
	return Alert{DENM: m, raw: m.AppendMsgpack(nil)}
}

// ActionID returns the DENM's action_id, the identity of the hazard.
func (a *Alert) ActionID() v2x.ActionID { return a.DENM.ActionID() }

// Sign signs the alert's DENM encoding with s (an alert made by NewAlert).
func (a *Alert) Sign(s *v2x.Signer) {
	if a.raw == nil {
		a.raw = a.DENM.AppendMsgpack(nil)
	}
	a.Signature = s.Sign(a.raw)
}

// Verify checks the alert's signature against the keys a vehicle trusts: v2x.ErrUnsigned,
// ErrUnknownKey, ErrBadSignature or ErrUnsupportedAlg when it does not hold.
func (a *Alert) Verify(keys v2x.KeySet) error {
	if a.raw == nil {
		return v2x.ErrUnsigned
	}
	return keys.Verify(a.raw, a.Signature)
}

// ReferenceTime returns the DENM's reference_time (ETSI TimestampIts): which version of the
// hazard this is; a newer version has a later one.
func (a *Alert) ReferenceTime() uint64 { return a.DENM.Message.Management.ReferenceTime }

// ServerSendTime returns ServerSendNS as a time on the server's clock.
func (a *Alert) ServerSendTime() time.Time { return time.Unix(0, a.ServerSendNS) }

// Latency returns how long the alert took from the server writing it to the client having read
// it: ReceivedAt − (ServerSendTime − ClockOffset), the send time translated to the client's
// clock. Its accuracy is that of the clock offset, about half the round-trip time at worst; on
// one machine the offset is zero.
func (a *Alert) Latency() time.Duration {
	return a.ReceivedAt.Sub(a.ServerSendTime().Add(-a.ClockOffset))
}

// Type implements Frame.
func (*Hello) Type() FrameType { return TypeHello }

// Type implements Frame.
func (*Welcome) Type() FrameType { return TypeWelcome }

// Type implements Frame.
func (*ErrorFrame) Type() FrameType { return TypeError }

// Type implements Frame.
func (*Ping) Type() FrameType { return TypePing }

// Type implements Frame.
func (*Pong) Type() FrameType { return TypePong }

// Type implements Frame.
func (*Bye) Type() FrameType { return TypeBye }

// Type implements Frame.
func (*CAMFrame) Type() FrameType { return TypeCAM }

// Type implements Frame.
func (*DENMFrame) Type() FrameType { return TypeDENM }

// Type implements Frame.
func (*Alert) Type() FrameType { return TypeAlert }

// newFrame returns an empty frame of type t, or nil for a type this version does not know.
func newFrame(t FrameType) Frame {
	switch t {
	case TypeHello:
		return new(Hello)
	case TypeWelcome:
		return new(Welcome)
	case TypeError:
		return new(ErrorFrame)
	case TypePing:
		return new(Ping)
	case TypePong:
		return new(Pong)
	case TypeBye:
		return new(Bye)
	case TypeCAM:
		return new(CAMFrame)
	case TypeDENM:
		return new(DENMFrame)
	case TypeAlert:
		return new(Alert)
	}
	return nil
}
