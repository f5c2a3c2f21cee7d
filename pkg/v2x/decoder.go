package v2x

import (
	"encoding/binary"
	"math"
	"math/bits"
	"strconv"
	"unicode/utf16"
	"unicode/utf8"
)

// decoder reads one JSON (RFC 8259) or msgpack document for the generated
// decode methods. The first error sticks: every read after it is a no-op,
// and the generated code unwinds, adding member names to the error path.
type decoder struct {
	buf     []byte
	pos     int
	mp      bool
	err     *DecodeError
	path    []string // error path, innermost first
	scratch []byte
}

func (d *decoder) fail(reason string) {
	if d.err == nil {
		d.err = &DecodeError{Offset: d.pos, Reason: reason}
	}
}

func (d *decoder) failSchema(reason string) {
	if d.err == nil {
		d.err = &DecodeError{Offset: d.pos, Reason: reason, schema: true}
	}
}

func (d *decoder) wrap(name string)      { d.path = append(d.path, name) }
func (d *decoder) wrapIndex(i int)       { d.path = append(d.path, "["+strconv.Itoa(i)+"]") }
func (d *decoder) duplicate(name string) { d.failSchema("duplicate member " + strconv.Quote(name)) }
func (d *decoder) missing(name string) {
	d.failSchema("missing required member " + strconv.Quote(name))
}
func (d *decoder) unknown(k []byte) { d.failSchema("unknown member " + strconv.Quote(string(k))) }

// finish checks that nothing but white space follows the document and
// returns the error, if any, with its path.
func (d *decoder) finish() error {
	if d.err == nil {
		if !d.mp {
			d.ws()
		}
		if d.pos != len(d.buf) {
			d.fail("trailing data after the message")
		}
	}
	if d.err == nil {
		return nil
	}
	f := ""
	for i := len(d.path) - 1; i >= 0; i-- {
		if f == "" {
			f = d.path[i]
		} else {
			f = joinPath(f, d.path[i])
		}
	}
	d.err.Field = f
	return d.err
}

func (d *decoder) ws() {
	if d.pos < len(d.buf) && d.buf[d.pos] > ' ' {
		return
	}
	for d.pos < len(d.buf) {
		switch d.buf[d.pos] {
		case ' ', '\t', '\n', '\r':
			d.pos++
		default:
			return
		}
	}
}

// peek skips white space and returns the next byte, failing at the end.
func (d *decoder) peek() (byte, bool) {
	d.ws()
	if d.pos >= len(d.buf) {
		d.fail("unexpected end of input")
		return 0, false
	}
	return d.buf[d.pos], true
}

// objStart opens an object; the result is the iteration state for objNext.
func (d *decoder) objStart() int {
	if d.err != nil {
		return 0
	}
	if d.mp {
		return d.mpHeader(0x80, 0xde, "an object")
	}
	if c, ok := d.peek(); ok {
		if c != '{' {
			d.fail("expected an object")
			return 0
		}
		d.pos++
	}
	return 0
}

// objNext reports whether another member follows; the caller then reads
// its key with key and its value.
func (d *decoder) objNext(it *int) bool {
	if d.err != nil {
		return false
	}
	if d.mp {
		if *it == 0 {
			return false
		}
		*it--
		return true
	}
	c, ok := d.peek()
	if !ok {
		return false
	}
	if c == '}' {
		d.pos++
		return false
	}
	if *it != 0 {
		if c != ',' {
			d.fail("expected ',' or '}'")
			return false
		}
		d.pos++
	}
	*it = 1
	return true
}

func (d *decoder) arrStart() int {
	if d.err != nil {
		return 0
	}
	if d.mp {
		return d.mpHeader(0x90, 0xdc, "an array")
	}
	if c, ok := d.peek(); ok {
		if c != '[' {
			d.fail("expected an array")
			return 0
		}
		d.pos++
	}
	return 0
}

