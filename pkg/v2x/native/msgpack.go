package native

import (
	"encoding/binary"
	"math"
	"unicode/utf8"
)

// The frame envelope is a msgpack map (https://github.com/msgpack/msgpack/blob/master/spec.md).
// Only the few msgpack types the frames use are written and read here, by hand: frames sit on
// the edge's ingest path, where a reflection-based codec costs more than the CAM inside. The
// CAM and DENM bodies are encoded and decoded by pkg/v2x's generated codec.

// maxDepth bounds the nesting skip follows, so a crafted frame cannot exhaust the stack.
const maxDepth = 32

func mpMapHeader(b []byte, n int) []byte {
	switch {
	case n < 16:
		return append(b, 0x80|byte(n))
	case n <= math.MaxUint16:
		return append(b, 0xde, byte(n>>8), byte(n))
	}
	return append(b, 0xdf, byte(n>>24), byte(n>>16), byte(n>>8), byte(n))
}

func mpString(b []byte, s string) []byte {
	n := len(s)
	switch {
	case n < 32:
		b = append(b, 0xa0|byte(n))
	case n <= math.MaxUint8:
		b = append(b, 0xd9, byte(n))
	case n <= math.MaxUint16:
		b = append(b, 0xda, byte(n>>8), byte(n))
	default:
		b = append(b, 0xdb, byte(n>>24), byte(n>>16), byte(n>>8), byte(n))
	}
	return append(b, s...)
}

// mpBin appends a bin 8 (fewer than 256 bytes, all this protocol has: a signature).
func mpBin(b []byte, p []byte) []byte {
	return append(append(b, 0xc4, byte(len(p))), p...)
}

func mpBool(b []byte, v bool) []byte {
	if v {
		return append(b, 0xc3)
	}
	return append(b, 0xc2)
}

// mpUint writes v in the shortest msgpack form.
func mpUint(b []byte, v uint64) []byte {
	switch {
	case v < 128:
		return append(b, byte(v))
	case v <= math.MaxUint8:
		return append(b, 0xcc, byte(v))
	case v <= math.MaxUint16:
		return append(b, 0xcd, byte(v>>8), byte(v))
	case v <= math.MaxUint32:
		return append(b, 0xce, byte(v>>24), byte(v>>16), byte(v>>8), byte(v))
	}
	b = append(b, 0xcf)
	return binary.BigEndian.AppendUint64(b, v)
}

// mpInt writes v in the shortest msgpack form; non-negative values as unsigned, as most
// msgpack libraries do.
func mpInt(b []byte, v int64) []byte {
	switch {
	case v >= 0:
		return mpUint(b, uint64(v))
	case v >= -32:
		return append(b, byte(v))
	case v >= math.MinInt8:
		return append(b, 0xd0, byte(v))
	case v >= math.MinInt16:
		return append(b, 0xd1, byte(v>>8), byte(v))
	case v >= math.MinInt32:
		return append(b, 0xd2, byte(v>>24), byte(v>>16), byte(v>>8), byte(v))
	}
	b = append(b, 0xd3)
	return binary.BigEndian.AppendUint64(b, uint64(v))
}

// mpReader reads msgpack values from buf. The first problem is kept in err (a reason, without
// the field) and every later call returns a zero value, so callers check once at the end.
type mpReader struct {
	buf   []byte
	off   int
	err   string
	cause error // the error behind err, when a nested decoder failed
}

func (r *mpReader) fail(reason string) {
	if r.err == "" {
		r.err = reason
	}
	r.off = len(r.buf)
}

func (r *mpReader) ok() bool { return r.err == "" }

// next returns the next n bytes, or fails.
func (r *mpReader) next(n int) []byte {
	if r.err != "" {
		return nil
	}
	if n < 0 || len(r.buf)-r.off < n {
		r.fail("truncated")
		return nil
	}
	p := r.buf[r.off : r.off+n]
	r.off += n
	return p
}

func (r *mpReader) byte1() byte {
	p := r.next(1)
	if p == nil {
		return 0
	}
	return p[0]
}

// length reads an n-byte big-endian length (n = 1, 2 or 4) as an int that fits the buffer, so
// huge claimed lengths fail as truncated on every platform.
func (r *mpReader) length(n int) int {
	p := r.next(n)
	if p == nil {
		return 0
	}
	var v uint64
	for _, c := range p {
		v = v<<8 | uint64(c)
	}
	if v > uint64(len(r.buf)) {
		r.fail("truncated")
		return 0
	}
	return int(v)
}

// mapLen reads a map header.
func (r *mpReader) mapLen() int {
	c := r.byte1()
	switch {
	case !r.ok():
		return 0
	case c&0xf0 == 0x80:
		return int(c & 0x0f)
	case c == 0xde:
		return r.length(2)
	case c == 0xdf:
		return r.length(4)
	}
	r.fail("want a map")
	return 0
}

