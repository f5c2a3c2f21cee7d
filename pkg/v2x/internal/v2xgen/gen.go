package main

import (
	"bytes"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
)

type gen struct {
	w    io.Writer
	defs map[string]*structDef
}

func (g *gen) p(format string, args ...any) { fmt.Fprintf(g.w, format+"\n", args...) }

// scalar returns the type to read a scalar as and its bounds.
func typeBounds(t *typ) (lo int64, hi uint64) {
	switch t.kind {
	case kInt:
		return -1 << (t.bits - 1), 1<<(t.bits-1) - 1
	case kUint:
		if t.bits == 64 {
			return 0, math.MaxUint64
		}
		return 0, 1<<t.bits - 1
	}
	return 0, 0
}

// ---- decode ----

func (g *gen) decode(d *structDef) {
	// Members usually come in schema order (its-client writes them so): the
	// next expected key is compared as raw bytes first, and only a miss pays
	// for the general key scan and switch.
	g.p("var keys%s = [...]string{", d.name)
	for _, f := range d.fields {
		g.p("%q, %q,", strconv.Quote(f.name)+":", mpKey(f.name))
	}
	g.p("}\n")
	g.p("func (v *%s) decode(d *decoder) {", d.name)
	g.p("var seen uint64")
	g.p("next := 0")
	g.p("it := d.objStart()")
	g.p("for {")
	g.p("jk, mk := \"\", \"\"")
	g.p("if next < %d { jk, mk = keys%s[2*next], keys%s[2*next+1] }", len(d.fields), d.name, d.name)
	g.p("more, hit := d.member(&it, jk, mk)")
	g.p("if !more { break }")
	g.p("i := next")
	g.p("if !hit {")
	g.p("k := d.key()")
	g.p("if d.err != nil { return }")
	g.p("switch string(k) {")
	for i, f := range d.fields {
		g.p("case %q: i = %d", f.name, i)
	}
	g.p("default:")
	g.p("d.unknown(k); return")
	g.p("}")
	g.p("}")
	g.p("next = i + 1")
	g.p("if seen&(1<<i) != 0 { d.duplicate(keys%s[2*i]); return }", d.name)
	g.p("seen |= 1 << i")
	g.p("switch i {")
	for i, f := range d.fields {
		g.p("case %d:", i)
		g.decodeField(f)
		g.p("if d.err != nil { d.wrap(%q); return }", f.name)
	}
	g.p("}")
	g.p("}")
	g.p("if d.err != nil { return }")
	for i, f := range d.fields {
		if !f.optional {
			g.p("if seen&(1<<%d) == 0 { d.missing(%q); return }", i, f.name)
		}
	}
	g.p("}\n")
}

func (g *gen) scalarRead(t *typ) string {
	lo, hi := typeBounds(t)
	switch t.kind {
	case kInt:
		return fmt.Sprintf("%s(d.int(%d, %d))", t.name, lo, hi)
	case kUint:
		return fmt.Sprintf("%s(d.uint(%d))", t.name, hi)
	case kBool:
		return "d.bool()"
	case kString:
		if t.name == "string" {
			return "d.str()"
		}
		return t.name + "(d.str())"
	}
	panic("not scalar")
}

func (g *gen) decodeField(f field) {
	if f.konst != nil && f.t.kind == kString {
		g.p("v.%s = %s(d.strConst(%q))", f.goName, f.t.name, *f.konst)
		return
	}
	g.decodeInto(f.t, "v."+f.goName, 0)
}

func (g *gen) decodeInto(t *typ, target string, depth int) {
	switch t.kind {
	case kInt, kUint, kBool, kString:
		g.p("%s = %s", target, g.scalarRead(t))
	case kStruct:
		g.p("%s.decode(d)", target)
	case kPtr:
		if t.elem.kind == kStruct {
			g.p("%s = new(%s)", target, t.elem.name)
			g.p("%s.decode(d)", target)
		} else {
			g.p("{ x := %s; %s = &x }", g.scalarRead(t.elem), target)
		}
	case kSlice:
		s := "s" + strconv.Itoa(depth)
		it := "it" + strconv.Itoa(depth)
		i := "i" + strconv.Itoa(depth)
		g.p("{")
		g.p("%s := %s{}", s, t.name)
		g.p("%s := d.arrStart()", it)
		g.p("for %s := 0; d.arrNext(&%s); %s++ {", i, it, i)
		switch t.elem.kind {
		case kStruct:
			g.p("%s = append(%s, %s{})", s, s, t.elem.name)
			g.p("%s[len(%s)-1].decode(d)", s, s)
		case kSlice:
			e := "e" + strconv.Itoa(depth)
			g.p("var %s %s", e, t.elem.name)
			g.decodeInto(t.elem, e, depth+1)
			g.p("%s = append(%s, %s)", s, s, e)
		default:
			g.p("%s = append(%s, %s)", s, s, g.scalarRead(t.elem))
		}
		g.p("if d.err != nil { d.wrapIndex(%s); break }", i)
		g.p("}")
		g.p("%s = %s", target, s)
		g.p("}")
	}
}

