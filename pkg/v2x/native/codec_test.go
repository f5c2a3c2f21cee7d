package native

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"reflect"
	"strings"
	"testing"

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
