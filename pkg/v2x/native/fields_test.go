package native

import (
	"bytes"
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/michi-v2x/michi/pkg/v2x"
	"github.com/vmihailenco/msgpack/v5"
)

// Frames written by another encoder: keys in any order, unknown keys skipped, any integer width.
func TestDecodeLiberalInput(t *testing.T) {
	cam := msgpack.RawMessage(fixtureCAM().AppendMsgpack(nil))
	cases := []struct {
		name string
		in   []byte
		want Frame
	}{
		{"type last, unknown keys", rawMap(t, "station_id", 7, "x-future", []any{1, "a", map[string]any{"b": nil}}, "station_type", 5,
			"source_uuid", "v7", "client_time_ns", int64(-5), "type", 1),
			&Hello{StationID: 7, StationType: 5, SourceUUID: "v7", ClientTimeNS: -5}},
		{"wide integers", append([]byte{0x83, 0xa4, 't', 'y', 'p', 'e', 0xcf, 0, 0, 0, 0, 0, 0, 0, 4,
			0xa4, 't', '_', 'n', 's', 0xd3, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xfe},
			0xa1, 'z', 0xc0), &Ping{TNS: -2}},
		{"signed positive", rawMap(t, "type", int8(3), "code", int16(4)), &ErrorFrame{Code: CodeSlowConsumer}},
		{"nested cam", rawMap(t, "cam", cam, "type", 7), &CAMFrame{CAM: fixtureCAM()}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f, err := DecodeFrame(withLength(c.in))
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(f, c.want) {
				t.Fatalf("got %+v, want %+v", f, c.want)
			}
		})
	}
}

