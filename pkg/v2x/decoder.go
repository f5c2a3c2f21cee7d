package v2x

import (
	"math"
	"strconv"
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

func (d *decoder) wrap(name string)     { d.path = append(d.path, name) }
func (d *decoder) wrapIndex(i int)      { d.path = append(d.path, "["+strconv.Itoa(i)+"]") }
func (d *decoder) duplicate(key string) { d.failSchema("duplicate member " + key[:len(key)-1]) }
func (d *decoder) missing(name string) {
	d.failSchema("missing required member " + strconv.Quote(name))
}
func (d *decoder) unknown(k []byte) {
	if len(k) > 64 {
		k = k[:64]
	}
	d.failSchema("unknown member " + strconv.Quote(string(k)))
}

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

// member advances to the next member of an object, like objNext, and
// consumes its name when the input continues with exactly the expected
// one: json quoted and with its ':', mp with its msgpack header.
func (d *decoder) member(it *int, json, mp string) (more, hit bool) {
	if d.err != nil {
		return false, false
	}
	if d.mp {
		if *it == 0 {
			return false, false
		}
		*it--
		if mp != "" && len(d.buf)-d.pos >= len(mp) && string(d.buf[d.pos:d.pos+len(mp)]) == mp {
			d.pos += len(mp)
			return true, true
		}
		return true, false
	}
	c, ok := d.peek()
	if !ok {
		return false, false
	}
	if c == '}' {
		d.pos++
		return false, false
	}
	if *it != 0 {
		if c != ',' {
			d.fail("expected ',' or '}'")
			return false, false
		}
		d.pos++
		d.ws()
	}
	*it = 1
	if json != "" && len(d.buf)-d.pos >= len(json) && string(d.buf[d.pos:d.pos+len(json)]) == json {
		d.pos += len(json)
		return true, true
	}
	return true, false
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
