package report

import (
	"fmt"
	"html"
	"html/template"
	"io"
	"math"
	"strings"

	"github.com/michi-v2x/michi/pkg/geo"
)

// WriteHTML writes the report as one self-contained page: tables and inline SVG plots, no
// scripts, no external resources.
func (r *Report) WriteHTML(w io.Writer) error {
	return page.Execute(w, map[string]any{
		"R": r, "CDF": template.HTML(r.latencyCDF()), "Hist": template.HTML(r.leadHistogram()),
		"Map": template.HTML(r.mapSVG()),
	})
}

var page = template.Must(template.New("report").Funcs(template.FuncMap{
	"pct":    func(v float64) string { return fmt.Sprintf("%.1f %%", 100*v) },
	"optpct": Percent,
	"opt": func(p *float64) string {
		if p == nil {
			return "–"
		}
		return fmt.Sprintf("%.1f s", *p)
	},
}).Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>michi-sim report: {{.R.Scenario}}</title>
<style>
body{font:14px/1.4 system-ui,sans-serif;margin:24px auto;max-width:1100px;color:#222}
h1{font-size:22px}h2{font-size:17px;margin-top:28px}
table{border-collapse:collapse;margin:8px 0}td,th{border:1px solid #ccc;padding:3px 8px;text-align:right}
th{background:#f3f3f3}td:first-child,th:first-child{text-align:left}
.cards{display:flex;flex-wrap:wrap;gap:12px}.card{border:1px solid #ddd;border-radius:6px;padding:8px 14px;min-width:150px}
.card b{display:block;font-size:22px}.note{color:#666;font-size:12px}
svg{background:#fafafa;border:1px solid #ddd}
</style></head><body>
<h1>michi-sim report: {{.R.Scenario}}</h1>
<p class="note">seed {{.R.Seed}} · transport {{.R.Transport}} · {{printf "%.0f" .R.DurationS}} s {{if .R.RealTime}}in real time{{else}}of virtual time{{end}} · {{.R.Vehicles}} vehicles, {{.R.Connected}} connected · {{.R.Sensors}} roadside sensors · edges {{range .R.Edges}}{{.}} {{end}}· started {{.R.StartedAt.Format "2006-01-02 15:04:05 MST"}}{{if .R.LateSteps}} · {{.R.LateSteps}} steps started late, by up to {{.R.MaxStepLagMS}} ms{{end}}</p>
<div class="cards">
<div class="card">delivery ratio<b>{{pct .R.Overall.DeliveryRatio}}</b>{{.R.Overall.AlertsDelivered}} of {{.R.Overall.AlertsExpected}} expected</div>
<div class="card">false deliveries<b>{{.R.Overall.FalseDeliveries}}</b>outside the relevance area</div>
<div class="card">alert latency p50 / p99<b>{{.R.Overall.LatencyMS.P50}} / {{.R.Overall.LatencyMS.P99}} ms</b>max {{.R.Overall.LatencyMS.Max}} ms, n={{.R.Overall.LatencyMS.N}}</div>
<div class="card">lead time p50<b>{{.R.Overall.LeadTimeS.P50}} s</b>min {{.R.Overall.LeadTimeS.Min}} s, p5 {{.R.Overall.LeadTimeS.P5}} s</div>
<div class="card">hazards detected<b>{{.R.Overall.HazardsDetected}} / {{.R.Overall.HazardsInjected}}</b>delay p50 {{.R.Overall.DetectionDelayS.P50}} s, max {{.R.Overall.DetectionDelayS.Max}} s</div>
<div class="card">reached unwarned<b>{{.R.Overall.ReachedUnwarned}}</b>{{.R.Overall.ReachedBeforeDetection}} before detection</div>
</div>
<h2>Detection quality</h2>
<p class="note">Hazards the edges raised (distinct action ids), matched to an incident that really happened (a cause it can be detected as, within 300 m while it lasted; or a dangerous end of queue, cause 27, up to 500 m upstream of a stopped vehicle or obstacle while it stood) or phantom; duplicates: per incident, hazards of one cause from one edge beyond the first; phantom warnings: deliveries of phantoms to vehicles. Recall counts the incidents a detector exists for.</p>
<table><tr><th>cause</th><th>raised</th><th>matched</th><th>phantom</th><th>duplicates</th><th>phantom warnings</th><th>precision</th><th>incidents</th><th>detected</th><th>recall</th><th>time to detect p50 / max</th></tr>
{{range .R.Detection.ByCause}}{{template "quality" .}}{{end}}{{with .R.Detection.Overall}}{{template "quality" .}}{{end}}</table>
{{if .R.Detection.NotHappened}}<p class="note">Planned and did not happen (not in recall): {{range .R.Detection.NotHappened}}{{.ID}} ({{.Kind}}: {{.Reason}}) {{end}}</p>{{end}}
<h2>Injected hazards</h2>
<table><tr><th>hazard</th><th>kind</th><th>start</th><th>detected after</th><th>edge hazards</th><th>duplicates</th><th>expected</th><th>delivered</th><th>ratio</th><th>false</th><th>latency p50/p90/p99/max ms</th><th>lead time min/p5/p50 s</th><th>reached unwarned</th></tr>
{{range .R.Hazards}}<tr><td>{{.ID}}</td><td>{{.Kind}}</td><td>{{.StartS}} s</td><td>{{opt .DetectionDelayS}}</td><td>{{range .EdgeHazards}}{{.Edge}} {{.ActionID}} (cause {{.Cause}}) {{end}}{{range .Consequences}}{{.Edge}} {{.ActionID}} (cause {{.Cause}}, consequence) {{end}}</td><td>{{.Duplicates}}</td><td>{{.AlertsExpected}}</td><td>{{.AlertsDelivered}}</td><td>{{pct .DeliveryRatio}}</td><td>{{.FalseDeliveries}}</td><td>{{.LatencyMS.P50}} / {{.LatencyMS.P90}} / {{.LatencyMS.P99}} / {{.LatencyMS.Max}}</td><td>{{if .LeadTimeS.N}}{{.LeadTimeS.Min}} / {{.LeadTimeS.P5}} / {{.LeadTimeS.P50}} (n={{.LeadTimeS.N}}){{else}}–{{end}}</td><td>{{.ReachedUnwarned}}</td></tr>
{{end}}</table>
{{if .R.OtherHazards}}<h2>Phantoms: other hazards the edges raised</h2>
<p class="note">Raised by the edges and matching no incident, neither as its detection nor as its consequence.</p>
<table><tr><th>edge</th><th>action id</th><th>cause</th><th>first</th><th>expected</th><th>delivered</th><th>false</th><th>latency p50 ms</th></tr>
{{range .R.OtherHazards}}<tr><td>{{.Edge}}</td><td>{{.ActionID}}</td><td>{{.Cause}}</td><td>{{.FirstS}} s</td><td>{{.AlertsExpected}}</td><td>{{.AlertsDelivered}}</td><td>{{.FalseDeliveries}}</td><td>{{.LatencyMS.P50}}</td></tr>
{{end}}</table>{{end}}
<h2>Alert latency (CDF)</h2>{{.CDF}}
<h2>Warning lead time</h2><p class="note">Seconds between a vehicle receiving the alert and reaching the hazard; negative bars would be vehicles warned after they got there (those are counted as reached unwarned instead).</p>{{.Hist}}
<h2>Map</h2><p class="note">Grey: roads (or vehicle traces). Blue: roadside sensors and their range. Red triangles: injected hazards with their relevance radius. Green: vehicles warned (where they received it). Red crosses: vehicles inside the relevance area that were not warned. Purple: alerts outside the area.</p>{{.Map}}
<h2>Traffic</h2>
<table><tr><th>CAMs sent</th><th>CAMs skipped</th><th>CPMs sent</th><th>DENMs sent</th><th>alerts received</th><th>send errors</th><th>connect failures</th></tr>
<tr><td>{{.R.Traffic.CAMs}}</td><td>{{.R.Traffic.CAMsSkipped}}</td><td>{{.R.Traffic.CPMs}}</td><td>{{.R.Traffic.DENMs}}</td><td>{{.R.Traffic.AlertsReceived}}</td><td>{{.R.Traffic.SendErrors}}</td><td>{{.R.Traffic.ConnectFailures}}</td></tr></table>
<p class="note">Relevance area: {{.R.Relevance}}</p>
</body></html>
{{define "quality"}}<tr><td>{{if .Cause}}{{.Cause}}{{else}}<b>all</b>{{end}}</td><td>{{.Raised}}</td><td>{{.Matched}}</td><td>{{.Phantom}}</td><td>{{.Duplicates}}</td><td>{{.PhantomWarnings}}</td><td>{{optpct .Precision}}</td><td>{{.Incidents}}</td><td>{{.Detected}}</td><td>{{optpct .Recall}}</td><td>{{if .TimeToDetectS.N}}{{.TimeToDetectS.P50}} / {{.TimeToDetectS.Max}} s{{else}}–{{end}}</td></tr>
{{end}}`))

const plotW, plotH, pad = 640.0, 260.0, 40.0

func axes(b *strings.Builder, xmax float64, xlabel, ylabel string, ymax float64, yfmt string) {
	fmt.Fprintf(b, `<svg xmlns="http://www.w3.org/2000/svg" width="%.0f" height="%.0f" font-size="11">`, plotW, plotH)
	fmt.Fprintf(b, `<line x1="%.0f" y1="%.0f" x2="%.0f" y2="%.0f" stroke="#444"/>`, pad, plotH-pad, plotW-10, plotH-pad)
	fmt.Fprintf(b, `<line x1="%.0f" y1="10" x2="%.0f" y2="%.0f" stroke="#444"/>`, pad, pad, plotH-pad)
	for i := 0; i <= 4; i++ {
		x := pad + float64(i)/4*(plotW-pad-10)
		y := plotH - pad - float64(i)/4*(plotH-pad-10)
		fmt.Fprintf(b, `<text x="%.0f" y="%.0f" text-anchor="middle">%.3g</text>`, x, plotH-pad+14, xmax*float64(i)/4)
		fmt.Fprintf(b, `<text x="%.0f" y="%.0f" text-anchor="end">`+yfmt+`</text>`, pad-4, y+4, ymax*float64(i)/4)
		fmt.Fprintf(b, `<line x1="%.0f" y1="%.0f" x2="%.0f" y2="%.0f" stroke="#e4e4e4"/>`, pad, y, plotW-10, y)
	}
	fmt.Fprintf(b, `<text x="%.0f" y="%.0f" text-anchor="middle">%s</text>`, (plotW+pad)/2, plotH-6, html.EscapeString(xlabel))
	fmt.Fprintf(b, `<text x="12" y="%.0f" transform="rotate(-90 12 %.0f)" text-anchor="middle">%s</text>`, plotH/2, plotH/2, html.EscapeString(ylabel))
}

func (r *Report) latencyCDF() string {
	var b strings.Builder
	s := r.latencies
	if len(s) == 0 {
		return `<p class="note">No alert was delivered.</p>`
	}
	xmax := niceCeil(s[len(s)-1])
	axes(&b, xmax, "latency (ms)", "share of alerts", 1, "%.2f")
	sx := func(v float64) float64 { return pad + v/xmax*(plotW-pad-10) }
	sy := func(q float64) float64 { return plotH - pad - q*(plotH-pad-10) }
	b.WriteString(`<polyline fill="none" stroke="#1f77b4" stroke-width="2" points="`)
	fmt.Fprintf(&b, "%.1f,%.1f ", sx(0), sy(0))
	for i, v := range s {
		fmt.Fprintf(&b, "%.1f,%.1f %.1f,%.1f ", sx(v), sy(float64(i)/float64(len(s))), sx(v), sy(float64(i+1)/float64(len(s))))
	}
	b.WriteString(`"/></svg>`)
	return b.String()
}

func (r *Report) leadHistogram() string {
	var b strings.Builder
	s := r.leads
	if len(s) == 0 {
		return `<p class="note">No warned vehicle reached a hazard during the run.</p>`
	}
	lo, hi := math.Floor(min(0, minOf(s))), maxOf(s)
	bin := math.Max(1, niceCeil((hi-lo)/20))
	n := int(math.Ceil((hi-lo)/bin)) + 1
	counts := make([]int, n)
	top := 0
	for _, v := range s {
		i := int((v - lo) / bin)
		counts[i]++
		top = max(top, counts[i])
	}
	xmax := float64(n) * bin
	axes(&b, xmax, fmt.Sprintf("lead time (s, from %.0f, bins of %.0f s)", lo, bin), "vehicles", float64(top), "%.3g")
	w := (plotW - pad - 10) / float64(n)
	for i, c := range counts {
		h := float64(c) / float64(top) * (plotH - pad - 10)
		fmt.Fprintf(&b, `<rect x="%.1f" y="%.1f" width="%.1f" height="%.1f" fill="#2ca02c"><title>%.0f–%.0f s: %d</title></rect>`,
			pad+float64(i)*w+1, plotH-pad-h, w-2, h, lo+float64(i)*bin, lo+float64(i+1)*bin, c)
	}
	b.WriteString(`</svg>`)
	return b.String()
}

func (r *Report) mapSVG() string {
	m := &r.Map
	var pts []geo.Point
	for _, l := range m.Lanes {
		pts = append(pts, l[0], l[1])
	}
	pts = append(pts, m.Traces...)
	for _, h := range m.Hazards {
		pts = append(pts, h.Pos)
	}
	for _, s := range m.Sensors {
		pts = append(pts, s.Pos)
	}
	if len(pts) == 0 {
		return `<p class="note">Nothing to draw.</p>`
	}
	minLat, maxLat, minLon, maxLon := 90.0, -90.0, 180.0, -180.0
	for _, p := range pts {
		minLat, maxLat, minLon, maxLon = min(minLat, p.Lat), max(maxLat, p.Lat), min(minLon, p.Lon), max(maxLon, p.Lon)
	}
	k := math.Cos((minLat + maxLat) / 2 * math.Pi / 180)
	wDeg, hDeg := math.Max((maxLon-minLon)*k, 1e-4), math.Max(maxLat-minLat, 1e-4)
	if hDeg < wDeg/4 { // a straight road would be a line: show a band around it
		c := (minLat + maxLat) / 2
		hDeg = wDeg / 4
		minLat = c - hDeg/2
	}
	const W = 1000.0
	scale := (W - 40) / wDeg
	H := math.Min(hDeg*scale+40, 800)
	if hDeg*scale+40 > 800 {
		scale = (800 - 40) / hDeg
	}
	mPerDeg := 111320.0
	xy := func(p geo.Point) (float64, float64) {
		return 20 + (p.Lon-minLon)*k*scale, H - 20 - (p.Lat-minLat)*scale
	}
	var b strings.Builder
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" width="%.0f" height="%.0f" font-size="11">`, W, H)
	for _, l := range m.Lanes {
		x1, y1 := xy(l[0])
		x2, y2 := xy(l[1])
		fmt.Fprintf(&b, `<line x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f" stroke="#bbb" stroke-width="1.5"/>`, x1, y1, x2, y2)
	}
	for _, p := range m.Traces {
		x, y := xy(p)
		fmt.Fprintf(&b, `<circle cx="%.1f" cy="%.1f" r="0.8" fill="#ccc"/>`, x, y)
	}
	for _, s := range m.Sensors {
		x, y := xy(s.Pos)
		fmt.Fprintf(&b, `<circle cx="%.1f" cy="%.1f" r="%.1f" fill="#1f77b4" fill-opacity="0.08" stroke="#1f77b4"/><circle cx="%.1f" cy="%.1f" r="3" fill="#1f77b4"><title>%s</title></circle>`,
			x, y, s.RangeM/mPerDeg*scale, x, y, html.EscapeString(s.ID))
	}
	for _, h := range m.Hazards {
		x, y := xy(h.Pos)
		if h.RadiusM > 0 {
			fmt.Fprintf(&b, `<circle cx="%.1f" cy="%.1f" r="%.1f" fill="none" stroke="#d62728" stroke-dasharray="4 3"/>`, x, y, h.RadiusM/mPerDeg*scale)
		}
		fmt.Fprintf(&b, `<path d="M%.1f %.1f l6 10 h-12 z" fill="#d62728"><title>%s</title></path><text x="%.1f" y="%.1f">%s</text>`,
			x, y-7, html.EscapeString(h.ID), x+8, y-8, html.EscapeString(h.ID))
	}
	for _, p := range m.Warned {
		x, y := xy(p)
		fmt.Fprintf(&b, `<circle cx="%.1f" cy="%.1f" r="2.5" fill="#2ca02c" fill-opacity="0.7"/>`, x, y)
	}
	for _, p := range m.False {
		x, y := xy(p)
		fmt.Fprintf(&b, `<circle cx="%.1f" cy="%.1f" r="3" fill="#9467bd"/>`, x, y)
	}
	for _, p := range m.Missed {
		x, y := xy(p)
		fmt.Fprintf(&b, `<path d="M%.1f %.1f l6 6 m0 -6 l-6 6" stroke="#d62728" stroke-width="2"/>`, x-3, y-3)
	}
	// scale bar
	bar := niceCeil(wDeg * mPerDeg / 5)
	fmt.Fprintf(&b, `<line x1="20" y1="%.0f" x2="%.1f" y2="%.0f" stroke="#000" stroke-width="2"/><text x="20" y="%.0f">%.0f m</text></svg>`,
		H-8, 20+bar/mPerDeg*scale, H-8, H-12, bar)
	return b.String()
}

// niceCeil rounds v up to 1, 2 or 5 times a power of ten.
func niceCeil(v float64) float64 {
	if v <= 0 {
		return 1
	}
	p := math.Pow(10, math.Floor(math.Log10(v)))
	for _, m := range []float64{1, 2, 5, 10} {
		if m*p >= v {
			return m * p
		}
	}
	return 10 * p
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
