package harness

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"os"
	"os/exec"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/michi-v2x/michi/internal/edge"
)

// startEdge runs an edge node in this process on loopback.
func startEdge(t *testing.T) *edge.Node {
	t.Helper()
	n, err := edge.New(edge.Options{
		MQTTAddr: "127.0.0.1:0", WSAddr: "127.0.0.1:0", HTTPAddr: "127.0.0.1:0", MQTTQUICAddr: "127.0.0.1:0",
		QUICAddr: "127.0.0.1:0", Log: slog.New(slog.DiscardHandler),
	})
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- n.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		require.NoError(t, <-done)
	})
	select {
	case <-n.Ready():
	case err := <-done:
		t.Fatalf("edge stopped before ready: %v", err)
	case <-time.After(10 * time.Second):
		t.Fatal("edge not ready")
	}
	return n
}

func edgeTarget(n *edge.Node) Target {
	return Target{Name: "michi", MQTTAddr: n.MQTTAddr(), WSAddr: n.WSAddr(), MQTTQUICAddr: n.MQTTQUICAddr(),
		QUICAddr: n.QUICAddr(), HTTPAddr: n.HTTPAddr(), TLSFingerprint: n.TLSFingerprint(), InProcess: true}
}

// smokeLoad is a short run: 50 vehicles at 5 Hz for 3 s in a 2 km square, 2 hazards a second.
func smokeLoad(transport string) Options {
	return Options{
		Transport: transport, Vehicles: 50, RateHz: 5, Duration: 3 * time.Second, Warmup: time.Second,
		Grace: 2 * time.Second, HazardRate: 2, AreaKm: 2, Writers: 2,
	}
}

// requireReal asserts a run measured something real: latency samples, alerts expected and all
// of them received on loopback, and the telemetry rate asked for within 10 %.
func requireReal(t *testing.T, res *Result) {
	t.Helper()
	var buf bytes.Buffer
	require.NoError(t, WriteTable(&buf, []Result{*res}))
	js, _ := json.Marshal(res)
	t.Logf("\n%s\n%s", buf.String(), js)
	require.Equal(t, 6, res.AlertsSent)
	require.Positive(t, res.AlertsExpected)
	require.Positive(t, res.LatencyMs.Samples)
	require.Zero(t, res.AlertsLost, "no alert may be lost on loopback")
	require.Equal(t, res.AlertsExpected, res.AlertsReceived)
	require.LessOrEqual(t, res.AlertsRelevantExpected, res.AlertsExpected)
	require.Equal(t, res.AlertsRelevantExpected, res.AlertsRelevantReceived)
	require.GreaterOrEqual(t, res.LatencyRelevantMs.Samples, res.AlertsRelevantReceived)
	require.LessOrEqual(t, res.LatencyRelevantMs.Samples, res.LatencyMs.Samples)
	if res.Transport == QUIC {
		require.Equal(t, res.AlertsExpected, res.AlertsRelevantExpected, "geocast: the expected are the relevant")
	}
	require.Zero(t, res.AlertsUnexpected)
	require.Zero(t, res.RadiusMismatch)
	require.Zero(t, res.SensorRejected)
	require.Zero(t, res.Disconnects)
	require.InEpsilon(t, res.TelemetryAsked, res.TelemetryAchieved, 0.10)
	require.Positive(t, res.LatencyMs.Max)
	// Alert latency: one sample per delivery, starting when the target took the report in,
	// after its schedule (1 ms for the ms-truncated reference time, 1 % for the histogram).
	require.Equal(t, res.AlertsReceived, res.AlertLatencyMs.Samples)
	require.LessOrEqual(t, res.AlertLatencyMs.Max, res.LatencyRawMs.Max*1.01+1)
}

func TestSmokeMQTTTCP(t *testing.T) {
	n := startEdge(t)
	res, err := Run(t.Context(), smokeLoad(MQTTTCP), edgeTarget(n))
	require.NoError(t, err)
	requireReal(t, res)
	// The edge's own count agrees that it ingested the telemetry and refused none of it.
	require.NotNil(t, res.TelemetryIngested)
	require.InEpsilon(t, res.TelemetryAsked, *res.TelemetryIngested, 0.10)
	require.Zero(t, *res.TargetRejected)
}

func TestSmokeOtherTransports(t *testing.T) {
	if testing.Short() {
		t.Skip("short")
	}
	for _, tr := range []string{MQTTWS, MQTTQUIC, QUIC} {
		t.Run(tr, func(t *testing.T) {
			// A fresh edge: the hazards of a previous run stay active for their validity, and a
			// new one injected within 100 m of one of them would merge with it.
			n := startEdge(t)
			res, err := Run(t.Context(), smokeLoad(tr), edgeTarget(n))
			require.NoError(t, err)
			requireReal(t, res)
		})
	}
}

// mosquittoOrSkip finds the mosquitto broker, skipping unless MICHI_REQUIRE_INTEGRATION=1.
func mosquittoOrSkip(t *testing.T) string {
	path, err := exec.LookPath("mosquitto")
	if err != nil {
		if os.Getenv("MICHI_REQUIRE_INTEGRATION") == "1" {
			t.Fatalf("mosquitto is required (MICHI_REQUIRE_INTEGRATION=1): %v", err)
		}
		t.Skip("mosquitto not installed (apt-get install -y mosquitto)")
	}
	return path
}

func TestSmokeBaselineMosquitto(t *testing.T) {
	bin := mosquittoOrSkip(t)
	target, stop, err := StartMosquitto(t.Context(), bin, Pin{}, slog.New(slog.DiscardHandler))
	require.NoError(t, err)
	t.Cleanup(func() { _ = stop() })
	require.True(t, target.Baseline)
	require.Positive(t, target.PID)

	res, err := Run(t.Context(), smokeLoad(MQTTTCP), target)
	require.NoError(t, err)
	requireReal(t, res)
	require.NotNil(t, res.TargetCPUPct, "a local broker's CPU is observed")
	require.NotNil(t, res.TargetRSSMB)
	require.Positive(t, *res.TargetRSSMB)
}

// Realistic mode: vehicles move and send by the ETSI rules; every alert still arrives (over MQTT
// the subscriptions decide), the edge takes every CAM, and the rate lies between the rules'
// 1 Hz floor and their 10 Hz ceiling.
func TestSmokeETSIRules(t *testing.T) {
	n := startEdge(t)
	o := smokeLoad(MQTTTCP)
	o.CAMRules = CAMRulesETSI
	res, err := Run(t.Context(), o, edgeTarget(n))
	require.NoError(t, err)
	js, _ := json.Marshal(res)
	t.Logf("%s", js)
	require.Equal(t, CAMRulesETSI, res.CAMRules)
	require.Equal(t, 6, res.AlertsSent)
	require.Positive(t, res.AlertsExpected)
	require.Equal(t, res.AlertsExpected, res.AlertsReceived)
	require.Zero(t, res.AlertsUnexpected)
	require.Zero(t, res.Disconnects)
	require.Greater(t, res.CAMRatePerVehicleHz, 0.8)
	require.Less(t, res.CAMRatePerVehicleHz, 6.0)
	require.Positive(t, res.CAMTriggers["position"])
	require.Positive(t, res.CAMTriggers["speed"], "accelerating and braking")
	require.NotNil(t, res.TelemetryIngested)
	require.InEpsilon(t, res.TelemetryAchieved, *res.TelemetryIngested, 0.15)
	require.Zero(t, *res.TargetRejected, "the edge takes moving vehicles' CAMs")
}