// rejectCases are inputs DecodeFrame must refuse; they also seed the fuzz test.
func rejectCases(tb testing.TB) []struct {
	name string
	in   []byte
	code Code
	want string
} {
	cam := msgpack.RawMessage(fixtureCAM().AppendMsgpack(nil))
	hazard := msgpack.RawMessage(fixtureHazard(fixtureTime, false).AppendMsgpack(nil))
	badCAM := append(msgpack.RawMessage(nil), cam...)
	badCAM[len(badCAM)-1] ^= 0xff
	dupID := msgpack.RawMessage(mpMapHeader(nil, 2))
	for range 2 {
		dupID = mpUint(mpString(dupID, "originating_station_id"), 900001)
	}
	deep := bytes.Repeat([]byte{0x91}, 40)
	deep = append(deep, 0xc0)
	tooMany := []any{"type", 4, "t_ns", 1}
	for i := range 31 {
		tooMany = append(tooMany, "k"+string(rune('a'+i)), i)
	}
	p := func(kv ...any) []byte { return withLength(rawMap(tb, kv...)) }
	return []struct {
		name string
		in   []byte
		code Code
		want string
	}{
		{"empty", nil, CodeBadFrame, "shorter than its length prefix"},
		{"short prefix", []byte{0, 0, 1}, CodeBadFrame, "shorter"},
		{"zero length", []byte{0, 0, 0, 0}, CodeBadFrame, "empty frame"},
		{"length beyond max", []byte{0, 1, 0, 1, 0x80}, CodeTooLarge, "exceeds 65536"},
		{"length mismatch", append([]byte{0, 0, 0, 9}, rawMap(tb, "type", 6)...), CodeBadFrame, "length prefix 9"},
		{"not a map", withLength([]byte{0x93, 1, 2, 3}), CodeBadFrame, "want a map"},
		{"empty map", withLength([]byte{0x80}), CodeBadFrame, "no \"type\""},
		{"key not a string", withLength([]byte{0x81, 0x01, 0x01}), CodeBadFrame, "want a string"},
		{"truncated map", withLength([]byte{0x82, 0xa4, 't', 'y', 'p', 'e', 0x06}), CodeBadFrame, "truncated"},
		{"trailing bytes", withLength(append(rawMap(tb, "type", 6), 0xc0)), CodeBadFrame, "trailing"},
		{"unknown type", p("type", 99), CodeBadFrame, "unknown frame type 99"},
		{"type zero", p("type", 0), CodeBadFrame, "unknown frame type 0"},
		{"type not an integer", p("type", "hello"), CodeBadFrame, "want an integer"},
		{"type negative", p("type", -1), CodeBadFrame, "out of range"},
		{"duplicate type", p("type", 6, "type", 6), CodeBadFrame, "duplicate field \"type\""},
		{"duplicate field", p("type", 4, "t_ns", 1, "t_ns", 2), CodeBadFrame, "duplicate field \"t_ns\""},
		{"missing field", p("type", 1, "station_id", 1, "station_type", 5, "client_time_ns", 0), CodeBadFrame, "missing field \"source_uuid\""},
		{"station_id too big", p("type", 1, "station_id", uint64(1)<<32, "station_type", 5, "source_uuid", "a", "client_time_ns", 0), CodeBadFrame, "out of range"},
		{"station_type too big", p("type", 1, "station_id", 1, "station_type", 256, "source_uuid", "a", "client_time_ns", 0), CodeBadFrame, "out of range"},
		{"int64 overflow", withLength([]byte{0x82, 0xa4, 't', 'y', 'p', 'e', 0x04, 0xa4, 't', '_', 'n', 's', 0xcf, 0x80, 0, 0, 0, 0, 0, 0, 0}), CodeBadFrame, "out of range"},
		{"string for integer", p("type", 4, "t_ns", "1"), CodeBadFrame, "want an integer"},
		{"nil for bool", p("type", 2, "edge_id", "e", "session_id", 1, "server_time_ns", 1, "datagrams", nil, "max_frame", 1), CodeBadFrame, "want a boolean"},
		{"max_frame too big", p("type", 2, "edge_id", "e", "session_id", 1, "server_time_ns", 1, "datagrams", true, "max_frame", MaxFrameSize+1), CodeBadFrame, "out of range"},
		{"invalid utf8", withLength([]byte{0x82, 0xa4, 't', 'y', 'p', 'e', 0x06, 0xa6, 'r', 'e', 'a', 's', 'o', 'n', 0xa2, 0xc3, 0x28}), CodeBadFrame, "UTF-8"},
		{"code too big", p("type", 3, "code", 70000), CodeBadFrame, "out of range"},
		{"malformed cam", p("type", 7, "cam", badCAM), CodeBadFrame, "cam"},
		{"cam not a map", p("type", 7, "cam", "x"), CodeBadFrame, "malformed"},
		{"denm in cam", p("type", 7, "cam", hazard), CodeBadFrame, "cam"},
		{"missing cam", p("type", 7), CodeBadFrame, "missing field \"cam\""},
		{"alert id mismatch", p("type", 9, "denm", hazard, "action_id", map[string]any{"originating_station_id": 900001, "sequence_number": 43}, "server_send_ns", 1, "seq", 1), CodeBadFrame, "differs"},
		{"alert id incomplete", p("type", 9, "denm", hazard, "action_id", map[string]any{"originating_station_id": 900001}, "server_send_ns", 1, "seq", 1), CodeBadFrame, "needs"},
		{"alert id duplicate member", p("type", 9, "denm", hazard, "action_id", dupID, "server_send_ns", 1, "seq", 1), CodeBadFrame, "duplicate member"},
		{"too deep", withLength(append([]byte{0x82, 0xa4, 't', 'y', 'p', 'e', 0x06, 0xa1, 'x'}, deep...)), CodeBadFrame, "nested too deeply"},
		{"reserved byte", withLength([]byte{0x82, 0xa4, 't', 'y', 'p', 'e', 0x06, 0xa1, 'x', 0xc1}), CodeBadFrame, "reserved"},
		{"huge array claim", withLength([]byte{0x82, 0xa4, 't', 'y', 'p', 'e', 0x06, 0xa1, 'x', 0xdd, 0xff, 0xff, 0xff, 0xff}), CodeBadFrame, "truncated"},
		{"huge string claim", withLength([]byte{0x81, 0xdb, 0x7f, 0xff, 0xff, 0xff}), CodeBadFrame, "truncated"},
		{"too many fields", p(tooMany...), CodeBadFrame, "at most 32"},
	}
}

func TestDecodeRejects(t *testing.T) {
	for _, c := range rejectCases(t) {
		t.Run(c.name, func(t *testing.T) {
			f, err := DecodeFrame(c.in)
			if err == nil {
				t.Fatalf("decoded %+v, want an error", f)
			}
			e, ok := errors.AsType[*Error](err)
			if !ok {
				t.Fatalf("error %T %v is not an *Error", err, err)
			}
			if e.Code != c.code || !errors.Is(err, c.code) {
				t.Errorf("code %v, want %v (%v)", e.Code, c.code, err)
			}
			if !strings.Contains(err.Error(), c.want) {
				t.Errorf("error %q does not mention %q", err, c.want)
			}
		})
	}
}

func TestDecodeMalformedCAMUnwrapsToV2X(t *testing.T) {
	cam := map[string]any{"message_type": "cam", "source_uuid": "x"} // well-formed msgpack, not a CAM
	_, err := DecodeFrame(withLength(rawMap(t, "type", 7, "cam", cam)))
	if !errors.Is(err, v2x.ErrMalformed) || !errors.Is(err, CodeBadFrame) {
		t.Fatalf("err = %v, want both v2x.ErrMalformed and CodeBadFrame", err)
	}
}
