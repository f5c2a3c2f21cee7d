package harness

import (
	"fmt"
	"io"
	"math"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/HdrHistogram/hdrhistogram-go"
)

// Result is what one run measured. Pointers are nil when the value could not be observed (the
// target's CPU when it is not a local process, the ingest count of a broker without metrics).
type Result struct {
	Target    string  `json:"target"`
	Transport string  `json:"transport"`
	Vehicles  int     `json:"vehicles"`
	RateHz    float64 `json:"rate_hz"`
	DurationS float64 `json:"duration_s"`

	HazardRate     float64 `json:"hazard_rate_per_s"`
	HazardRadiusM  float64 `json:"hazard_radius_m"`
	AlertsSent     int     `json:"alerts_sent"`     // hazards injected
	AlertsExpected int64   `json:"alerts_expected"` // (hazard, vehicle) deliveries expected
	AlertsReceived int64   `json:"alerts_received"` // of those, received before the grace period ended
	AlertsLost     int64   `json:"alerts_lost"`
	// Of the expected deliveries, those to the relevant vehicles (inside the hazard's relevance
	// circle), and how many of them were received. Over the native protocol they are all of them.
	AlertsRelevantExpected int64 `json:"alerts_relevant_expected"`
	AlertsRelevantReceived int64 `json:"alerts_relevant_received"`
	LostHazards            int   `json:"lost_hazards,omitempty"`  // hazards some expected vehicle missed
	LostVehicles           int   `json:"lost_vehicles,omitempty"` // vehicles that missed some hazard
	// Alerts a vehicle received that it was not expected to get (none over MQTT, where the tiles
	// decide), further copies of one hazard (one per subscribed tile it covers, and updates), and
	// alerts of no hazard of this run (retained ones from earlier runs).
	AlertsUnexpected int64 `json:"alerts_unexpected"`
	AlertCopies      int64 `json:"alert_copies_deduplicated"`
	AlertsUnmatched  int64 `json:"alerts_unmatched"`
	RadiusMismatch   int64 `json:"radius_mismatch,omitempty"`
	SensorRejected   int64 `json:"sensor_rejected,omitempty"`

	// Report-to-alert latency: from the sensor's scheduled report to the vehicle reading the
	// alert, at each expected vehicle, corrected for coordinated omission (the key keeps its
	// name, latency_ms, so results stay comparable); LatencyRawMs is the same uncorrected;
	// AlertAllMs is per hazard, until the last expected vehicle had it (hazards whose every
	// recipient got them); LatencyRelevantMs is LatencyMs restricted to the relevant vehicles
	// (the DESIGN target's "every relevant vehicle").
	LatencyMs         Latency `json:"latency_ms"`
	LatencyRawMs      Latency `json:"latency_raw_ms"`
	AlertAllMs        Latency `json:"alert_all_vehicles_ms"`
	LatencyRelevantMs Latency `json:"latency_relevant_ms"`
	// AlertLatencyMs is alert latency (internal/alertlatency, docs/metrics.md): from the target
	// accepting the report to the vehicle reading the alert, per expected delivery, as measured:
	// report-to-alert without the report's trip to the target and the sensor's lateness.
	AlertLatencyMs Latency `json:"alert_latency_ms"`

	// CAMRules is how vehicles chose when to send: "fixed" (RateHz, standing still) or "etsi"
	// (moving, EN 302 637-2; RateHz is then the rules' 10 Hz ceiling). CAMRatePerVehicleHz is
	// the achieved CAM rate per vehicle over the window, CAMTriggers (etsi) the CAMs sent in
	// it by what triggered them (client.CAMTrigger).
	CAMRules            string           `json:"cam_rules,omitempty"`
	CAMRatePerVehicleHz float64          `json:"cam_rate_per_vehicle_hz"`
	CAMTriggers         map[string]int64 `json:"cam_triggers,omitempty"`

	TelemetryAsked    float64  `json:"telemetry_asked_per_s"`
	TelemetryAchieved float64  `json:"telemetry_achieved_per_s"`
	TelemetryIngested *float64 `json:"telemetry_ingested_per_s,omitempty"` // the edge's own count of accepted CAMs
	TargetRejected    *float64 `json:"target_rejected,omitempty"`
	TargetDropped     *float64 `json:"target_dropped,omitempty"`
	TargetEvicted     *float64 `json:"target_evicted,omitempty"`

	TargetCPUPct    *float64 `json:"target_cpu_pct"` // % of one core over the window
	TargetRSSMB     *float64 `json:"target_rss_mb"`  // peak (VmHWM)
	TargetIdleRSSMB *float64 `json:"target_idle_rss_mb,omitempty"`
	MemPerConnKiB   *float64 `json:"mem_per_conn_kib,omitempty"`   // RSS growth from connecting and subscribing, per vehicle
	StackPerConnKiB *float64 `json:"stack_per_conn_kib,omitempty"` // of which goroutine stacks (michi's Go runtime metrics)
	HeapPerConnKiB  *float64 `json:"heap_per_conn_kib,omitempty"`  // and heap in use, garbage included
	MemPerVehKiB    *float64 `json:"mem_per_vehicle_kib,omitempty"`

	GeneratorCPUPct   float64 `json:"generator_cpu_pct"` // the bench process; includes the target when in-process
	GeneratorRSSMB    float64 `json:"generator_rss_mb"`
	GeneratorLagMaxMs float64 `json:"generator_lag_max_ms"` // worst lateness of a CAM behind its schedule
	InjectionLagMaxMs float64 `json:"injection_lag_max_ms"`
	InProcess         bool    `json:"in_process,omitempty"`
	Disconnects       int64   `json:"disconnects"`
	ConnectS          float64 `json:"connect_s"` // time to connect and subscribe every vehicle
	Error             string  `json:"error,omitempty"`
}

