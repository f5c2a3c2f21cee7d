package v2x

import (
	"fmt"
	"time"

	"github.com/michi-v2x/michi/pkg/geo"
)

// MessageType is the envelope's message_type.
type MessageType string

// Message types michi carries.
const (
	TypeCAM  MessageType = "cam"
	TypeDENM MessageType = "denm"
	TypeCPM  MessageType = "cpm"
)

// Valid reports whether t is cam, denm or cpm.
func (t MessageType) Valid() bool { return t == TypeCAM || t == TypeDENM || t == TypeCPM }

// MaxMessageSize is the largest encoded message the decoders accept.
const MaxMessageSize = 64 << 10

// Message is a decoded CAM, DENM or CPM (*CAM, *DENM or *CPM).
type Message interface {
	Type() MessageType
	// StationID is the sending station's id (message.station_id).
	StationID() uint32
	// Source is the envelope's source_uuid.
	Source() string
	// SentAt is the envelope's timestamp (Unix ms).
	SentAt() time.Time
	// Location is where the message belongs on the map: the CAM's or CPM's
	// reference position, the DENM's event position.
	Location() geo.Point
	Validate() error
	// AppendJSON appends the its-client JSON form; AppendMsgpack the msgpack form.
	AppendJSON(b []byte) []byte
	AppendMsgpack(b []byte) []byte
}

var (
	_ Message = (*CAM)(nil)
	_ Message = (*DENM)(nil)
	_ Message = (*CPM)(nil)
)

// Type returns TypeCAM.
func (m *CAM) Type() MessageType { return TypeCAM }

// Type returns TypeDENM.
func (m *DENM) Type() MessageType { return TypeDENM }

// Type returns TypeCPM.
func (m *CPM) Type() MessageType { return TypeCPM }

// Source returns source_uuid.
func (m *CAM) Source() string { return m.SourceUUID }

// Source returns source_uuid.
func (m *DENM) Source() string { return m.SourceUUID }

// Source returns source_uuid.
func (m *CPM) Source() string { return m.SourceUUID }

// SentAt returns the envelope timestamp.
func (m *CAM) SentAt() time.Time { return time.UnixMilli(m.Timestamp).UTC() }

// SentAt returns the envelope timestamp.
func (m *DENM) SentAt() time.Time { return time.UnixMilli(m.Timestamp).UTC() }

// SentAt returns the envelope timestamp.
func (m *CPM) SentAt() time.Time { return time.UnixMilli(m.Timestamp).UTC() }

// Location returns the CAM's reference position.
func (m *CAM) Location() geo.Point { return m.Position() }

// Location returns the DENM's event position.
func (m *DENM) Location() geo.Point { return m.EventPosition() }

// Location returns the CPM's reference position.
func (m *CPM) Location() geo.Point { return m.ReferencePosition() }

func checkSize(data []byte) error {
	if len(data) > MaxMessageSize {
		return fmt.Errorf("%w: %d bytes, at most %d", ErrTooLarge, len(data), MaxMessageSize)
	}
	return nil
}

// UnmarshalCAM decodes a CAM from its-client JSON. Errors wrap ErrMalformed
// (or ErrTooLarge). It does not validate ranges: call Validate.
func UnmarshalCAM(data []byte) (*CAM, error) {
	m := new(CAM)
	if err := decodeInto(data, false, m.decode); err != nil {
		return nil, err
	}
	return m, nil
}

// UnmarshalDENM decodes a DENM from its-client JSON; see UnmarshalCAM.
func UnmarshalDENM(data []byte) (*DENM, error) {
	m := new(DENM)
	if err := decodeInto(data, false, m.decode); err != nil {
		return nil, err
	}
	return m, nil
}

// UnmarshalCPM decodes a CPM from its-client JSON; see UnmarshalCAM.
func UnmarshalCPM(data []byte) (*CPM, error) {
	m := new(CPM)
	if err := decodeInto(data, false, m.decode); err != nil {
		return nil, err
	}
	return m, nil
}