func (d *decoder) arrNext(it *int) bool {
	if d.err != nil {
		return false
	}
	if d.mp {
		if *it == 0 {
			return false
		}
		*it--
		return true
	}
	c, ok := d.peek()
	if !ok {
		return false
	}
	if c == ']' {
		d.pos++
		return false
	}
	if *it != 0 {
		if c != ',' {
			d.fail("expected ',' or ']'")
			return false
		}
		d.pos++
	}
	*it = 1
	return true
}

// key reads a member name and, in JSON, the ':' after it. The result is
// valid until the next read.
func (d *decoder) key() []byte {
	if d.err != nil {
		return nil
	}
	var k []byte
	if d.mp {
		k = d.mpStr()
		if k == nil && d.err == nil {
			k = []byte{}
		}
		return k
	}
	if c, ok := d.peek(); !ok || c != '"' {
		d.fail("expected a member name")
		return nil
	}
	k = d.jsonStr(false)
	if c, ok := d.peek(); ok {
		if c != ':' {
			d.fail("expected ':'")
			return nil
		}
		d.pos++
	}
	return k
}

// plainByte marks the bytes a JSON string holds as they are: printable
// ASCII other than '"' and '\\'.
var plainByte = func() (t [256]bool) {
	for c := 0x20; c < 0x80; c++ {
		t[c] = c != '"' && c != '\\'
	}
	return t
}()

const (
	lsb = 0x0101010101010101
	msb = 0x8080808080808080
)

// hasZeroByte flags (with 0x80) the bytes of x that are zero, exactly up to
// and including the lowest one.
func hasZeroByte(x uint64) uint64 { return (x - lsb) &^ x & msb }

// jsonStr reads a JSON string at d.pos (on the opening quote). Without
// escapes it returns a slice of the input; otherwise d.scratch.
func (d *decoder) jsonStr(checkUTF8 bool) []byte {
	d.pos++ // '"'
	start := d.pos
	buf := d.buf
	i := start
	for {
		// Eight bytes at a time while they are plain: the lowest flagged
		// byte of each test is exact, so is the lowest of their union.
		for i+8 <= len(buf) {
			w := binary.LittleEndian.Uint64(buf[i:])
			special := hasZeroByte(w^(lsb*'"')) | hasZeroByte(w^(lsb*'\\')) | ((w - lsb*0x20) &^ w & msb) | (w & msb)
			if special != 0 {
				i += bits.TrailingZeros64(special) / 8
				break
			}
			i += 8
		}
		for i < len(buf) && plainByte[buf[i]] {
			i++
		}
		if i >= len(buf) {
			d.pos = len(buf)
			d.fail("unterminated string")
			return nil
		}
		switch c := buf[i]; {
		case c == '"':
			s := buf[start:i]
			if checkUTF8 && !utf8.Valid(s) {
				d.fail("invalid UTF-8 in string")
				return nil
			}
			d.pos = i + 1
			return s
		case c == '\\':
			d.pos = i
			return d.jsonStrSlow(start, checkUTF8)
		case c < 0x20:
			d.pos = i
			d.fail("control character in string")
			return nil
		}
		i++ // UTF-8, checked at the end
	}
}

func (d *decoder) jsonStrSlow(start int, checkUTF8 bool) []byte {
	out := append(d.scratch[:0], d.buf[start:d.pos]...)
	for d.pos < len(d.buf) {
		c := d.buf[d.pos]
		switch {
		case c == '"':
			d.pos++
			d.scratch = out
			if checkUTF8 && !utf8.Valid(out) {
				d.fail("invalid UTF-8 in string")
				return nil
			}
			return out
		case c < 0x20:
			d.fail("control character in string")
			return nil
		case c != '\\':
			out = append(out, c)
			d.pos++
			continue
		}
		if d.pos+1 >= len(d.buf) {
			break
		}
		e := d.buf[d.pos+1]
		d.pos += 2
		switch e {
		case '"', '\\', '/':
			out = append(out, e)
		case 'b':
			out = append(out, '\b')
		case 'f':
			out = append(out, '\f')
		case 'n':
			out = append(out, '\n')
		case 'r':
			out = append(out, '\r')
		case 't':
			out = append(out, '\t')
		case 'u':
			r, ok := d.hex4()
			if !ok {
				return nil
			}
			if utf16.IsSurrogate(r) {
				r2 := rune(-1)
				if d.pos+1 < len(d.buf) && d.buf[d.pos] == '\\' && d.buf[d.pos+1] == 'u' {
					d.pos += 2
					if r2, ok = d.hex4(); !ok {
						return nil
					}
				}
				if r = utf16.DecodeRune(r, r2); r == utf8.RuneError {
					d.fail("invalid surrogate pair in string")
					return nil
				}
			}
			out = utf8.AppendRune(out, r)
		default:
			d.pos -= 2
			d.fail("invalid escape in string")
			return nil
		}
	}
	d.fail("unterminated string")
	return nil
}