// Latency is a latency distribution in milliseconds.
type Latency struct {
	P50     float64 `json:"p50"`
	P90     float64 `json:"p90"`
	P99     float64 `json:"p99"`
	P999    float64 `json:"p999"`
	Max     float64 `json:"max"`
	Mean    float64 `json:"mean"`
	Samples int64   `json:"samples"`
}

func latencyOf(h *hdrhistogram.Histogram) Latency {
	ms := func(us int64) float64 { return math.Round(float64(us)) / 1000 }
	return Latency{
		P50: ms(h.ValueAtQuantile(50)), P90: ms(h.ValueAtQuantile(90)), P99: ms(h.ValueAtQuantile(99)),
		P999: ms(h.ValueAtQuantile(99.9)), Max: ms(h.Max()), Mean: math.Round(h.Mean()) / 1000,
		Samples: h.TotalCount(),
	}
}

// Report is the JSON document michi-bench writes: the machine and build, then every run.
type Report struct {
	Meta    Meta     `json:"meta"`
	Results []Result `json:"results"`
}

// Meta describes where and when the runs happened.
type Meta struct {
	Date    string `json:"date"`
	Machine string `json:"machine"`
	Go      string `json:"go"`
	Commit  string `json:"commit"`
	Command string `json:"command"`
}

// CollectMeta describes this machine, the Go version and the checked-out commit.
func CollectMeta() Meta {
	m := Meta{Date: time.Now().UTC().Format(time.RFC3339), Go: runtime.Version(), Command: strings.Join(os.Args, " ")}
	model := "unknown CPU"
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for _, l := range strings.Split(string(b), "\n") {
			if k, v, ok := strings.Cut(l, ":"); ok && strings.TrimSpace(k) == "model name" {
				model = strings.TrimSpace(v)
				break
			}
		}
	}
	mem := ""
	if b, err := os.ReadFile("/proc/meminfo"); err == nil {
		var kb int64
		if _, err := fmt.Sscanf(string(b), "MemTotal: %d kB", &kb); err == nil {
			mem = fmt.Sprintf(", %d GiB", (kb+512*1024)/(1024*1024))
		}
	}
	m.Machine = fmt.Sprintf("%d cores, %s%s, %s/%s", runtime.NumCPU(), model, mem, runtime.GOOS, runtime.GOARCH)
	if out, err := exec.Command("git", "rev-parse", "--short", "HEAD").Output(); err == nil {
		m.Commit = strings.TrimSpace(string(out))
		if exec.Command("git", "diff", "--quiet", "HEAD").Run() != nil {
			m.Commit += " (with uncommitted changes)"
		}
	}
	return m
}

