package report

import (
	"fmt"
	"html"
	"math"
	"strconv"
	"strings"
)

// The report's plots: the alert latency CDF and the lead-time histogram, as inline SVG. Axis
// ticks are round numbers (1, 2 or 5 times a power of ten); the histogram's x ticks are bin
// edges and its y ticks whole vehicles.

const plotW, plotH, pad = 640.0, 260.0, 56.0

// plotFrame maps data to the plot's pixels: x from [xlo, xhi], y from [0, yhi].
type plotFrame struct{ xlo, xhi, yhi float64 }

func (f plotFrame) x(v float64) float64 { return pad + (v-f.xlo)/(f.xhi-f.xlo)*(plotW-pad-10) }
func (f plotFrame) y(v float64) float64 { return plotH - pad - v/f.yhi*(plotH-pad-10) }

// axes opens the SVG and draws the axes, grid, ticks and titles.
func (f plotFrame) axes(b *strings.Builder, xt, yt []float64, xf, yf func(float64) string, xlabel, ylabel string) {
	fmt.Fprintf(b, `<svg xmlns="http://www.w3.org/2000/svg" width="%.0f" height="%.0f" font-size="11">`, plotW, plotH)
	fmt.Fprintf(b, `<line x1="%.0f" y1="%.0f" x2="%.0f" y2="%.0f" stroke="#444"/>`, pad, plotH-pad, plotW-10, plotH-pad)
	fmt.Fprintf(b, `<line x1="%.0f" y1="10" x2="%.0f" y2="%.0f" stroke="#444"/>`, pad, pad, plotH-pad)
	for _, v := range xt {
		fmt.Fprintf(b, `<text class="xtick" x="%.1f" y="%.0f" text-anchor="middle">%s</text>`, f.x(v), plotH-pad+14, xf(v))
	}
	for _, v := range yt {
		y := f.y(v)
		fmt.Fprintf(b, `<text class="ytick" x="%.0f" y="%.1f" text-anchor="end">%s</text>`, pad-4, y+4, yf(v))
		fmt.Fprintf(b, `<line x1="%.0f" y1="%.1f" x2="%.0f" y2="%.1f" stroke="#e4e4e4"/>`, pad, y, plotW-10, y)
	}
	fmt.Fprintf(b, `<text x="%.0f" y="%.0f" text-anchor="middle">%s</text>`, (plotW+pad)/2, plotH-8, html.EscapeString(xlabel))
	fmt.Fprintf(b, `<text x="12" y="%.0f" transform="rotate(-90 12 %.0f)" text-anchor="middle">%s</text>`, plotH/2, plotH/2, html.EscapeString(ylabel))
}

// steps are lo, lo+step, … up to hi (both multiples of step in the callers).
func steps(lo, hi, step float64) []float64 {
	var out []float64
	for i := 0; ; i++ {
		v := lo + float64(i)*step
		if v > hi+step/1e6 {
			return out
		}
		out = append(out, v)
	}
}

func (r *Report) latencyCDF() string {
	s := r.latencies
	if len(s) == 0 {
		return `<p class="note">No alert was delivered.</p>`
	}
	step := niceStep(s[len(s)-1], 5)
	f := plotFrame{xlo: 0, xhi: math.Max(step, math.Ceil(s[len(s)-1]/step)*step), yhi: 1}
	var b strings.Builder
	pct := func(v float64) string { return fmt.Sprintf("%.0f %%", 100*v) }
	f.axes(&b, steps(0, f.xhi, step), steps(0, 1, 0.25), fmtNum, pct,
		"alert latency (ms): event accepted at the edge → alert read by the vehicle", "share of alerts")
	b.WriteString(`<polyline fill="none" stroke="#1f77b4" stroke-width="2" points="`)
	fmt.Fprintf(&b, "%.1f,%.1f ", f.x(0), f.y(0))
	for i, v := range s {
		fmt.Fprintf(&b, "%.1f,%.1f %.1f,%.1f ", f.x(v), f.y(float64(i)/float64(len(s))), f.x(v), f.y(float64(i+1)/float64(len(s))))
	}
	b.WriteString(`"/></svg>`)
	return b.String()
}

