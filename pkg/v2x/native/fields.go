package native

import (
	"bytes"
	"errors"
	"math"
	"strings"
	"unicode/utf8"

	"github.com/michi-v2x/michi/pkg/v2x"
)

// fieldSet holds one bit per known field of a frame type, to find duplicates and missing fields.
type fieldSet uint32

// Field names and bits. The names are the wire format; see docs/native-protocol.md.
const (
	fStationID fieldSet = 1 << iota
	fStationType
	fSourceUUID
	fToken
	fClientTime
)

const (
	fEdgeID fieldSet = 1 << iota
	fSessionID
	fServerTime
	fDatagrams
	fMaxFrame
)

const (
	fCode fieldSet = 1 << iota
	fReason
	fFatal
	fLastSeq
)

const (
	fTNS fieldSet = 1 << iota
	fPongServerTime
)

const (
	fMsg fieldSet = 1 << iota // "cam" or "denm"
	fActionID
	fServerSend
	fSeq
	fSigAlg
	fKeyID
	fSig
)

var errNotUTF8 = errors.New("string is not valid UTF-8")

// missing names the first required field not in seen, or returns "".
func missing(seen fieldSet, names ...string) string {
	for i, n := range names {
		if n != "" && seen&(1<<i) == 0 {
			return "missing field \"" + n + "\""
		}
	}
	return ""
}

func appendStrings(b []byte, kv ...string) ([]byte, error) {
	for i := 0; i < len(kv); i += 2 {
		if !utf8.ValidString(kv[i+1]) {
			return b, errors.New(kv[i] + ": " + errNotUTF8.Error())
		}
		b = mpString(b, kv[i])
		b = mpString(b, kv[i+1])
	}
	return b, nil
}

func (f *Hello) appendFields(b []byte) ([]byte, int, error) {
	b = mpString(b, "station_id")
	b = mpUint(b, uint64(f.StationID))
	b = mpString(b, "station_type")
	b = mpUint(b, uint64(f.StationType))
	b, err := appendStrings(b, "source_uuid", f.SourceUUID, "token", f.Token)
	b = mpString(b, "client_time_ns")
	b = mpInt(b, f.ClientTimeNS)
	return b, 5, err
}

func (f *Hello) setField(k []byte, r *mpReader) fieldSet {
	switch string(k) {
	case "station_id":
		f.StationID = uint32(r.uint(math.MaxUint32))
		return fStationID
	case "station_type":
		f.StationType = v2x.StationType(r.uint(math.MaxUint8))
		return fStationType
	case "source_uuid":
		f.SourceUUID = string(r.str())
		return fSourceUUID
	case "token":
		f.Token = string(r.str())
		return fToken
	case "client_time_ns":
		f.ClientTimeNS = r.int()
		return fClientTime
	}
	return 0
}

func (f *Hello) check(seen fieldSet) string {
	return missing(seen, "station_id", "station_type", "source_uuid", "", "client_time_ns")
}

func (f *Welcome) appendFields(b []byte) ([]byte, int, error) {
	b, err := appendStrings(b, "edge_id", f.EdgeID)
	b = mpString(b, "session_id")
	b = mpUint(b, f.SessionID)
	b = mpString(b, "server_time_ns")
	b = mpInt(b, f.ServerTimeNS)
	b = mpString(b, "datagrams")
	b = mpBool(b, f.Datagrams)
	b = mpString(b, "max_frame")
	b = mpUint(b, uint64(f.MaxFrame))
	return b, 5, err
}

func (f *Welcome) setField(k []byte, r *mpReader) fieldSet {
	switch string(k) {
	case "edge_id":
		f.EdgeID = string(r.str())
		return fEdgeID
	case "session_id":
		f.SessionID = r.uint(math.MaxUint64)
		return fSessionID
	case "server_time_ns":
		f.ServerTimeNS = r.int()
		return fServerTime
	case "datagrams":
		f.Datagrams = r.bool()
		return fDatagrams
	case "max_frame":
		f.MaxFrame = uint32(r.uint(MaxFrameSize))
		return fMaxFrame
	}
	return 0
}