// ---- JSON ----

func (g *gen) appendJSON(d *structDef) {
	g.p("func (v *%s) appendJSON(b []byte) []byte {", d.name)
	known := false
	g.p("b = append(b, '{')")
	if len(d.fields) > 0 && d.fields[0].optional {
		g.p("start := len(b)")
		g.p("_ = start")
	}
	for i, f := range d.fields {
		key := strconv.Quote(f.name) + ":"
		if f.optional {
			g.p("if v.%s != nil {", f.goName)
		}
		switch {
		case i == 0:
			g.p("b = append(b, %q...)", key)
		case known:
			g.p("b = append(b, %q...)", ","+key)
		default:
			g.p("if len(b) > start { b = append(b, ',') }")
			g.p("b = append(b, %q...)", key)
		}
		t := f.t
		expr := "v." + f.goName
		if t.kind == kPtr {
			t = t.elem
			if t.kind != kStruct {
				expr = "*" + expr
			}
		}
		g.jsonValue(t, expr, 0)
		if f.optional {
			g.p("}")
		} else {
			known = true
		}
	}
	g.p("return append(b, '}')")
	g.p("}\n")
}

func (g *gen) jsonValue(t *typ, expr string, depth int) {
	switch t.kind {
	case kInt:
		g.p("b = strconv.AppendInt(b, int64(%s), 10)", expr)
	case kUint:
		g.p("b = strconv.AppendUint(b, uint64(%s), 10)", expr)
	case kBool:
		g.p("b = strconv.AppendBool(b, %s)", expr)
	case kString:
		g.p("b = appendJSONString(b, string(%s))", expr)
	case kStruct:
		g.p("b = %s.appendJSON(b)", expr)
	case kSlice:
		i := "i" + strconv.Itoa(depth)
		g.p("b = append(b, '[')")
		g.p("for %s := range %s {", i, expr)
		g.p("if %s > 0 { b = append(b, ',') }", i)
		g.jsonValue(t.elem, expr+"["+i+"]", depth+1)
		g.p("}")
		g.p("b = append(b, ']')")
	}
}

// ---- msgpack ----

func (g *gen) appendMsgpack(d *structDef) {
	g.p("func (v *%s) appendMsgpack(b []byte) []byte {", d.name)
	req := 0
	for _, f := range d.fields {
		if !f.optional {
			req++
		}
	}
	g.p("n := %d", req)
	for _, f := range d.fields {
		if f.optional {
			g.p("if v.%s != nil { n++ }", f.goName)
		}
	}
	g.p("b = mpMapHeader(b, n)")
	for _, f := range d.fields {
		if f.optional {
			g.p("if v.%s != nil {", f.goName)
		}
		g.p("b = append(b, %q...)", mpKey(f.name))
		t := f.t
		expr := "v." + f.goName
		if t.kind == kPtr {
			t = t.elem
			if t.kind != kStruct {
				expr = "*" + expr
			}
		}
		g.mpValue(t, expr, 0)
		if f.optional {
			g.p("}")
		}
	}
	g.p("return b")
	g.p("}\n")
}

func mpKey(s string) string {
	if len(s) < 32 {
		return string([]byte{byte(0xa0 | len(s))}) + s
	}
	return string([]byte{0xd9, byte(len(s))}) + s
}

func (g *gen) mpValue(t *typ, expr string, depth int) {
	switch t.kind {
	case kInt:
		g.p("b = mpInt(b, int64(%s))", expr)
	case kUint:
		g.p("b = mpUint(b, uint64(%s))", expr)
	case kBool:
		g.p("b = mpBool(b, %s)", expr)
	case kString:
		g.p("b = mpString(b, string(%s))", expr)
	case kStruct:
		g.p("b = %s.appendMsgpack(b)", expr)
	case kSlice:
		i := "i" + strconv.Itoa(depth)
		g.p("b = mpArrayHeader(b, len(%s))", expr)
		g.p("for %s := range %s {", i, expr)
		g.mpValue(t.elem, expr+"["+i+"]", depth+1)
		g.p("}")
	}
}

// ---- validate ----

func (g *gen) needsValidate(t *typ) bool {
	switch t.kind {
	case kStruct:
		d := g.defs[t.name]
		if d.check {
			return true
		}
		for _, f := range d.fields {
			if f.lo.set || f.hi.set || f.ilo.set || f.ihi.set || f.llo.set || f.lhi.set || f.konst != nil || f.enum != nil || g.needsValidate(f.t) {
				return true
			}
		}
		return false
	case kPtr, kSlice:
		return g.needsValidate(t.elem)
	}
	return false
}