// histogram is samples counted in bins of width bin from lo, with the ticks to draw.
type histogram struct {
	lo, bin float64
	counts  []int
	top     int       // the y axis' end: a whole multiple of the y tick step
	xticks  []float64 // bin edges
	yticks  []float64 // whole counts
}

// binned counts s (not empty) in about 20 bins of a round width starting at a multiple of it
// (at or below 0, so the axis shows where "warned in time" starts).
func binned(s []float64) histogram {
	lo, hi := min(0, minOf(s)), maxOf(s)
	bin := math.Max(1, niceStep(hi-lo, 20))
	lo = math.Floor(lo/bin) * bin
	n := int(math.Floor((hi-lo)/bin)) + 1
	h := histogram{lo: lo, bin: bin, counts: make([]int, n)}
	most := 0
	for _, v := range s {
		i := min(int((v-lo)/bin), n-1)
		h.counts[i]++
		most = max(most, h.counts[i])
	}
	every := math.Max(1, niceStep(float64(n), 8)) // bins per x tick
	h.xticks = steps(lo, lo+float64(n)*bin, every*bin)
	ystep := math.Max(1, niceStep(float64(most), 4))
	h.top = int(math.Ceil(float64(most)/ystep) * ystep)
	h.yticks = steps(0, float64(h.top), ystep)
	return h
}

func (r *Report) leadHistogram() string {
	s := r.leads
	if len(s) == 0 {
		return `<p class="note">No warned vehicle reached a hazard during the run.</p>`
	}
	h := binned(s)
	f := plotFrame{xlo: h.lo, xhi: h.lo + float64(len(h.counts))*h.bin, yhi: float64(h.top)}
	var b strings.Builder
	whole := func(v float64) string { return strconv.Itoa(int(math.Round(v))) }
	f.axes(&b, h.xticks, h.yticks, fmtNum, whole, fmt.Sprintf("lead time (s), bins of %s s", fmtNum(h.bin)), "vehicles")
	for i, c := range h.counts {
		a, z := h.lo+float64(i)*h.bin, h.lo+float64(i+1)*h.bin
		fmt.Fprintf(&b, `<rect x="%.1f" y="%.1f" width="%.1f" height="%.1f" fill="#2ca02c"><title>%s–%s s: %d</title></rect>`,
			f.x(a)+1, f.y(float64(c)), f.x(z)-f.x(a)-2, f.y(0)-f.y(float64(c)), fmtNum(a), fmtNum(z), c)
	}
	b.WriteString(`</svg>`)
	return b.String()
}

// niceStep is the smallest 1, 2 or 5 times a power of ten that divides span into at most n
// parts (1 for an empty span).
func niceStep(span float64, n int) float64 {
	v := span / float64(n)
	if v <= 0 {
		return 1
	}
	p := math.Pow(10, math.Floor(math.Log10(v)))
	for _, m := range []float64{1, 2, 5, 10} {
		if m*p >= v*(1-1e-9) {
			return m * p
		}
	}
	return 10 * p
}

// fmtNum prints a figure for people: whole numbers from 10 up, one decimal from 1, two
// significant digits below; no trailing ".0" on a whole number.
func fmtNum(v float64) string {
	a := math.Abs(math.Round(v*10) / 10)
	switch {
	case v == math.Trunc(v) || a >= 10:
		return strconv.FormatFloat(math.Round(v), 'f', 0, 64)
	case a >= 1:
		return strconv.FormatFloat(v, 'f', 1, 64)
	default:
		return strconv.FormatFloat(v, 'g', 2, 64)
	}
}

func minOf(s []float64) float64 {
	m := s[0]
	for _, v := range s {
		m = min(m, v)
	}
	return m
}

func maxOf(s []float64) float64 {
	m := s[0]
	for _, v := range s {
		m = max(m, v)
	}
	return m
}
