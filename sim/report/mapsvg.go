package report

import (
	"fmt"
	"html"
	"math"
	"strings"

	"github.com/michi-v2x/michi/pkg/geo"
)

// The map is drawn in a local east-north plane (metres) fitted to everything it shows: the
// roads, the traces, the sensors with their range and the hazards with their relevance circle,
// so nothing is clipped. Hazard labels follow one collision rule (placeLabel): the first of a
// few spots around the marker that lies inside the map and overlaps no label or marker placed
// before it; a label with no free spot is left out and named under the map instead.

const (
	mapW, mapMaxH, mapMinH = 1000.0, 800.0, 240.0
	mapMargin              = 24.0 // px around the content, room for the scale bar
	labelFont              = 11.0 // px, monospace: every glyph 0.6 em wide (textLength holds it)
	labelCharW, labelH     = 0.6 * labelFont, labelFont + 3
)

// box is an axis-aligned rectangle in SVG pixels.
type box struct{ x0, y0, x1, y1 float64 }

func (b box) overlaps(o box) bool { return b.x0 < o.x1 && o.x0 < b.x1 && b.y0 < o.y1 && o.y0 < b.y1 }

func (b box) inside(o box) bool { return b.x0 >= o.x0 && b.y0 >= o.y0 && b.x1 <= o.x1 && b.y1 <= o.y1 }

// circleOf is the bounding box of a circle.
func circleOf(x, y, r float64) box { return box{x - r, y - r, x + r, y + r} }

// mapLabel is a placed hazard label: its text and its box (the text's baseline is y1-3).
type mapLabel struct {
	text string
	at   box
}

// mapLayout is the map in pixels: its size, the projection and the drawn features' boxes.
type mapLayout struct {
	w, h    float64
	xy      func(geo.Point) (float64, float64)
	scale   float64 // px per metre
	shapes  []box   // every drawn circle, marker and road end (for tests: all inside the map)
	markers []box   // hazard triangles
	bar     float64 // the scale bar's length, metres
	labels  []mapLabel
	omitted []string // hazard ids with no free spot for their label
}

// layoutMap fits the map's content into the page and places the hazard labels; ok is false
// when there is nothing to draw.
func layoutMap(m *Map) (l mapLayout, ok bool) {
	type disc struct {
		p geo.Point
		r float64 // metres
	}
	var discs []disc
	for _, ln := range m.Lanes {
		discs = append(discs, disc{ln[0], 0}, disc{ln[1], 0})
	}
	for _, p := range m.Traces {
		discs = append(discs, disc{p, 0})
	}
	for _, s := range m.Sensors {
		discs = append(discs, disc{s.Pos, s.RangeM})
	}
	for _, h := range m.Hazards {
		discs = append(discs, disc{h.Pos, h.RadiusM})
	}
	for _, ps := range [][]geo.Point{m.Warned, m.Missed, m.False} {
		for _, p := range known(ps) {
			discs = append(discs, disc{p, 0})
		}
	}
	if len(discs) == 0 {
		return l, false
	}
	pr := geo.NewProjection(discs[0].p)
	b := box{math.Inf(1), math.Inf(1), math.Inf(-1), math.Inf(-1)}
	for _, d := range discs {
		e, n := pr.ToLocal(d.p)
		b = box{min(b.x0, e-d.r), min(b.y0, n-d.r), max(b.x1, e+d.r), max(b.y1, n+d.r)}
	}
	wM, hM := max(b.x1-b.x0, 50), max(b.y1-b.y0, 50)
	inner := mapW - 2*mapMargin
	l.scale = min(inner/wM, (mapMaxH-2*mapMargin)/hM)
	l.w = mapW
	l.h = max(hM*l.scale+2*mapMargin, mapMinH)
	// centre the content in the frame
	offX := mapMargin + (inner-wM*l.scale)/2 - (b.x0 * l.scale)
	offY := (l.h-hM*l.scale)/2 + b.y1*l.scale
	l.xy = func(p geo.Point) (float64, float64) {
		e, n := pr.ToLocal(p)
		return offX + e*l.scale, offY - n*l.scale
	}
	for _, d := range discs {
		x, y := l.xy(d.p)
		l.shapes = append(l.shapes, circleOf(x, y, max(d.r*l.scale, 3)))
	}
	for _, h := range m.Hazards {
		x, y := l.xy(h.Pos)
		mk := box{x - 6, y - 7, x + 6, y + 3} // the triangle drawn by mapSVG
		l.markers = append(l.markers, mk)
		l.shapes = append(l.shapes, mk)
	}
	l.bar = niceStep((l.w-2*mapMargin)/l.scale/5, 1)
	bar := box{mapMargin, l.h - 24, mapMargin + max(l.bar*l.scale, 60), l.h}
	frame := box{0, 0, l.w, l.h}
	obstacles := append(append([]box(nil), l.markers...), bar)
	for i, h := range m.Hazards {
		if lb, ok := placeLabel(h.ID, l.markers[i], frame, obstacles, l.labels); ok {
			l.labels = append(l.labels, lb)
		} else {
			l.omitted = append(l.omitted, h.ID)
		}
	}
	return l, true
}

