package demo_test

import (
	"bytes"
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/michi-v2x/michi/internal/alertlatency"
	"github.com/michi-v2x/michi/internal/demo"
	"github.com/michi-v2x/michi/internal/detect"
	"github.com/michi-v2x/michi/internal/edge"
)

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}
func (s *syncBuffer) String() string { s.mu.Lock(); defer s.mu.Unlock(); return s.b.String() }

// The README's first command, on a compressed timeline: both scripted hazards reach vehicles.
func TestDemoDeliversBothHazards(t *testing.T) {
	n, err := edge.New(edge.Options{MQTTAddr: "127.0.0.1:0", WSAddr: "127.0.0.1:0", HTTPAddr: "127.0.0.1:0", MQTTQUICAddr: "127.0.0.1:0", QUICAddr: "127.0.0.1:0",
		Detect: detect.Options{Stationary: detect.StationaryOptions{MinStopped: time.Second}}})
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	out := &syncBuffer{}
	done := make(chan error, 1)
	go func() {
		done <- demo.Run(ctx, n, out, demo.Timeline{ReportAt: 300 * time.Millisecond, StopAfter: 500 * time.Millisecond})
	}()
	deadline := time.After(30 * time.Second)
	for !strings.Contains(out.String(), "accident") || !strings.Contains(out.String(), "stationaryVehicle") {
		select {
		case err := <-done:
			t.Fatalf("demo ended early: %v\n%s", err, out.String())
		case <-deadline:
			t.Fatalf("no alerts for both hazards within 30s:\n%s", out.String())
		case <-time.After(50 * time.Millisecond):
		}
	}
	cancel()
	require.NoError(t, <-done)
	require.Contains(t, out.String(), "stopping:")
	// Live alerts say which latency they show, in the words of docs/metrics.md.
	require.Regexp(t, `accident .* m away, `+alertlatency.Name+` \d+ ms`, out.String())
}
