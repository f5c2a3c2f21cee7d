package native

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"reflect"
	"strings"
	"testing"

	"github.com/michi-v2x/michi/pkg/v2x"
	"github.com/vmihailenco/msgpack/v5"
)

func TestGolden(t *testing.T) {
	for _, fx := range frameFixtures() {
		t.Run(fx.name, func(t *testing.T) {
			want := fx.golden(t)
			got, err := EncodeFrame(fx.frame)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, want) {
				t.Fatalf("encoding differs from %s:\n got %x\nwant %x", fx.path(), got, want)
			}
		})
	}
}

func TestRoundTrip(t *testing.T) {
	for _, fx := range frameFixtures() {
		t.Run(fx.name, func(t *testing.T) {
			b, err := EncodeFrame(fx.frame)
			if err != nil {
				t.Fatal(err)
			}
			if got := binary.BigEndian.Uint32(b); int(got) != len(b)-4 {
				t.Fatalf("length prefix %d, payload %d", got, len(b)-4)
			}
			f, err := DecodeFrame(b)
			if err != nil {
				t.Fatal(err)
			}
			if f.Type() != fx.frame.Type() {
				t.Fatalf("type %v, want %v", f.Type(), fx.frame.Type())
			}
			if !reflect.DeepEqual(f, normalized(fx.frame)) {
				t.Fatalf("decoded\n %+v\nwant\n %+v", f, normalized(fx.frame))
			}
			// The same bytes come out of a reader, one frame after another.
			r := NewReader(bytes.NewReader(append(append([]byte(nil), b...), b...)))
			for range 2 {
				f, err := r.ReadFrame()
				if err != nil || !reflect.DeepEqual(f, normalized(fx.frame)) {
					t.Fatalf("ReadFrame = %+v, %v", f, err)
				}
			}
			if _, err := r.ReadFrame(); err != io.EOF {
				t.Fatalf("after the last frame: %v, want io.EOF", err)
			}
		})
	}
}

// A generic msgpack decoder, as another language would use, reads the frames as documented.
func TestFramesAreGenericMsgpack(t *testing.T) {
	for _, fx := range frameFixtures() {
		b, err := EncodeFrame(fx.frame)
		if err != nil {
			t.Fatal(err)
		}
		var m map[string]any
		if err := msgpack.Unmarshal(b[4:], &m); err != nil {
			t.Fatalf("%s: %v", fx.name, err)
		}
		if typ := asInt(m["type"]); FrameType(typ) != fx.frame.Type() {
			t.Errorf("%s: type = %#v", fx.name, m["type"])
		}
		switch fx.frame.Type() {
		case TypeCAM:
			cam := m["cam"].(map[string]any)
			if cam["source_uuid"] != "car_1234" || cam["message_type"] != "cam" {
				t.Errorf("cam body = %v", cam)
			}
		case TypeAlert:
			id := m["action_id"].(map[string]any)
			if asInt(id["originating_station_id"]) != 900001 || asInt(id["sequence_number"]) != 42 {
				t.Errorf("action_id = %v", id)
			}
		}
	}
}

// asInt returns a generically decoded msgpack integer of any width as an int64.
func asInt(v any) int64 {
	rv := reflect.ValueOf(v)
	switch rv.Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return rv.Int()
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return int64(rv.Uint())
	}
	return -1 << 63
}

// rawMap encodes the key/value pairs, in order, as a frame payload with a generic msgpack
// encoder; values of type msgpack.RawMessage are copied verbatim.
func rawMap(tb testing.TB, kv ...any) []byte {
	tb.Helper()
	var buf bytes.Buffer
	enc := msgpack.NewEncoder(&buf)
	enc.UseCompactInts(true)
	if err := enc.EncodeMapLen(len(kv) / 2); err != nil {
		tb.Fatal(err)
	}
	for i := 0; i < len(kv); i += 2 {
		if err := enc.EncodeString(kv[i].(string)); err != nil {
			tb.Fatal(err)
		}
		if err := enc.Encode(kv[i+1]); err != nil {
			tb.Fatal(err)
		}
	}
	return buf.Bytes()
}

func withLength(p []byte) []byte {
	return append(binary.BigEndian.AppendUint32(nil, uint32(len(p))), p...)
}

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

// Decoded frames own their memory: the reader's buffer is reused for the next frame.
func TestDecodedFramesDoNotAliasInput(t *testing.T) {
	for _, fx := range frameFixtures() {
		b, _ := EncodeFrame(fx.frame)
		f, err := DecodeFrame(b)
		if err != nil {
			t.Fatal(err)
		}
		for i := range b {
			b[i] = 'X'
		}
		if !reflect.DeepEqual(f, normalized(fx.frame)) {
			t.Fatalf("%s changed with its input buffer", fx.name)
		}
	}
}

