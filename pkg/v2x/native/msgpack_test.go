package native

import (
	"math"
	"strings"
	"testing"

	"github.com/vmihailenco/msgpack/v5"
)

// The hand-written writers agree with a generic msgpack library at every width boundary.
func TestMsgpackIntegers(t *testing.T) {
	ints := []int64{0, 1, 127, 128, 255, 256, 65535, 65536, math.MaxUint32, math.MaxUint32 + 1, math.MaxInt64,
		-1, -32, -33, -128, -129, -32768, -32769, math.MinInt32, math.MinInt32 - 1, math.MinInt64}
	for _, v := range ints {
		b := mpInt(nil, v)
		var got int64
		if err := msgpack.Unmarshal(b, &got); err != nil || got != v {
			t.Errorf("mpInt(%d) = %x decodes to %d, %v", v, b, got, err)
		}
		r := mpReader{buf: b}
		if back := r.int(); !r.ok() || back != v || r.off != len(b) {
			t.Errorf("int() of %x = %d (%s)", b, back, r.err)
		}
		// The generic library's own encoding reads back too.
		lib, _ := msgpack.Marshal(v)
		r = mpReader{buf: lib}
		if back := r.int(); !r.ok() || back != v {
			t.Errorf("int() of library %x = %d (%s)", lib, back, r.err)
		}
	}
	for _, v := range []uint64{0, 127, 128, 255, 256, math.MaxUint16, math.MaxUint16 + 1, math.MaxUint32, math.MaxUint64} {
		b := mpUint(nil, v)
		var got uint64
		if err := msgpack.Unmarshal(b, &got); err != nil || got != v {
			t.Errorf("mpUint(%d) = %x decodes to %d, %v", v, b, got, err)
		}
		r := mpReader{buf: b}
		if back := r.uint(math.MaxUint64); !r.ok() || back != v {
			t.Errorf("uint() of %x = %d (%s)", b, back, r.err)
		}
	}
	r := mpReader{buf: mpInt(nil, -1)}
	if r.uint(10); r.ok() {
		t.Error("uint() accepted -1")
	}
	r = mpReader{buf: mpUint(nil, math.MaxUint64)}
	if r.int(); r.ok() {
		t.Error("int() accepted 2^64-1")
	}
}

func TestMsgpackStringsAndMaps(t *testing.T) {
	for _, n := range []int{0, 31, 32, 255, 256, 65535, 65536} {
		s := strings.Repeat("a", n)
		b := mpString(nil, s)
		var got string
		if err := msgpack.Unmarshal(b, &got); err != nil || got != s {
			t.Errorf("mpString(len %d) does not decode: %v", n, err)
		}
		r := mpReader{buf: b}
		if back := r.str(); !r.ok() || string(back) != s {
			t.Errorf("str() of len %d: %s", n, r.err)
		}
		r = mpReader{buf: b}
		if r.skip(0); !r.ok() || r.off != len(b) {
			t.Errorf("skip() of string len %d stopped at %d (%s)", n, r.off, r.err)
		}
	}
	for _, n := range []int{0, 15, 16, 65535, 65536} {
		b := mpMapHeader(nil, n)
		r := mpReader{buf: append(b, make([]byte, 2*n)...)} // n entries of 0: 0
		if got := r.mapLen(); !r.ok() || got != n {
			t.Errorf("mapLen(%d) = %d (%s)", n, got, r.err)
		}
	}
}

// skip passes exactly over every value a generic encoder writes.
func TestMsgpackSkip(t *testing.T) {
	values := []any{nil, true, false, 1.5, float32(2.5), []byte("bin"), strings.Repeat("x", 300),
		[]any{1, "a", []any{nil}}, map[string]any{"a": 1, "b": []int{1, 2}}, make([]int, 20),
		msgpack.RawMessage{0xd4, 1, 2}, msgpack.RawMessage{0xc7, 1, 9, 0}, msgpack.RawMessage{0xd8, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0},
		int8(-100), int16(-1000), int32(-100000), uint16(1000)}
	for _, v := range values {
		b, err := msgpack.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		r := mpReader{buf: append(b, 0xc0)}
		if r.skip(0); !r.ok() || r.off != len(b) {
			t.Errorf("skip(%T %x) stopped at %d of %d (%s)", v, b, r.off, len(b), r.err)
		}
	}
}