func (g *gen) validate(d *structDef) {
	g.p("func (v *%s) validate() error {", d.name)
	for _, f := range d.fields {
		expr := "v." + f.goName
		t := f.t
		if t.kind == kPtr {
			inner := "*" + expr
			if t.elem.kind == kStruct {
				inner = expr
			}
			var buf bytes.Buffer
			w := g.w
			g.w = &buf
			g.checkValue(f, t.elem, inner)
			g.w = w
			if buf.Len() > 0 {
				g.p("if %s != nil {", expr)
				g.w.Write(buf.Bytes())
				g.p("}")
			}
			continue
		}
		if t.kind == kSlice {
			if f.ilo.set || f.ihi.set {
				cond := g.boundCond("len("+expr+")", f.ilo, f.ihi, 0, math.MaxInt64)
				if cond != "" && f.optional {
					cond = expr + " != nil && (" + cond + ")"
				}
				if cond != "" {
					g.p("if %s { return countError(%q, len(%s), %s, %s) }", cond, f.name, expr, bstr(f.ilo), bstr(f.ihi))
				}
			}
			if t.elem.kind != kSlice && (g.needsValidate(t.elem) || f.lo.set || f.hi.set) {
				g.p("for i := range %s {", expr)
				el := t.elem
				switch el.kind {
				case kStruct:
					g.p("if err := %s[i].validate(); err != nil { return wrapIndex(%q, i, err) }", expr, f.name)
				case kSlice:
					// nested slices are checked by a check hook
				default:
					cond := g.scalarCond(el, expr+"[i]", f)
					if cond != "" {
						g.p("if %s { return wrapIndex(%q, i, rangeError(\"\", int64(%s[i]), %d, %d)) }", cond, f.name, expr, f.lo.v, f.hi.v)
					}
				}
				g.p("}")
			}
			continue
		}
		g.checkValue(f, t, expr)
	}
	if d.check {
		g.p("return v.check()")
	} else {
		g.p("return nil")
	}
	g.p("}\n")
}

func bstr(b bound) string {
	if !b.set {
		return "-1"
	}
	return strconv.FormatInt(b.v, 10)
}

func (g *gen) boundCond(expr string, lo, hi bound, tmin int64, tmax uint64) string {
	var c []string
	if lo.set && lo.v > tmin {
		c = append(c, fmt.Sprintf("%s < %d", expr, lo.v))
	}
	if hi.set && (hi.v < 0 || uint64(hi.v) < tmax) {
		c = append(c, fmt.Sprintf("%s > %d", expr, hi.v))
	}
	switch len(c) {
	case 0:
		return ""
	case 1:
		return c[0]
	}
	return c[0] + " || " + c[1]
}

func (g *gen) scalarCond(t *typ, expr string, f field) string {
	if t.kind != kInt && t.kind != kUint {
		return ""
	}
	if !f.lo.set && !f.hi.set {
		return ""
	}
	lo, hi := typeBounds(t)
	return g.boundCond(expr, f.lo, f.hi, lo, hi)
}

func (g *gen) checkValue(f field, t *typ, expr string) {
	switch t.kind {
	case kInt, kUint:
		if cond := g.scalarCond(t, expr, f); cond != "" {
			g.p("if %s { return rangeError(%q, int64(%s), %d, %d) }", cond, f.name, expr, f.lo.v, f.hi.v)
		}
	case kString:
		if f.konst != nil {
			g.p("if %s != %q { return constError(%q, string(%s), %q) }", expr, *f.konst, f.name, expr, *f.konst)
		}
		if f.enum != nil {
			g.p("switch %s {", expr)
			g.p("case %s:", quoteList(f.enum))
			g.p("default: return enumError(%q, string(%s), %q)", f.name, expr, strings.Join(f.enum, "|"))
			g.p("}")
		}
		if f.llo.set || f.lhi.set {
			g.p("if n := runeCount(string(%s)); %s { return lengthError(%q, n, %s, %s) }", expr, g.boundCond("n", f.llo, f.lhi, 0, math.MaxInt64), f.name, bstr(f.llo), bstr(f.lhi))
		}
	case kStruct:
		if g.needsValidate(t) {
			g.p("if err := %s.validate(); err != nil { return wrapField(%q, err) }", expr, f.name)
		}
	}
}

func quoteList(ss []string) string {
	s := ""
	for i, x := range ss {
		if i > 0 {
			s += ", "
		}
		s += strconv.Quote(x)
	}
	return s
}