// UnmarshalCAMMsgpack decodes a CAM from msgpack (same member names).
func UnmarshalCAMMsgpack(data []byte) (*CAM, error) {
	m := new(CAM)
	if err := decodeInto(data, true, m.decode); err != nil {
		return nil, err
	}
	return m, nil
}

// UnmarshalDENMMsgpack decodes a DENM from msgpack.
func UnmarshalDENMMsgpack(data []byte) (*DENM, error) {
	m := new(DENM)
	if err := decodeInto(data, true, m.decode); err != nil {
		return nil, err
	}
	return m, nil
}

// UnmarshalCPMMsgpack decodes a CPM from msgpack.
func UnmarshalCPMMsgpack(data []byte) (*CPM, error) {
	m := new(CPM)
	if err := decodeInto(data, true, m.decode); err != nil {
		return nil, err
	}
	return m, nil
}

func decodeInto(data []byte, mp bool, decode func(*decoder)) error {
	if err := checkSize(data); err != nil {
		return err
	}
	d := decoder{buf: data, mp: mp}
	decode(&d)
	return d.finish()
}

// Decode decodes a CAM, DENM or CPM from its-client JSON, choosing by
// message_type. Errors wrap ErrMalformed, ErrTooLarge or ErrUnknownType.
func Decode(data []byte) (Message, error) { return decodeAny(data, false) }

// DecodeMsgpack is Decode for msgpack.
func DecodeMsgpack(data []byte) (Message, error) { return decodeAny(data, true) }

func decodeAny(data []byte, mp bool) (Message, error) {
	if err := checkSize(data); err != nil {
		return nil, err
	}
	t, err := sniffType(data, mp)
	if err != nil {
		return nil, err
	}
	var m interface {
		Message
		decode(*decoder)
	}
	switch t {
	case TypeCAM:
		m = new(CAM)
	case TypeDENM:
		m = new(DENM)
	case TypeCPM:
		m = new(CPM)
	default:
		return nil, &unknownTypeError{t}
	}
	d := decoder{buf: data, mp: mp}
	m.decode(&d)
	if err := d.finish(); err != nil {
		return nil, err
	}
	return m, nil
}

type unknownTypeError struct{ t MessageType }

func (e *unknownTypeError) Error() string {
	return "v2x: unknown message type " + string(quoteTrunc(string(e.t)))
}
func (e *unknownTypeError) Is(target error) bool { return target == ErrUnknownType }

func quoteTrunc(s string) []byte {
	if len(s) > 32 {
		s = s[:32] + "…"
	}
	return appendJSONString(nil, s)
}

// Validate checks m against the CAM 2.4.0 schema: constants, ranges, item
// counts and choices. A *ValidationError names the first offending member.
func (m *CAM) Validate() error { return m.validate() }

// Validate checks m against the DENM 2.3.0 schema; see (*CAM).Validate.
func (m *DENM) Validate() error { return m.validate() }

// Validate checks m against the CPM 2.1.1 schema; see (*CAM).Validate.
func (m *CPM) Validate() error { return m.validate() }

// AppendJSON appends the its-client JSON form of m to b.
func (m *CAM) AppendJSON(b []byte) []byte { return m.appendJSON(b) }

// AppendJSON appends the its-client JSON form of m to b.
func (m *DENM) AppendJSON(b []byte) []byte { return m.appendJSON(b) }

// AppendJSON appends the its-client JSON form of m to b.
func (m *CPM) AppendJSON(b []byte) []byte { return m.appendJSON(b) }

// AppendMsgpack appends the msgpack form of m (same member names) to b.
func (m *CAM) AppendMsgpack(b []byte) []byte { return m.appendMsgpack(b) }

// AppendMsgpack appends the msgpack form of m to b.
func (m *DENM) AppendMsgpack(b []byte) []byte { return m.appendMsgpack(b) }

// AppendMsgpack appends the msgpack form of m to b.
func (m *CPM) AppendMsgpack(b []byte) []byte { return m.appendMsgpack(b) }
