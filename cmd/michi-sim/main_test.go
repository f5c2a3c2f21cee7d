package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
)

const tiny = `name: tiny
seed: 1
duration: 3s
origin: {lat: 45.76, lon: 4.83}
roads: [{highway: {length_m: 1000, lanes: 1}}]
traffic: {vehicles: 10, connected: 1}
hazards: [{kind: road_works, at: {x: 0, y: 2}, start: 1s}]
`

func TestCheckAndRun(t *testing.T) {
	dir := t.TempDir()
	f := filepath.Join(dir, "tiny.yaml")
	require.NoError(t, os.WriteFile(f, []byte(tiny), 0o644))
	var out, errb bytes.Buffer
	require.NoError(t, run([]string{"check", f}, &out, &errb))
	require.Contains(t, out.String(), "ok")

	out.Reset()
	rdir := filepath.Join(dir, "rep")
	require.NoError(t, run([]string{"run", f, "--out", rdir}, &out, &errb), errb.String())
	require.Contains(t, out.String(), "report: ")
	require.Contains(t, out.String(), "detection: raised 1, matched 1 · precision 100.0 % recall 100.0 % · phantoms 0")
	b, err := os.ReadFile(filepath.Join(rdir, "report.json"))
	require.NoError(t, err)
	var rep struct {
		Overall struct {
			HazardsDetected int `json:"hazards_detected"`
			AlertsExpected  int `json:"alerts_expected"`
			AlertsDelivered int `json:"alerts_delivered"`
		} `json:"overall"`
	}
	require.NoError(t, json.Unmarshal(b, &rep))
	require.Equal(t, 1, rep.Overall.HazardsDetected, "the authority's road works")
	require.Equal(t, rep.Overall.AlertsExpected, rep.Overall.AlertsDelivered)
	require.Positive(t, rep.Overall.AlertsExpected)
	_, err = os.Stat(filepath.Join(rdir, "report.html"))
	require.NoError(t, err)
}

func TestErrors(t *testing.T) {
	dir := t.TempDir()
	f := filepath.Join(dir, "bad.yaml")
	require.NoError(t, os.WriteFile(f, []byte(tiny+"colour: blue\n"), 0o644))
	var out, errb bytes.Buffer
	err := run([]string{"check", f}, &out, &errb)
	require.ErrorContains(t, err, "bad.yaml:8: field colour not found")
	require.Error(t, run(nil, &out, &errb))
	require.ErrorContains(t, run([]string{"fly"}, &out, &errb), `unknown command "fly"`)
	require.ErrorContains(t, run([]string{"run"}, &out, &errb), "needs one scenario file")
	require.ErrorContains(t, run([]string{"eval", "--worlds", "atlantis-rush"}, &out, &errb), "no world atlantis-rush")
	require.ErrorContains(t, run([]string{"eval", "--connected", "1.5"}, &out, &errb), "--connected 1.5: want a share")
}

func TestHelpExitsZero(t *testing.T) {
	for _, h := range []string{"-h", "--help", "help"} {
		var out, errb bytes.Buffer
		require.NoError(t, run([]string{h}, &out, &errb), h)
		require.Contains(t, out.String(), "michi-sim demo", h)
	}
	for _, cmd := range []string{"eval", "run", "demo"} {
		var out, errb bytes.Buffer
		require.NoError(t, run([]string{cmd, "-h"}, &out, &errb), cmd)
		require.Contains(t, errb.String(), "-parallel", cmd)
	}
}
