package scenario

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/michi-v2x/michi/internal/edge"
	"github.com/michi-v2x/michi/sim/report"
	"github.com/michi-v2x/michi/sim/sumo/sumotest"
)

// skipMochiRace skips a test whose vehicles keep subscribing while the edge publishes retained
// hazards: mochi-mqtt v2.7.9 reads a topic's retainPath in TopicsIndex.scanMessages (retained
// replay on subscribe) without the lock RetainMessage writes it under, and the race detector
// flags it in the broker, not here. These tests run without -race.
func skipMochiRace(t *testing.T) {
	t.Helper()
	if raceEnabled {
		t.Skip("mochi-mqtt v2.7.9 retained-message race (TopicsIndex.scanMessages vs RetainMessage); runs without -race")
	}
}

func runFile(t *testing.T, s *Scenario, d time.Duration) *report.Report {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), d+time.Minute)
	defer cancel()
	rep, err := s.Run(ctx, RunOptions{Duration: d})
	require.NoError(t, err)
	return rep
}

// Replays the committed SUMO FCD (no SUMO needed): the authority's road works reach every
// connected SUMO vehicle inside the relevance area, and nobody outside it.
func TestSUMOReplayEndToEnd(t *testing.T) {
	skipMochiRace(t)
	fcd, err := filepath.Abs("../testdata/grid.fcd.xml")
	require.NoError(t, err)
	s, err := Parse("replay.yaml", []byte(`
name: replay
seed: 6
duration: 12s
origin: {lat: 45.7578, lon: 4.8320}
sumo: {fcd: `+fcd+`, begin: 30s}
traffic: {connected: 1}
edges: [{id: e, options: {detect: {disable: [collision]}}}]
hazards: [{kind: road_works, at: {x: 300, y: 300}, start: 1s}]
`))
	require.NoError(t, err)
	rep := runFile(t, s, 12*time.Second)
	require.Greater(t, rep.Connected, 10, "SUMO vehicles became clients")
	h := rep.Hazards[0]
	require.True(t, h.Detected)
	require.Positive(t, h.AlertsExpected)
	require.Equal(t, h.AlertsExpected, h.AlertsDelivered, "%+v", h.Missed)
	require.Zero(t, rep.Overall.FalseDeliveries)
}

// Runs real SUMO on the committed netgenerate grid (projected on the fly), its live FCD over a
// socket, every vehicle a client of an in-process edge.
func TestSUMOEndToEnd(t *testing.T) {
	sumotest.Require(t)
	skipMochiRace(t)
	s, err := Load("../scenarios/sumo-grid.yaml")
	require.NoError(t, err)
	rep := runFile(t, s, 12*time.Second)
	require.Greater(t, rep.Connected, 10)
	byID := map[string]report.HazardReport{}
	for _, h := range rep.Hazards {
		byID[h.ID] = h
	}
	works := byID["works"]
	require.True(t, works.Detected)
	require.Positive(t, works.AlertsDelivered)
	require.True(t, byID["debris"].Detected, "vehicles reported the obstacle")
	require.Zero(t, rep.Overall.FalseDeliveries)
}

// --edge: the run uses an edge node that is already running (here one started by the test).
func TestExternalEdge(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	n, err := edge.New(edge.Options{MQTTAddr: "127.0.0.1:0", WSAddr: edge.Off, HTTPAddr: edge.Off, MQTTQUICAddr: edge.Off, QUICAddr: edge.Off})
	require.NoError(t, err)
	done := make(chan error, 1)
	go func() { done <- n.Run(ctx) }()
	t.Cleanup(func() { cancel(); <-done })
	<-n.Ready()
	s, err := Parse("ext.yaml", []byte(`
duration: 4s
origin: {lat: 45.76, lon: 4.83}
roads: [{highway: {length_m: 1500, lanes: 1}}]
traffic: {vehicles: 12, connected: 1}
hazards: [{kind: road_works, at: {x: 100, y: 2}, start: 1s}]
`))
	require.NoError(t, err)
	rep, err := s.Run(ctx, RunOptions{EdgeURL: "tcp://" + n.MQTTAddr()})
	require.NoError(t, err)
	require.Equal(t, []string{"external"}, rep.Edges)
	h := rep.Hazards[0]
	require.True(t, h.Detected)
	require.Equal(t, h.AlertsExpected, h.AlertsDelivered)
	require.Positive(t, h.AlertsExpected)
	require.Len(t, n.Hazards().Active(), 1, "the hazard lives in the external edge")
}