func (f *Welcome) check(seen fieldSet) string {
	return missing(seen, "edge_id", "session_id", "server_time_ns", "datagrams", "max_frame")
}

func (f *ErrorFrame) appendFields(b []byte) ([]byte, int, error) {
	b = mpString(b, "code")
	b = mpUint(b, uint64(f.Code))
	b = mpString(b, "reason")
	b = mpString(b, truncReason(strings.ToValidUTF8(f.Reason, "\uFFFD")))
	b = mpString(b, "fatal")
	b = mpBool(b, f.Fatal)
	if f.LastSeq == 0 {
		return b, 3, nil
	}
	b = mpString(b, "last_seq")
	return mpUint(b, f.LastSeq), 4, nil
}

func (f *ErrorFrame) setField(k []byte, r *mpReader) fieldSet {
	switch string(k) {
	case "code":
		f.Code = Code(r.uint(math.MaxUint16))
		return fCode
	case "reason":
		f.Reason = string(r.str())
		return fReason
	case "fatal":
		f.Fatal = r.bool()
		return fFatal
	case "last_seq":
		f.LastSeq = r.uint(math.MaxUint64)
		return fLastSeq
	}
	return 0
}

func (f *ErrorFrame) check(seen fieldSet) string { return missing(seen, "code") }

func (f *Ping) appendFields(b []byte) ([]byte, int, error) {
	b = mpString(b, "t_ns")
	return mpInt(b, f.TNS), 1, nil
}

func (f *Ping) setField(k []byte, r *mpReader) fieldSet {
	if string(k) == "t_ns" {
		f.TNS = r.int()
		return fTNS
	}
	return 0
}

func (f *Ping) check(seen fieldSet) string { return missing(seen, "t_ns") }

func (f *Pong) appendFields(b []byte) ([]byte, int, error) {
	b = mpString(b, "t_ns")
	b = mpInt(b, f.TNS)
	b = mpString(b, "server_time_ns")
	return mpInt(b, f.ServerTimeNS), 2, nil
}

func (f *Pong) setField(k []byte, r *mpReader) fieldSet {
	switch string(k) {
	case "t_ns":
		f.TNS = r.int()
		return fTNS
	case "server_time_ns":
		f.ServerTimeNS = r.int()
		return fPongServerTime
	}
	return 0
}

func (f *Pong) check(seen fieldSet) string { return missing(seen, "t_ns", "server_time_ns") }

func (f *Bye) appendFields(b []byte) ([]byte, int, error) {
	b = mpString(b, "reason")
	return mpString(b, truncReason(strings.ToValidUTF8(f.Reason, "\uFFFD"))), 1, nil
}

func (f *Bye) setField(k []byte, r *mpReader) fieldSet {
	if string(k) == "reason" {
		f.Reason = string(r.str())
		return fReason
	}
	return 0
}

func (f *Bye) check(fieldSet) string { return "" }

func (f *CAMFrame) appendFields(b []byte) ([]byte, int, error) {
	if f.CAM == nil {
		return b, 0, errors.New("no CAM")
	}
	b = mpString(b, "cam")
	return f.CAM.AppendMsgpack(b), 1, nil
}

// nested hands the value r is positioned at, which ends where r's buffer ends, to a pkg/v2x
// decoder.
func nested(r *mpReader, decode func([]byte) error) {
	if err := decode(r.buf[r.off:]); err != nil {
		r.fail(err.Error())
		r.cause = err
		return
	}
	r.off = len(r.buf)
}

func (f *CAMFrame) setField(k []byte, r *mpReader) fieldSet {
	if string(k) == "cam" {
		nested(r, func(b []byte) (err error) { f.CAM, err = v2x.UnmarshalCAMMsgpack(b); return })
		return fMsg
	}
	return 0
}

func (f *CAMFrame) check(seen fieldSet) string { return missing(seen, "cam") }

func (f *DENMFrame) appendFields(b []byte) ([]byte, int, error) {
	if f.DENM == nil {
		return b, 0, errors.New("no DENM")
	}
	b = mpString(b, "denm")
	return f.DENM.AppendMsgpack(b), 1, nil
}