// str reads a string and returns its bytes, which alias buf. It must be valid UTF-8.
func (r *mpReader) str() []byte {
	c := r.byte1()
	var n int
	switch {
	case !r.ok():
		return nil
	case c&0xe0 == 0xa0:
		n = int(c & 0x1f)
	case c == 0xd9:
		n = r.length(1)
	case c == 0xda:
		n = r.length(2)
	case c == 0xdb:
		n = r.length(4)
	default:
		r.fail("want a string")
		return nil
	}
	p := r.next(n)
	if r.ok() && !utf8.Valid(p) {
		r.fail("string is not valid UTF-8")
		return nil
	}
	return p
}

// bin reads a bin 8 and returns its bytes, which alias buf.
func (r *mpReader) bin() []byte {
	if r.byte1() != 0xc4 {
		r.fail("want bin 8")
		return nil
	}
	return r.next(r.length(1))
}

func (r *mpReader) bool() bool {
	switch r.byte1() {
	case 0xc3:
		return true
	case 0xc2:
		return false
	}
	r.fail("want a boolean")
	return false
}

// integer reads any msgpack integer as a sign and magnitude.
func (r *mpReader) integer() (neg bool, mag uint64) {
	c := r.byte1()
	if !r.ok() {
		return false, 0
	}
	switch {
	case c < 0x80:
		return false, uint64(c)
	case c >= 0xe0:
		return true, uint64(-int64(int8(c)))
	}
	var n int
	signed := false
	switch c {
	case 0xcc, 0xcd, 0xce, 0xcf:
		n = 1 << (c - 0xcc)
	case 0xd0, 0xd1, 0xd2, 0xd3:
		n, signed = 1<<(c-0xd0), true
	default:
		r.fail("want an integer")
		return false, 0
	}
	p := r.next(n)
	if p == nil {
		return false, 0
	}
	var u uint64
	for _, b := range p {
		u = u<<8 | uint64(b)
	}
	if !signed {
		return false, u
	}
	shift := 64 - 8*uint(n)
	v := int64(u<<shift) >> shift // sign-extend
	if v >= 0 {
		return false, uint64(v)
	}
	return true, uint64(-(v + 1)) + 1
}

// uint reads a non-negative integer no larger than max.
func (r *mpReader) uint(max uint64) uint64 {
	neg, mag := r.integer()
	if !r.ok() {
		return 0
	}
	if neg || mag > max {
		r.fail("integer out of range")
		return 0
	}
	return mag
}

// int reads an integer that fits an int64.
func (r *mpReader) int() int64 {
	neg, mag := r.integer()
	if !r.ok() {
		return 0
	}
	switch {
	case !neg && mag <= math.MaxInt64:
		return int64(mag)
	case neg && mag <= 1<<63:
		return -int64(mag-1) - 1
	}
	r.fail("integer out of range")
	return 0
}

// skip passes over one value of any msgpack type.
func (r *mpReader) skip(depth int) {
	if depth > maxDepth {
		r.fail("nested too deeply")
		return
	}
	c := r.byte1()
	if !r.ok() {
		return
	}
	items := 0 // values that follow (map: 2 per entry)
	switch {
	case c < 0x80, c >= 0xe0, c == 0xc0, c == 0xc2, c == 0xc3: // fixint, nil, bool
	case c&0xf0 == 0x80:
		items = 2 * int(c&0x0f)
	case c&0xf0 == 0x90:
		items = int(c & 0x0f)
	case c&0xe0 == 0xa0:
		r.next(int(c & 0x1f))
	case c == 0xc4, c == 0xd9: // bin 8, str 8
		r.next(r.length(1))
	case c == 0xc5, c == 0xda:
		r.next(r.length(2))
	case c == 0xc6, c == 0xdb:
		r.next(r.length(4))
	case c == 0xc7: // ext 8
		r.next(r.length(1) + 1)
	case c == 0xc8:
		r.next(r.length(2) + 1)
	case c == 0xc9:
		r.next(r.length(4) + 1)
	case c == 0xca, c == 0xce, c == 0xd2: // float 32, uint 32, int 32
		r.next(4)
	case c == 0xcb, c == 0xcf, c == 0xd3:
		r.next(8)
	case c == 0xcc, c == 0xd0:
		r.next(1)
	case c == 0xcd, c == 0xd1:
		r.next(2)
	case c >= 0xd4 && c <= 0xd8: // fixext 1..16
		r.next(1<<(c-0xd4) + 1)
	case c == 0xdc:
		items = r.length(2)
	case c == 0xdd:
		items = r.length(4)
	case c == 0xde:
		items = 2 * r.length(2)
	case c == 0xdf:
		items = 2 * r.length(4)
	default: // 0xc1, never used
		r.fail("reserved msgpack type 0xc1")
	}
	for i := 0; i < items && r.ok(); i++ {
		r.skip(depth + 1)
	}
}