func (d *decoder) hex4() (rune, bool) {
	if d.pos+4 > len(d.buf) {
		d.fail("short \\u escape")
		return 0, false
	}
	var r rune
	for _, c := range d.buf[d.pos : d.pos+4] {
		switch {
		case c >= '0' && c <= '9':
			r = r<<4 | rune(c-'0')
		case c >= 'a' && c <= 'f':
			r = r<<4 | rune(c-'a'+10)
		case c >= 'A' && c <= 'F':
			r = r<<4 | rune(c-'A'+10)
		default:
			d.fail("invalid \\u escape")
			return 0, false
		}
	}
	d.pos += 4
	return r, true
}

func (d *decoder) str() string { return string(d.rawStr()) }

// strConst reads a string that is expected to equal c; it returns c itself
// then, saving the allocation.
func (d *decoder) strConst(c string) string {
	raw := d.rawStr()
	if string(raw) == c {
		return c
	}
	return string(raw)
}

// rawStr reads a string value, valid until the next read.
func (d *decoder) rawStr() []byte {
	if d.err != nil {
		return nil
	}
	if d.mp {
		s := d.mpStr()
		if d.err == nil && !utf8.Valid(s) {
			d.fail("invalid UTF-8 in string")
		}
		return s
	}
	if c, ok := d.peek(); !ok || c != '"' {
		d.fail("expected a string")
		return nil
	}
	return d.jsonStr(true)
}

func (d *decoder) bool() bool {
	if d.err != nil {
		return false
	}
	if d.mp {
		if d.pos < len(d.buf) {
			switch d.buf[d.pos] {
			case 0xc2:
				d.pos++
				return false
			case 0xc3:
				d.pos++
				return true
			}
		}
		d.fail("expected a boolean")
		return false
	}
	d.ws()
	rest := d.buf[d.pos:]
	switch {
	case len(rest) >= 4 && string(rest[:4]) == "true":
		d.pos += 4
		return true
	case len(rest) >= 5 && string(rest[:5]) == "false":
		d.pos += 5
		return false
	}
	d.fail("expected a boolean")
	return false
}

// number reads an integer literal: its magnitude and sign.
func (d *decoder) number() (mag uint64, neg bool) {
	if d.mp {
		return d.mpNumber()
	}
	c, ok := d.peek()
	if !ok {
		return 0, false
	}
	if c == '-' {
		neg = true
		d.pos++
	}
	start := d.pos
	for d.pos < len(d.buf) {
		c := d.buf[d.pos]
		if c < '0' || c > '9' {
			break
		}
		if mag > (math.MaxUint64-9)/10 {
			d.fail("integer overflows")
			return 0, false
		}
		mag = mag*10 + uint64(c-'0')
		d.pos++
	}
	n := d.pos - start
	switch {
	case n == 0:
		d.fail("expected an integer")
	case n > 1 && d.buf[start] == '0':
		d.pos = start
		d.fail("leading zero in number")
	case d.pos < len(d.buf) && (d.buf[d.pos] == '.' || d.buf[d.pos] == 'e' || d.buf[d.pos] == 'E'):
		d.failSchema("expected an integer")
	}
	return mag, neg
}