func (f *DENMFrame) setField(k []byte, r *mpReader) fieldSet {
	if string(k) == "denm" {
		nested(r, func(b []byte) (err error) { f.DENM, err = v2x.UnmarshalDENMMsgpack(b); return })
		return fMsg
	}
	return 0
}

func (f *DENMFrame) check(seen fieldSet) string { return missing(seen, "denm") }

func (f *Alert) appendFields(b []byte) ([]byte, int, error) {
	if f.DENM == nil {
		return b, 0, errors.New("no DENM")
	}
	id := f.DENM.ActionID()
	b = mpString(b, "denm")
	if f.raw != nil {
		b = append(b, f.raw...)
	} else {
		b = f.DENM.AppendMsgpack(b)
	}
	b = mpString(b, "action_id")
	b = mpMapHeader(b, 2)
	b = mpString(b, "originating_station_id")
	b = mpUint(b, uint64(id.OriginatingStationID))
	b = mpString(b, "sequence_number")
	b = mpUint(b, uint64(id.SequenceNumber))
	b = mpString(b, "server_send_ns")
	b = mpInt(b, f.ServerSendNS)
	b = mpString(b, "seq")
	b = mpUint(b, f.Seq)
	if f.Signature.Alg == "" {
		return b, 4, nil
	}
	if len(f.Signature.Sig) > math.MaxUint8 {
		return b, 0, errors.New("signature longer than 255 bytes")
	}
	b = mpString(b, "sig_alg")
	b = mpString(b, f.Signature.Alg)
	b = mpString(b, "key_id")
	b = mpString(b, f.Signature.KeyID)
	b = mpString(b, "sig")
	b = mpBin(b, f.Signature.Sig)
	return b, 7, nil
}

func (f *Alert) setField(k []byte, r *mpReader) fieldSet {
	switch string(k) {
	case "denm":
		f.raw = bytes.Clone(r.buf[r.off:]) // what a signature covers
		nested(r, func(b []byte) (err error) { f.DENM, err = v2x.UnmarshalDENMMsgpack(b); return })
		return fMsg
	case "action_id":
		f.wireID = readActionID(r)
		return fActionID
	case "sig_alg":
		f.Signature.Alg = string(r.str())
		return fSigAlg
	case "key_id":
		f.Signature.KeyID = string(r.str())
		return fKeyID
	case "sig":
		f.Signature.Sig = bytes.Clone(r.bin())
		return fSig
	case "server_send_ns":
		f.ServerSendNS = r.int()
		return fServerSend
	case "seq":
		f.Seq = r.uint(math.MaxUint64)
		return fSeq
	}
	return 0
}

func (f *Alert) check(seen fieldSet) string {
	if msg := missing(seen, "denm", "action_id", "server_send_ns", "seq"); msg != "" {
		return msg
	}
	if sig := seen & (fSigAlg | fKeyID | fSig); sig != 0 && sig != fSigAlg|fKeyID|fSig {
		return "sig_alg, key_id and sig go together"
	}
	if f.wireID != f.DENM.ActionID() {
		return "action_id " + f.wireID.String() + " differs from the DENM's " + f.DENM.ActionID().String()
	}
	return ""
}

// readActionID reads {originating_station_id, sequence_number}; both are required, other keys
// are skipped.
func readActionID(r *mpReader) v2x.ActionID {
	var id v2x.ActionID
	var seen fieldSet
	n := r.mapLen()
	for i := 0; i < n && r.ok(); i++ {
		var bit fieldSet
		switch string(r.str()) {
		case "originating_station_id":
			id.OriginatingStationID = uint32(r.uint(math.MaxUint32))
			bit = 1
		case "sequence_number":
			id.SequenceNumber = uint16(r.uint(math.MaxUint16))
			bit = 2
		default:
			r.skip(1)
		}
		if seen&bit != 0 {
			r.fail("duplicate member in action_id")
		}
		seen |= bit
	}
	if r.ok() && seen != 3 {
		r.fail("action_id needs originating_station_id and sequence_number")
	}
	return id
}
