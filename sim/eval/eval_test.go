package eval

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/michi-v2x/michi/sim/report"
	"github.com/michi-v2x/michi/sim/worlds"
)

func share(v float64) *float64 { return &v }

func quality(cause uint8, raised, matched, dups, warnings, incidents, detected int) report.Quality {
	q := report.Quality{Cause: cause, Raised: raised, Matched: matched, Phantom: raised - matched, Duplicates: dups,
		PhantomWarnings: warnings, Incidents: incidents, Detected: detected}
	if raised > 0 {
		q.Precision = share(float64(matched) / float64(raised))
	}
	if incidents > 0 {
		q.Recall = share(float64(detected) / float64(incidents))
	}
	return q
}

// The results add the worlds up and print them as a table, failed runs included.
func TestResults(t *testing.T) {
	reps := []*report.Report{
		{Detection: report.Detection{Overall: quality(0, 10, 2, 1, 30, 1, 1),
			ByCause: []report.Quality{quality(14, 8, 0, 0, 30, 0, 0), quality(94, 2, 2, 1, 0, 1, 1)}}},
		{Detection: report.Detection{Overall: quality(0, 4, 0, 0, 5, 1, 0),
			ByCause: []report.Quality{quality(97, 4, 0, 0, 5, 0, 0)}}},
		nil, // a failed run
	}
	r := &Results{Commit: "abc1234-dirty", Date: time.Date(2026, 12, 7, 23, 0, 0, 0, time.UTC), Parallel: 2,
		Machine: Machine{OS: "linux", Arch: "amd64", CPUs: 2, Go: "go1.26"},
		Worlds: []World{
			{Name: "spider-lefthand-rush", Vehicles: 210, Incident: "stood 90 s from 48 s", Detection: reps[0].Detection.Overall, LateSteps: 7},
			{Name: "motorway-righthand-quiet", Vehicles: 50, Incident: "not happened: never inserted", Detection: reps[1].Detection.Overall},
			{Name: "grid-tls-lefthand-rush", Error: "sumo did not connect\nwithin 30s | oops"},
		}}
	r.total(reps)
	require.Equal(t, 14, r.Total.Raised)
	require.Equal(t, 2, r.Total.Matched)
	require.Equal(t, 12, r.Total.Phantom)
	require.Equal(t, 35, r.Total.PhantomWarnings)
	require.InDelta(t, 2.0/14, *r.Total.Precision, 1e-4)
	require.InDelta(t, 0.5, *r.Total.Recall, 1e-9)
	require.Equal(t, []uint8{14, 94, 97}, []uint8{r.ByCause[0].Cause, r.ByCause[1].Cause, r.ByCause[2].Cause})

	tab := r.Table()
	require.Contains(t, tab, "| spider-lefthand-rush | 210 | stood 90 s from 48 s | 10 | 2 | 8 | 1 | 30 | 20.0 % | 100.0 % | – | 7 |")
	require.Contains(t, tab, "| motorway-righthand-quiet | 50 | not happened: never inserted | 4 | 0 | 4 | 0 | 5 | 0.0 % | 0.0 % | – |")
	require.Contains(t, tab, "| grid-tls-lefthand-rush | | **run failed:** sumo did not connect within 30s / oops |")
	require.Contains(t, tab, "| **all** | | | 14 | 2 | 12 | 1 | 35 | 14.3 % | 50.0 % | – | 7 |")

	dir := t.TempDir()
	require.NoError(t, r.Write(dir))
	md, err := os.ReadFile(filepath.Join(dir, "results.md"))
	require.NoError(t, err)
	require.Contains(t, string(md), "Commit `abc1234-dirty`, 2026-12-07 23:00 UTC, the full suite; 3 worlds run 2 at a time.")
	require.Contains(t, string(md), "| 94 | 2 | 2 | 0 | 1 | 0 | 100.0 % | 100.0 % | – |")
	b, err := os.ReadFile(filepath.Join(dir, "results.json"))
	require.NoError(t, err)
	var back Results
	require.NoError(t, json.Unmarshal(b, &back))
	require.Equal(t, r.Worlds[0].Name, back.Worlds[0].Name)
	require.Equal(t, 14, back.Total.Raised)
	require.True(t, strings.HasSuffix(string(b), "}\n"))
}

func TestRunOptions(t *testing.T) {
	_, err := Run(context.Background(), Options{})
	require.ErrorContains(t, err, "an output directory is required")
	_, err = Run(context.Background(), Options{Out: t.TempDir(), Worlds: []worlds.Spec{{Kind: "maze"}}})
	require.ErrorContains(t, err, `kind "maze"`)
}

func TestMachineAndCommit(t *testing.T) {
	m := machine(context.Background())
	require.Positive(t, m.CPUs)
	require.NotEmpty(t, m.Go)
	require.NotEmpty(t, commit(context.Background()), "a hash, or unknown")
}