// WriteTable prints results as an aligned table.
func WriteTable(w io.Writer, rs []Result) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "target\ttransport\tvehicles\tHz\talerts\texpected\treceived\tlost\treport→alert p50 ms\tp90 ms\tp99 ms\tp99.9 ms\tmax ms\trelevant p50 ms\trelevant p99 ms\talert latency p50 ms\tp99 ms\tCAM/s asked\tCAM/s achieved\ttarget CPU%\ttarget RSS MB\tKiB/conn (stacks)\tgen CPU%\t")
	for _, r := range rs {
		if r.Error != "" {
			fmt.Fprintf(tw, "%s\t%s\t%d\t%g\terror: %s\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\n", r.Target, r.Transport, r.Vehicles, r.RateHz, r.Error)
			continue
		}
		fmt.Fprintf(tw, "%s\t%s\t%d\t%s\t%d\t%d\t%d\t%d\t%.2f\t%.2f\t%.2f\t%.2f\t%.2f\t%.2f\t%.2f\t%.2f\t%.2f\t%.0f\t%.0f\t%s\t%s\t%s\t%.0f\t\n",
			r.Target, r.Transport, r.Vehicles, rateCol(r), r.AlertsSent, r.AlertsExpected, r.AlertsReceived, r.AlertsLost,
			r.LatencyMs.P50, r.LatencyMs.P90, r.LatencyMs.P99, r.LatencyMs.P999, r.LatencyMs.Max,
			r.LatencyRelevantMs.P50, r.LatencyRelevantMs.P99, r.AlertLatencyMs.P50, r.AlertLatencyMs.P99, r.TelemetryAsked, r.TelemetryAchieved, opt(r.TargetCPUPct, "%.0f"), opt(r.TargetRSSMB, "%.0f"),
			perConn(r), r.GeneratorCPUPct)
	}
	return tw.Flush()
}

// WriteMarkdown prints results as a Markdown table (the one in benchmarks/README.md).
func WriteMarkdown(w io.Writer, rs []Result) {
	fmt.Fprintln(w, "| target | transport | vehicles | alerts sent / expected / lost | report→alert p50 ms | p99 ms | p99.9 ms | max ms | relevant p50 / p99 ms | alert latency p50 / p99 ms | CAM/s asked → achieved | target CPU % | target peak RSS MB | KiB per conn (stacks) | generator CPU % |")
	fmt.Fprintln(w, "|---|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|")
	for _, r := range rs {
		if r.Error != "" {
			fmt.Fprintf(w, "| %s | %s | %d | error: %s |||||||||||\n", r.Target, r.Transport, r.Vehicles, r.Error)
			continue
		}
		fmt.Fprintf(w, "| %s | %s | %d | %d / %d / %d | %.2f | %.2f | %.2f | %.2f | %.2f / %.2f | %.2f / %.2f | %.0f → %.0f%s | %s | %s | %s | %.0f |\n",
			r.Target, r.Transport, r.Vehicles, r.AlertsSent, r.AlertsExpected, r.AlertsLost,
			r.LatencyMs.P50, r.LatencyMs.P99, r.LatencyMs.P999, r.LatencyMs.Max,
			r.LatencyRelevantMs.P50, r.LatencyRelevantMs.P99, r.AlertLatencyMs.P50, r.AlertLatencyMs.P99, r.TelemetryAsked, r.TelemetryAchieved, etsiNote(r),
			opt(r.TargetCPUPct, "%.0f"), opt(r.TargetRSSMB, "%.0f"), perConn(r), r.GeneratorCPUPct)
	}
}

// rateCol is the table's Hz column: the fixed rate, or "etsi" and the rate achieved per vehicle.
func rateCol(r Result) string {
	if r.CAMRules == CAMRulesETSI {
		return fmt.Sprintf("etsi %.2f", r.CAMRatePerVehicleHz)
	}
	return fmt.Sprintf("%g", r.RateHz)
}

// etsiNote follows the Markdown table's achieved CAM rate in realistic mode.
func etsiNote(r Result) string {
	if r.CAMRules == CAMRulesETSI {
		return fmt.Sprintf(" (ETSI rules: %.2f Hz per vehicle)", r.CAMRatePerVehicleHz)
	}
	return ""
}

// perConn is the RSS growth per connection, with the goroutine stacks' share of it when known.
func perConn(r Result) string {
	s := opt(r.MemPerConnKiB, "%.1f")
	if r.StackPerConnKiB != nil {
		s += fmt.Sprintf(" (%.1f)", *r.StackPerConnKiB)
	}
	return s
}

func opt(v *float64, format string) string {
	if v == nil {
		return "–"
	}
	return fmt.Sprintf(format, *v)
}

func ptr(v float64) *float64 { return &v }
