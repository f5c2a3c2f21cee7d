package v2x

import "encoding/binary"

// The msgpack half of decoder: the same documents, with map and array
// headers instead of brackets, and every integer format accepted.

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
		n = clampLen(binary.BigEndian.Uint32(d.buf[d.pos+1:]))
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
		n, h = clampLen(binary.BigEndian.Uint32(d.buf[d.pos+1:])), 5
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

// clampLen converts a 32-bit length without overflowing int on 32-bit
// platforms; anything above MaxMessageSize fails the length checks anyway.
func clampLen(u uint32) int {
	if u > MaxMessageSize+1 {
		return MaxMessageSize + 1
	}
	return int(u)
}
