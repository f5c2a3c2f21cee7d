package harness

import (
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestParseLogLine(t *testing.T) {
	line := `time=2026-11-25T20:12:43.832Z level=INFO msg="edge node ready" edge=edge-1 mqtt=127.0.0.1:40001 ws=127.0.0.1:40002 mqtts="" mqtt_quic=127.0.0.1:40003 http=127.0.0.1:40004 note="a \"quoted\" word"`
	kv := parseLogLine(line)
	require.Equal(t, "edge node ready", kv["msg"])
	require.Equal(t, "INFO", kv["level"])
	require.Equal(t, "127.0.0.1:40001", kv["mqtt"])
	require.Equal(t, "127.0.0.1:40003", kv["mqtt_quic"])
	require.Equal(t, "127.0.0.1:40004", kv["http"])
	require.Empty(t, kv["mqtts"])
	require.Equal(t, `a "quoted" word`, kv["note"])
	require.Empty(t, parseLogLine("panic: something else entirely"))
}

// TestBenchStartsEdgeNodeAsAProcess builds cmd/edge-node and runs the CLI's default path: the
// target is a separate process, so its CPU and memory are observed apart from the generator's.
func TestBenchStartsEdgeNodeAsAProcess(t *testing.T) {
	if testing.Short() {
		t.Skip("builds edge-node")
	}
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()
	bin, err := BuildEdge(ctx, t.TempDir())
	require.NoError(t, err)
	b, err := New(BenchOptions{
		Load:      Options{Vehicles: 20, RateHz: 5, Duration: 2 * time.Second, Warmup: time.Second, Grace: time.Second, HazardRate: 2, AreaKm: 2},
		Vehicles:  []int{20, 30},
		TargetBin: bin,
		Log:       slog.New(slog.DiscardHandler),
	})
	require.NoError(t, err)
	rs, err := b.Run(ctx)
	require.NoError(t, err)
	require.Len(t, rs, 2)
	for _, r := range rs {
		require.Empty(t, r.Error)
		require.Equal(t, "michi", r.Target)
		require.Positive(t, r.AlertsExpected)
		require.Zero(t, r.AlertsLost)
		require.NotNil(t, r.TargetCPUPct)
		require.NotNil(t, r.TargetRSSMB)
		require.NotNil(t, r.MemPerConnKiB)
		require.NotNil(t, r.StackPerConnKiB, "the edge's Go runtime metrics were not scraped")
		require.NotNil(t, r.TelemetryIngested)
		require.False(t, r.InProcess)
	}
	require.Equal(t, 30, rs[1].Vehicles)
}

func TestStartEdgeFailsClearlyWhenTheBinaryExits(t *testing.T) {
	bin := filepath.Join(t.TempDir(), "edge-node")
	require.NoError(t, os.WriteFile(bin, []byte("#!/bin/sh\necho 'edge-node: bad flag' >&2\nexit 2\n"), 0o755))
	_, _, err := StartEdge(t.Context(), bin, nil, Pin{}, slog.New(slog.DiscardHandler))
	require.ErrorIs(t, err, errTargetExited)
	require.ErrorContains(t, err, "bad flag")
}
