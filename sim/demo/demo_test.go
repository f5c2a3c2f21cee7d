package demo

import (
	"bytes"
	"context"
	"regexp"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/michi-v2x/michi/sim"
)

func TestDemoWorldIsValid(t *testing.T) {
	o := Config(Options{HTTPPorts: []int{0, 0, 0}})
	e, err := sim.New(o.World)
	require.NoError(t, err)
	require.Len(t, e.Hazards, 6)
	require.Len(t, o.Edges, 2)
	kinds := map[sim.Kind]bool{}
	for _, h := range e.Hazards {
		kinds[h.Spec.Kind] = true
	}
	require.Len(t, kinds, 6, "every kind of hazard appears")
}

// A short demo: both edges serve, the road works (at 8 s) reach every vehicle near them.
func TestDemoRuns(t *testing.T) {
	var out bytes.Buffer
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	rep, err := Run(ctx, Options{Duration: 11 * time.Second, Vehicles: 120, Out: &out, HTTPPorts: []int{0, 0, 0}})
	require.NoError(t, err)
	require.Contains(t, out.String(), "cloud hub: http://127.0.0.1:")
	require.Contains(t, out.String(), "edge a7-edge")
	require.Contains(t, out.String(), "/api/v1/hazards")
	// The banner explains the dashboard's client count by the same parts the edges count.
	m := regexp.MustCompile(`clients connected: (\d+) = (\d+) vehicles \+ (\d+) sensors \+ 2 observers`).FindStringSubmatch(out.String())
	require.NotNil(t, m, out.String())
	require.Equal(t, atoi(t, m[1]), atoi(t, m[2])+atoi(t, m[3])+2)
	require.Equal(t, rep.Connected, atoi(t, m[2]))
	require.Equal(t, rep.Sensors, atoi(t, m[3]))
	require.Equal(t, []string{"a7-edge", "city-edge"}, rep.Edges)
	rw := rep.Hazards[0]
	require.Equal(t, "road-works-rue-merciere", rw.ID)
	require.True(t, rw.Detected)
	require.Positive(t, rw.AlertsExpected)
	require.Equal(t, rw.AlertsExpected, rw.AlertsDelivered)
	require.Zero(t, rep.Overall.FalseDeliveries)
}

func atoi(t *testing.T, s string) int {
	t.Helper()
	n, err := strconv.Atoi(s)
	require.NoError(t, err)
	return n
}