func TestEncodeErrors(t *testing.T) {
	for _, c := range []struct {
		name string
		f    Frame
		code Code
	}{
		{"nil cam", &CAMFrame{}, CodeBadFrame},
		{"nil denm", &DENMFrame{}, CodeBadFrame},
		{"nil alert denm", &Alert{}, CodeBadFrame},
		{"bad utf8", &Hello{SourceUUID: "\xff"}, CodeBadFrame},
		{"too large", &Hello{SourceUUID: strings.Repeat("a", MaxFrameSize)}, CodeTooLarge},
	} {
		b, err := AppendFrame([]byte("keep"), c.f)
		if !errors.Is(err, c.code) || string(b) != "keep" {
			t.Errorf("%s: %q, %v; want the input back and %v", c.name, b, err, c.code)
		}
	}
	// Reasons are cut to 256 bytes at a rune boundary and made valid UTF-8, never refused.
	b, err := EncodeFrame(&ErrorFrame{Code: CodeInternal, Reason: strings.Repeat("é", 200) + "\xff"})
	if err != nil {
		t.Fatal(err)
	}
	f, err := DecodeFrame(b)
	if err != nil {
		t.Fatal(err)
	}
	if r := f.(*ErrorFrame).Reason; len(r) != 256 || r != strings.Repeat("é", 128) {
		t.Fatalf("reason %d bytes: %q", len(r), r)
	}
}

func TestNewAlertCachesTheSameBytes(t *testing.T) {
	m := fixtureHazard(fixtureTime, false)
	a := NewAlert(m)
	a.ServerSendNS, a.Seq = 5, 6
	cached, err := EncodeFrame(&a)
	if err != nil {
		t.Fatal(err)
	}
	plain, err := EncodeFrame(&Alert{DENM: m, ServerSendNS: 5, Seq: 6})
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(cached, plain) {
		t.Fatal("NewAlert's cached DENM encodes differently")
	}
	if a.ActionID() != m.ActionID() || a.ReferenceTime() != m.Message.Management.ReferenceTime {
		t.Fatal("ActionID / ReferenceTime do not come from the DENM")
	}
}

func TestReaderErrors(t *testing.T) {
	hello, _ := EncodeFrame(frameFixtures()[0].frame)

	r := NewReader(bytes.NewReader(hello[:10]))
	if _, err := r.ReadFrame(); err != io.ErrUnexpectedEOF {
		t.Errorf("cut inside the payload: %v", err)
	}
	r = NewReader(bytes.NewReader(hello[:2]))
	if _, err := r.ReadFrame(); err != io.ErrUnexpectedEOF {
		t.Errorf("cut inside the prefix: %v", err)
	}
	r = NewReader(bytes.NewReader(hello))
	r.SetMaxFrame(10)
	if _, err := r.ReadFrame(); !errors.Is(err, CodeTooLarge) {
		t.Errorf("over SetMaxFrame: %v", err)
	}
	// A bad payload leaves the reader at the next frame.
	bad := withLength(rawMap(t, "type", 99))
	r = NewReader(bytes.NewReader(append(bad, hello...)))
	if _, err := r.ReadFrame(); !errors.Is(err, CodeBadFrame) {
		t.Errorf("bad payload: %v", err)
	}
	if f, err := r.ReadFrame(); err != nil || f.Type() != TypeHello {
		t.Errorf("frame after a bad one: %v, %v", f, err)
	}
	r.SetMaxFrame(0)
	if r.max != MaxFrameSize {
		t.Errorf("SetMaxFrame(0) = %d", r.max)
	}
}

func TestWriteFrame(t *testing.T) {
	var buf bytes.Buffer
	if err := WriteFrame(&buf, &Ping{TNS: 1}); err != nil {
		t.Fatal(err)
	}
	if err := WriteFrame(&buf, &CAMFrame{}); !errors.Is(err, CodeBadFrame) {
		t.Fatalf("nil CAM: %v", err)
	}
	if f, err := DecodeFrame(buf.Bytes()); err != nil || f.(*Ping).TNS != 1 {
		t.Fatalf("%v %v", f, err)
	}
}

func TestFrameTypeNames(t *testing.T) {
	for _, fx := range frameFixtures() {
		if name := fx.frame.Type().String(); !strings.HasPrefix(fx.name, name) {
			t.Errorf("%s: type name %q", fx.name, name)
		}
	}
	if FrameType(0).String() != "type_0" || FrameType(200).String() != "type_200" {
		t.Error("unknown type names")
	}
}