// placeLabel tries spots right of, left of, above and below the marker, then the same sides
// one and two lines further out, and takes the first inside the frame that overlaps no
// marker and no label placed so far.
func placeLabel(text string, mk box, frame box, markers []box, placed []mapLabel) (mapLabel, bool) {
	w := float64(len([]rune(text)))*labelCharW + 2
	cy := (mk.y0 + mk.y1) / 2
	cx := (mk.x0 + mk.x1) / 2
	for ring := 0.0; ring < 3; ring++ {
		d := ring * labelH
		for _, at := range []box{
			{mk.x1 + 2, cy - labelH/2 - d, mk.x1 + 2 + w, cy + labelH/2 - d}, // right (higher on outer rings)
			{mk.x0 - 2 - w, cy - labelH/2 + d, mk.x0 - 2, cy + labelH/2 + d}, // left (lower)
			{cx - w/2, mk.y0 - 2 - labelH - d, cx + w/2, mk.y0 - 2 - d},      // above
			{cx - w/2, mk.y1 + 2 + d, cx + w/2, mk.y1 + 2 + labelH + d},      // below
			{mk.x1 + 2, cy - labelH/2 + d, mk.x1 + 2 + w, cy + labelH/2 + d}, // right, lower
			{mk.x0 - 2 - w, cy - labelH/2 - d, mk.x0 - 2, cy + labelH/2 - d}, // left, higher
		} {
			if !at.inside(frame) {
				continue
			}
			free := true
			for _, o := range markers {
				free = free && !at.overlaps(o)
			}
			for _, o := range placed {
				free = free && !at.overlaps(o.at)
			}
			if free {
				return mapLabel{text: text, at: at}, true
			}
		}
	}
	return mapLabel{}, false
}

func (r *Report) mapSVG() string {
	m := &r.Map
	l, ok := layoutMap(m)
	if !ok {
		return `<p class="note">Nothing to draw.</p>`
	}
	var b strings.Builder
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" width="%.0f" height="%.0f" viewBox="0 0 %.0f %.0f" font-size="11">`, l.w, l.h, l.w, l.h)
	for _, ln := range m.Lanes {
		x1, y1 := l.xy(ln[0])
		x2, y2 := l.xy(ln[1])
		fmt.Fprintf(&b, `<line x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f" stroke="#bbb" stroke-width="1.5"/>`, x1, y1, x2, y2)
	}
	for _, p := range m.Traces {
		x, y := l.xy(p)
		fmt.Fprintf(&b, `<circle cx="%.1f" cy="%.1f" r="0.8" fill="#ccc"/>`, x, y)
	}
	for _, s := range m.Sensors {
		x, y := l.xy(s.Pos)
		fmt.Fprintf(&b, `<circle cx="%.1f" cy="%.1f" r="%.1f" fill="#1f77b4" fill-opacity="0.08" stroke="#1f77b4"/><circle cx="%.1f" cy="%.1f" r="3" fill="#1f77b4"><title>%s</title></circle>`,
			x, y, s.RangeM*l.scale, x, y, html.EscapeString(s.ID))
	}
	for _, h := range m.Hazards {
		x, y := l.xy(h.Pos)
		if h.RadiusM > 0 {
			fmt.Fprintf(&b, `<circle cx="%.1f" cy="%.1f" r="%.1f" fill="none" stroke="#d62728" stroke-dasharray="4 3"/>`, x, y, h.RadiusM*l.scale)
		}
		fmt.Fprintf(&b, `<path d="M%.1f %.1f l6 10 h-12 z" fill="#d62728"><title>%s</title></path>`, x, y-7, html.EscapeString(h.ID))
	}
	for _, p := range known(m.Warned) {
		x, y := l.xy(p)
		fmt.Fprintf(&b, `<circle cx="%.1f" cy="%.1f" r="2.5" fill="#2ca02c" fill-opacity="0.7"/>`, x, y)
	}
	for _, p := range known(m.False) {
		x, y := l.xy(p)
		fmt.Fprintf(&b, `<circle cx="%.1f" cy="%.1f" r="3" fill="#9467bd"/>`, x, y)
	}
	for _, p := range known(m.Missed) {
		x, y := l.xy(p)
		fmt.Fprintf(&b, `<path d="M%.1f %.1f l6 6 m0 -6 l-6 6" stroke="#d62728" stroke-width="2"/>`, x-3, y-3)
	}
	for _, lb := range l.labels { // last, over everything, with a halo
		fmt.Fprintf(&b, `<text class="label" x="%.1f" y="%.1f" font-family="monospace" font-size="%.0f" textLength="%.1f" lengthAdjust="spacingAndGlyphs" paint-order="stroke" stroke="#fafafa" stroke-width="3">%s</text>`,
			lb.at.x0+1, lb.at.y1-3, labelFont, lb.at.x1-lb.at.x0-2, html.EscapeString(lb.text))
	}
	fmt.Fprintf(&b, `<line x1="%.0f" y1="%.0f" x2="%.1f" y2="%.0f" stroke="#000" stroke-width="2"/><text x="%.0f" y="%.0f">%s m</text></svg>`,
		mapMargin, l.h-8, mapMargin+l.bar*l.scale, l.h-8, mapMargin, l.h-12, fmtNum(l.bar))
	if len(l.omitted) > 0 {
		fmt.Fprintf(&b, `<p class="note">Not labelled for lack of room (hover the triangles): %s.</p>`, html.EscapeString(strings.Join(l.omitted, ", ")))
	}
	return b.String()
}

// known drops the zero points: deliveries to a vehicle whose position the collector never had.
func known(ps []geo.Point) []geo.Point {
	var out []geo.Point
	for _, p := range ps {
		if p != (geo.Point{}) {
			out = append(out, p)
		}
	}
	return out
}