func (d *decoder) int(lo, hi int64) int64 {
	if d.err != nil {
		return 0
	}
	mag, neg := d.number()
	if d.err != nil {
		return 0
	}
	if neg {
		if mag > uint64(-(lo+1))+1 {
			d.failSchema("integer below " + strconv.FormatInt(lo, 10))
			return 0
		}
		return -int64(mag-1) - 1
	}
	if mag > uint64(hi) {
		d.failSchema("integer above " + strconv.FormatInt(hi, 10))
		return 0
	}
	return int64(mag)
}

func (d *decoder) uint(hi uint64) uint64 {
	if d.err != nil {
		return 0
	}
	mag, neg := d.number()
	if d.err != nil {
		return 0
	}
	if neg && mag != 0 {
		d.failSchema("negative integer for an unsigned member")
		return 0
	}
	if mag > hi {
		d.failSchema("integer above " + strconv.FormatUint(hi, 10))
		return 0
	}
	return mag
}

// ---- msgpack ----

func (d *decoder) need(n int) bool {
	if len(d.buf)-d.pos < n {
		d.fail("unexpected end of input")
		return false
	}
	return true
}

// mpHeader reads a map (fix 0x80, 16-bit at long) or array header (0x90, 0xdc).
func (d *decoder) mpHeader(fix, long byte, what string) int {
	if !d.need(1) {
		return 0
	}
	c := d.buf[d.pos]
	var n int
	switch {
	case c&0xf0 == fix:
		n = int(c & 0x0f)
		d.pos++
	case c == long:
		if !d.need(3) {
			return 0
		}
		n = int(binary.BigEndian.Uint16(d.buf[d.pos+1:]))
		d.pos += 3
	case c == long+1:
		if !d.need(5) {
			return 0
		}
		n = int(binary.BigEndian.Uint32(d.buf[d.pos+1:]))
		d.pos += 5
	default:
		d.fail("expected " + what)
		return 0
	}
	if n > len(d.buf)-d.pos { // every entry takes at least one byte
		d.fail("length beyond the end of input")
		return 0
	}
	return n
}

func (d *decoder) mpStr() []byte {
	if !d.need(1) {
		return nil
	}
	c := d.buf[d.pos]
	var n, h int
	switch {
	case c&0xe0 == 0xa0:
		n, h = int(c&0x1f), 1
	case c == 0xd9 && d.need(2):
		n, h = int(d.buf[d.pos+1]), 2
	case c == 0xda && d.need(3):
		n, h = int(binary.BigEndian.Uint16(d.buf[d.pos+1:])), 3
	case c == 0xdb && d.need(5):
		n, h = int(binary.BigEndian.Uint32(d.buf[d.pos+1:])), 5
	default:
		d.fail("expected a string")
		return nil
	}
	if !d.need(h + n) {
		return nil
	}
	s := d.buf[d.pos+h : d.pos+h+n]
	d.pos += h + n
	return s
}

func (d *decoder) mpNumber() (uint64, bool) {
	if !d.need(1) {
		return 0, false
	}
	c := d.buf[d.pos]
	switch {
	case c <= 0x7f:
		d.pos++
		return uint64(c), false
	case c >= 0xe0:
		d.pos++
		return uint64(-int64(int8(c))), true
	}
	var n int
	switch c {
	case 0xcc, 0xd0:
		n = 1
	case 0xcd, 0xd1:
		n = 2
	case 0xce, 0xd2:
		n = 4
	case 0xcf, 0xd3:
		n = 8
	case 0xca, 0xcb:
		d.failSchema("expected an integer, not a float")
		return 0, false
	default:
		d.fail("expected an integer")
		return 0, false
	}
	if !d.need(1 + n) {
		return 0, false
	}
	b := d.buf[d.pos+1 : d.pos+1+n]
	d.pos += 1 + n
	var u uint64
	for _, x := range b {
		u = u<<8 | uint64(x)
	}
	if c >= 0xd0 { // signed
		shift := 64 - 8*n
		v := int64(u<<shift) >> shift
		if v < 0 {
			return uint64(-(v + 1)) + 1, true
		}
		return uint64(v), false
	}
	return u, false
}
