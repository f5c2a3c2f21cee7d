package report

import (
	"fmt"
	"html/template"
	"io"
	"strings"

	"github.com/michi-v2x/michi/internal/alertlatency"
)

// WriteHTML writes the report as one self-contained page: tables and inline SVG plots, no
// scripts, no external resources.
func (r *Report) WriteHTML(w io.Writer) error {
	return page.Execute(w, map[string]any{
		"R": r, "CDF": template.HTML(r.latencyCDF()), "Hist": template.HTML(r.leadHistogram()),
		"Map": template.HTML(r.mapSVG()), "Def": alertlatency.Definition, "DeliveryDef": alertlatency.DeliveryDefinition,
	})
}

var page = template.Must(template.New("report").Funcs(template.FuncMap{
	"pct":    func(v float64) string { return fmt.Sprintf("%.1f\u00a0%%", 100*v) }, // never "100.0" over "%"
	"optpct": func(p *float64) string { return strings.Replace(Percent(p), " ", "\u00a0", 1) },
	"opt": func(p *float64) string {
		if p == nil {
			return "–"
		}
		return fmtNum(*p) + "\u00a0s"
	},
	"num": fmtNum, // every latency and time on the page: rounded for people (JSON keeps µs)
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
<p class="note">seed {{.R.Seed}} · transport {{.R.Transport}} · {{printf "%.0f" .R.DurationS}} s {{if .R.RealTime}}in real time{{else}}of virtual time{{end}} · {{.R.Vehicles}} vehicles, {{.R.Connected}} connected · {{.R.Sensors}} roadside sensors · edges {{range .R.Edges}}{{.}} {{end}}· started {{.R.StartedAt.Format "2006-01-02 15:04:05 MST"}}{{if .R.LateSteps}} · {{.R.LateSteps}} steps started late, by up to {{num .R.MaxStepLagMS}} ms{{end}}</p>
<div class="cards">
<div class="card">delivery ratio<b>{{pct .R.Overall.DeliveryRatio}}</b>{{.R.Overall.AlertsDelivered}} of {{.R.Overall.AlertsExpected}} expected</div>
<div class="card">false deliveries<b>{{.R.Overall.FalseDeliveries}}</b>outside the relevance area</div>
{{with .R.Overall}}<div class="card" id="alert-latency" title="{{$.Def}}">alert latency p50 / p99<b>{{num .AlertLatencyMS.P50}} / {{num .AlertLatencyMS.P99}} ms</b>max {{num .AlertLatencyMS.Max}} ms, n={{.AlertLatencyMS.N}}; delivery part p50 {{num .DeliveryMS.P50}} ms</div>
<div class="card">lead time p50<b>{{num .LeadTimeS.P50}} s</b>min {{num .LeadTimeS.Min}} s, p5 {{num .LeadTimeS.P5}} s</div>
<div class="card">hazards detected<b>{{.HazardsDetected}} / {{.HazardsInjected}}</b>delay p50 {{num .DetectionDelayS.P50}} s, max {{num .DetectionDelayS.Max}} s</div>{{end}}
<div class="card">reached unwarned<b>{{.R.Overall.ReachedUnwarned}}</b>{{.R.Overall.ReachedBeforeDetection}} before detection</div>
</div>
<p class="note" id="latency-def">Alert latency: {{.Def}}. Its delivery part: {{.DeliveryDef}}.</p>
<h2>Detection quality</h2>
<p class="note">Hazards the edges raised (distinct action ids), matched to an incident that really happened (a cause it can be detected as, within 300 m while it lasted; or a dangerous end of queue, cause 27, up to 500 m upstream of a stopped vehicle or obstacle while it stood) or phantom; duplicates: per incident, hazards of one cause from one edge beyond the first; phantom warnings: deliveries of phantoms to vehicles. Recall counts the incidents a detector exists for.</p>
<table><tr><th>cause</th><th>raised</th><th>matched</th><th>phantom</th><th>duplicates</th><th>phantom warnings</th><th>precision</th><th>incidents</th><th>detected</th><th>recall</th><th>time to detect p50 / max</th></tr>
{{range .R.Detection.ByCause}}{{template "quality" .}}{{end}}{{with .R.Detection.Overall}}{{template "quality" .}}{{end}}</table>
{{if .R.Detection.NotHappened}}<p class="note">Planned and did not happen (not in recall): {{range .R.Detection.NotHappened}}{{.ID}} ({{.Kind}}: {{.Reason}}) {{end}}</p>{{end}}
<h2>Injected hazards</h2>
<table><tr><th>hazard</th><th>kind</th><th>start</th><th>detected after</th><th>edge hazards</th><th>duplicates</th><th>expected</th><th>delivered</th><th>ratio</th><th>false</th><th>alert latency p50 / p90 / p99 / max, ms</th><th>lead time min / p5 / p50, s</th><th>reached unwarned</th></tr>
{{range .R.Hazards}}<tr><td>{{.ID}}</td><td>{{.Kind}}</td><td>{{num .StartS}}&nbsp;s</td><td>{{opt .DetectionDelayS}}</td><td>{{range .EdgeHazards}}{{.Edge}} {{.ActionID}} (cause {{.Cause}}) {{end}}{{range .Consequences}}{{.Edge}} {{.ActionID}} (cause {{.Cause}}, consequence) {{end}}</td><td>{{.Duplicates}}</td><td>{{.AlertsExpected}}</td><td>{{.AlertsDelivered}}</td><td>{{pct .DeliveryRatio}}</td><td>{{.FalseDeliveries}}</td><td>{{with .AlertLatencyMS}}{{if .N}}{{num .P50}} / {{num .P90}} / {{num .P99}} / {{num .Max}}{{else}}–{{end}}{{end}}</td><td>{{if .LeadTimeS.N}}{{num .LeadTimeS.Min}} / {{num .LeadTimeS.P5}} / {{num .LeadTimeS.P50}} (n={{.LeadTimeS.N}}){{else}}–{{end}}</td><td>{{.ReachedUnwarned}}</td></tr>
{{end}}</table>
{{if .R.OtherHazards}}<h2>Phantoms: other hazards the edges raised</h2>
<p class="note">Raised by the edges and matching no incident, neither as its detection nor as its consequence.</p>
<table><tr><th>edge</th><th>action id</th><th>cause</th><th>first</th><th>expected</th><th>delivered</th><th>false</th><th>alert latency p50, ms</th></tr>
{{range .R.OtherHazards}}<tr><td>{{.Edge}}</td><td>{{.ActionID}}</td><td>{{.Cause}}</td><td>{{num .FirstS}}&nbsp;s</td><td>{{.AlertsExpected}}</td><td>{{.AlertsDelivered}}</td><td>{{.FalseDeliveries}}</td><td>{{if .AlertLatencyMS.N}}{{num .AlertLatencyMS.P50}}{{else}}–{{end}}</td></tr>
{{end}}</table>{{end}}
<h2>Alert latency (CDF)</h2><p class="note">{{.Def}}</p>{{.CDF}}
<h2>Warning lead time</h2><p class="note">Seconds between a vehicle receiving the alert and reaching the hazard; negative bars would be vehicles warned after they got there (those are counted as reached unwarned instead).</p>{{.Hist}}
<h2>Map</h2><p class="note">Grey: roads (or vehicle traces). Blue: roadside sensors and their range. Red triangles: injected hazards with their relevance radius. Green: vehicles warned (where they received it). Red crosses: vehicles inside the relevance area that were not warned. Purple: alerts outside the area.</p>{{.Map}}
<h2>Traffic</h2>
<table><tr><th>CAMs sent</th><th>CAMs skipped</th><th>CPMs sent</th><th>DENMs sent</th><th>alerts received</th><th>send errors</th><th>connect failures</th></tr>
<tr><td>{{.R.Traffic.CAMs}}</td><td>{{.R.Traffic.CAMsSkipped}}</td><td>{{.R.Traffic.CPMs}}</td><td>{{.R.Traffic.DENMs}}</td><td>{{.R.Traffic.AlertsReceived}}</td><td>{{.R.Traffic.SendErrors}}</td><td>{{.R.Traffic.ConnectFailures}}</td></tr></table>
<p class="note">Relevance area: {{.R.Relevance}}</p>
</body></html>
{{define "quality"}}<tr><td>{{if .Cause}}{{.Cause}}{{else}}<b>all</b>{{end}}</td><td>{{.Raised}}</td><td>{{.Matched}}</td><td>{{.Phantom}}</td><td>{{.Duplicates}}</td><td>{{.PhantomWarnings}}</td><td>{{optpct .Precision}}</td><td>{{.Incidents}}</td><td>{{.Detected}}</td><td>{{optpct .Recall}}</td><td>{{if .TimeToDetectS.N}}{{num .TimeToDetectS.P50}} / {{num .TimeToDetectS.Max}} s{{else}}–{{end}}</td></tr>
{{end}}`))
