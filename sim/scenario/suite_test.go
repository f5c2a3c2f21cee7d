package scenario_test

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/michi-v2x/michi/sim/eval"
	"github.com/michi-v2x/michi/sim/report"
	"github.com/michi-v2x/michi/sim/scenario"
	"github.com/michi-v2x/michi/sim/sumo/sumotest"
	"github.com/michi-v2x/michi/sim/worlds"
)

// The short evaluation suite end to end: SUMO's tools make the two worlds, real SUMO drives
// them with a breakdown, in-process edges with their default configuration raise what they
// raise. What is asserted is the instrument, not the detectors: the breakdown is found in
// SUMO's FCD, and the figures add up. (It is here because CI runs this directory's end-to-end
// suites without the race detector, which mochi-mqtt's retained-message race trips.)
func TestEvalShortSuite(t *testing.T) {
	sumotest.Require(t, "sumo", "netgenerate", "netconvert", "duarouter", "python3")
	scenario.SkipMochiRace(t)
	if testing.Short() {
		t.Skip("three SUMO worlds of 75 s")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 8*time.Minute)
	defer cancel()
	out := t.TempDir()
	res, err := eval.Run(ctx, eval.Options{Worlds: worlds.Short(), Parallel: 2, Out: out, Short: true})
	require.NoError(t, err)
	require.Len(t, res.Worlds, 3)
	for _, w := range res.Worlds {
		t.Logf("%+v", w)
		require.Empty(t, w.Error)
		require.True(t, strings.HasPrefix(w.Incident, "stood "), "SUMO stopped the breakdown's car and the FCD shows it: %s", w.Incident)
		require.Positive(t, w.Vehicles)
		if w.Connected == 1 {
			require.Equal(t, w.Vehicles, w.Clients, "every vehicle connected")
		} else {
			require.Less(t, w.Clients, w.Vehicles, "part of the fleet connected")
			require.Positive(t, w.Clients)
		}
		d := w.Detection
		require.Equal(t, d.Raised, d.Matched+d.Phantom)
		require.Equal(t, 1, d.Incidents, "one breakdown, which a detector exists for")
		if d.Raised > 0 {
			require.InDelta(t, float64(d.Matched)/float64(d.Raised), *d.Precision, 1e-4)
		}
		require.InDelta(t, float64(d.Detected), *d.Recall, 1e-9)
		require.Equal(t, d.Detected, d.TimeToDetectS.N)
		var sum report.Quality
		for _, q := range w.ByCause {
			require.Equal(t, q.Raised, q.Matched+q.Phantom)
			sum.Raised, sum.Matched, sum.Duplicates, sum.PhantomWarnings = sum.Raised+q.Raised, sum.Matched+q.Matched,
				sum.Duplicates+q.Duplicates, sum.PhantomWarnings+q.PhantomWarnings
		}
		require.Equal(t, []int{d.Raised, d.Matched, d.Duplicates, d.PhantomWarnings},
			[]int{sum.Raised, sum.Matched, sum.Duplicates, sum.PhantomWarnings}, "the causes add up to the whole")

		b, err := os.ReadFile(w.Report)
		require.NoError(t, err)
		var rep report.Report
		require.NoError(t, json.Unmarshal(b, &rep))
		require.Len(t, rep.Hazards, 1)
		h := rep.Hazards[0]
		require.Equal(t, "stopped_vehicle", h.Kind)
		require.Less(t, h.StartS, rep.DurationS)
		require.Len(t, rep.OtherHazards, d.Phantom, "the phantoms are listed")
		require.Equal(t, d.Detected == 1, h.Detected)
	}
	require.Equal(t, res.Worlds[0].Detection.Raised+res.Worlds[1].Detection.Raised+res.Worlds[2].Detection.Raised, res.Total.Raised)
	md, err := os.ReadFile(filepath.Join(out, "results.md"))
	require.NoError(t, err)
	require.Contains(t, string(md), "| grid-tls-lefthand-rush | ")
	require.Contains(t, string(md), "| grid-tls-righthand-rush-connected50 | ")
	require.Contains(t, string(md), "the short suite (CI)")
	require.FileExists(t, filepath.Join(out, "results.json"))
}
