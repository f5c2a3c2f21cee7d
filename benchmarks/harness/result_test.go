package harness

import (
	"bytes"
	"encoding/json"
	"testing"

	"github.com/HdrHistogram/hdrhistogram-go"
	"github.com/stretchr/testify/require"

	"github.com/michi-v2x/michi/internal/alertlatency"
)

func TestResultJSONHasTheDocumentedFields(t *testing.T) {
	b, err := json.Marshal(Result{Transport: MQTTTCP})
	require.NoError(t, err)
	var m map[string]any
	require.NoError(t, json.Unmarshal(b, &m))
	for _, k := range []string{"transport", "vehicles", "rate_hz", "alerts_sent", "alerts_expected", "alerts_received",
		"alerts_lost", "latency_ms", "telemetry_asked_per_s", "telemetry_achieved_per_s", "target_cpu_pct",
		"target_rss_mb", "generator_cpu_pct", "latency_relevant_ms", "alerts_relevant_expected",
		"alerts_relevant_received", alertlatency.JSONField} {
		require.Contains(t, m, k)
	}
	for _, k := range []string{"p50", "p90", "p99", "p999", "max", "mean", "samples"} {
		require.Contains(t, m["latency_ms"], k)
		require.Contains(t, m["latency_relevant_ms"], k)
		require.Contains(t, m[alertlatency.JSONField], k)
	}
	require.Nil(t, m["target_cpu_pct"], "unknown, not zero")
}

func TestLatencyOfHistogram(t *testing.T) {
	h := newHist()
	for v := int64(1); v <= 1000; v++ {
		require.NoError(t, h.RecordValue(v*1000)) // 1 … 1000 ms
	}
	l := latencyOf(h)
	require.InDelta(t, 500, l.P50, 1)
	require.InDelta(t, 990, l.P99, 1)
	require.InDelta(t, 1000, l.Max, 1)
	require.Equal(t, int64(1000), l.Samples)
	require.Zero(t, latencyOf(hdrhistogram.New(1, 10, 1)).Max)
}

func TestTables(t *testing.T) {
	rs := []Result{
		{Target: "michi", Transport: MQTTTCP, Vehicles: 500, RateHz: 10, AlertsSent: 40, AlertsExpected: 900, AlertsReceived: 900,
			LatencyMs: Latency{P50: 1.5, P99: 4.25}, LatencyRelevantMs: Latency{P50: 1.25, P99: 3.75},
			AlertLatencyMs: Latency{P50: 0.75, P99: 2.5},
			TelemetryAsked: 5000, TelemetryAchieved: 4999,
			TargetCPUPct: ptr(23), TargetRSSMB: ptr(65), MemPerConnKiB: ptr(70.5), GeneratorCPUPct: 9},
		{Target: "mosquitto", Transport: MQTTTCP, Vehicles: 5000, RateHz: 10, Error: "connection refused"},
	}
	var b bytes.Buffer
	require.NoError(t, WriteTable(&b, rs))
	out := b.String()
	require.Contains(t, out, "4.25")
	require.Contains(t, out, "relevant p99 ms")
	require.Contains(t, out, "report→alert p50 ms", "the headline names what it measures")
	require.Contains(t, out, alertlatency.Name+" p50 ms")
	require.Contains(t, out, "2.50")
	require.Contains(t, out, "3.75")
	require.Contains(t, out, "70.5")
	require.Contains(t, out, "error: connection refused")

	b.Reset()
	WriteMarkdown(&b, rs)
	require.Contains(t, b.String(), "| michi | mqtt-tcp | 500 | 40 / 900 / 0 | 1.50 | 4.25 |")
	require.Contains(t, b.String(), "| report→alert p50 ms |")
	require.Contains(t, b.String(), "| "+alertlatency.Name+" p50 / p99 ms |")
	require.Contains(t, b.String(), "| 1.25 / 3.75 | 0.75 / 2.50 | 5000 → 4999 |")
}

func TestCollectMeta(t *testing.T) {
	m := CollectMeta()
	require.Contains(t, m.Machine, "cores")
	require.NotEmpty(t, m.Go)
	require.NotEmpty(t, m.Date)
}
