package demo

import (
	"bytes"
	"context"
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
	require.Equal(t, []string{"a7-edge", "city-edge"}, rep.Edges)
	rw := rep.Hazards[0]
	require.Equal(t, "road-works-rue-merciere", rw.ID)
	require.True(t, rw.Detected)
	require.Positive(t, rw.AlertsExpected)
	require.Equal(t, rw.AlertsExpected, rw.AlertsDelivered)
	require.Zero(t, rep.Overall.FalseDeliveries)
}
