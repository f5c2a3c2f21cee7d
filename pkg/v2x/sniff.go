package v2x

// sniffType finds the envelope's message_type without decoding the rest.
func sniffType(data []byte, mp bool) (MessageType, error) {
	d := decoder{buf: data, mp: mp}
	it := d.objStart()
	for d.objNext(&it) {
		k := d.key()
		if d.err != nil {
			break
		}
		if string(k) == "message_type" {
			t := MessageType(d.str())
			if d.err != nil {
				d.wrap("message_type")
				break
			}
			return t, nil
		}
		d.skip(0)
	}
	if d.err == nil {
		d.missing("message_type")
	}
	return "", d.finish()
}

const maxSkipDepth = 32

// skip passes over one value of any type.
func (d *decoder) skip(depth int) {
	if d.err != nil {
		return
	}
	if depth > maxSkipDepth {
		d.fail("nesting too deep")
		return
	}
	if d.mp {
		d.mpSkip(depth)
		return
	}
	c, ok := d.peek()
	if !ok {
		return
	}
	switch {
	case c == '{':
		it := d.objStart()
		for d.objNext(&it) {
			d.key()
			d.skip(depth + 1)
		}
	case c == '[':
		it := d.arrStart()
		for d.arrNext(&it) {
			d.skip(depth + 1)
		}
	case c == '"':
		d.jsonStr(false)
	case c == 't' || c == 'f':
		d.bool()
	case c == 'n':
		if len(d.buf)-d.pos >= 4 && string(d.buf[d.pos:d.pos+4]) == "null" {
			d.pos += 4
			return
		}
		d.fail("invalid literal")
	default:
		d.number()
		if d.err == nil && d.pos < len(d.buf) && (d.buf[d.pos] == '.' || d.buf[d.pos] == 'e' || d.buf[d.pos] == 'E') {
			d.fail("fractions are not expected here")
		}
	}
}

func (d *decoder) mpSkip(depth int) {
	if !d.need(1) {
		return
	}
	c := d.buf[d.pos]
	switch {
	case c&0xf0 == 0x80 || c == 0xde || c == 0xdf:
		n := d.mpHeader(0x80, 0xde, "an object")
		for i := 0; i < n && d.err == nil; i++ {
			d.skip(depth + 1)
			d.skip(depth + 1)
		}
	case c&0xf0 == 0x90 || c == 0xdc || c == 0xdd:
		n := d.mpHeader(0x90, 0xdc, "an array")
		for i := 0; i < n && d.err == nil; i++ {
			d.skip(depth + 1)
		}
	case c&0xe0 == 0xa0 || (c >= 0xd9 && c <= 0xdb):
		d.mpStr()
	case c == 0xc0 || c == 0xc2 || c == 0xc3:
		d.pos++
	case c == 0xca:
		if d.need(5) {
			d.pos += 5
		}
	case c == 0xcb:
		if d.need(9) {
			d.pos += 9
		}
	default:
		d.mpNumber()
	}
}
