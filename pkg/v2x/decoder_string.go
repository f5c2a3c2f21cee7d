package v2x

import (
	"encoding/binary"
	"math/bits"
	"unicode/utf16"
	"unicode/utf8"
)

// JSON strings (RFC 8259 §7): the scan that finds the closing quote eight
// bytes at a time, and the slow path for escapes.

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
