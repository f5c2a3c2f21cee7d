package scenario

import (
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/michi-v2x/michi/sim"
)

func TestExampleScenariosLoad(t *testing.T) {
	files, err := filepath.Glob("../scenarios/*.yaml")
	require.NoError(t, err)
	require.GreaterOrEqual(t, len(files), 4)
	for _, f := range files {
		s, err := Load(f)
		require.NoError(t, err, f)
		require.NotEmpty(t, s.Name)
		require.Greater(t, s.Duration, time.Duration(0))
	}
}

const good = `name: t
seed: 3
duration: 30s
origin: {lat: 45.76, lon: 4.83}
roads:
  - highway: {length_m: 2000}
traffic: {vehicles: 50}
hazards:
  - kind: stopped_vehicle
    at: {x: 100, y: -5.25}
    start: 5s
`

func TestBadFileNamesLineAndProblem(t *testing.T) {
	for name, tc := range map[string]struct{ yaml, want string }{
		"unknown field": {strings.Replace(good, "    start: 5s", "    strat: 5s", 1), "bad.yaml:11: field strat not found"},
		"bad kind":      {strings.Replace(good, "stopped_vehicle", "meteor", 1), `bad.yaml:9: hazards[0].kind: "meteor": want one of`},
		"off the road":  {strings.Replace(good, "y: -5.25", "y: 400", 1), "bad.yaml:10: hazards[0].at: 395 m from the nearest lane"},
		"bad lanes":     {strings.Replace(good, "length_m: 2000", "length_m: 2000, lanes: 9", 1), "bad.yaml:6: roads[0].highway.lanes: 9: want 1 … 6"},
		"bad duration":  {strings.Replace(good, "duration: 30s", "duration: soon", 1), "bad.yaml:3: cannot unmarshal !!str `soon`"},
		"no duration":   {strings.Replace(good, "duration: 30s\n", "", 1), "bad.yaml:1: duration: required"},
		"yaml syntax":   {good + "  - kind: [\n", "bad.yaml:"},
		"transport":     {good + "transport: carrier-pigeon\n", `bad.yaml:12: transport: "carrier-pigeon"`},
		"edge options":  {good + "edges:\n  - id: e\n    options: {detect_interval: 1ms}\n", "bad.yaml:14: edges[0].options: detect_interval 1ms"},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := Parse("bad.yaml", []byte(tc.yaml))
			require.Error(t, err)
			require.Contains(t, err.Error(), tc.want)
		})
	}
}

func TestEveryProblemAtOnce(t *testing.T) {
	y := strings.Replace(good, "stopped_vehicle", "meteor", 1)
	y = strings.Replace(y, "vehicles: 50", "vehicles: -1", 1)
	_, err := Parse("bad.yaml", []byte(y))
	require.ErrorContains(t, err, "hazards[0].kind")
	require.ErrorContains(t, err, "bad.yaml:7: traffic.vehicles")
}

// The same scenario and seed give the same vehicles and events; another seed does not.
func TestDeterministic(t *testing.T) {
	trace := func(seed uint64) string {
		s, err := Parse("d.yaml", []byte(good))
		require.NoError(t, err)
		w := s.World()
		w.Seed = seed
		e, err := sim.New(w)
		require.NoError(t, err)
		var b strings.Builder
		for e.Now() < 20*time.Second {
			r := e.Step()
			for _, i := range r.Started {
				b.WriteString("start " + e.Hazards[i].Spec.ID + " ")
			}
		}
		for _, v := range e.Vehicles {
			b.WriteString(strings.TrimSpace(strings.Join([]string{
				strconv.Itoa(int(v.Station)), boolStr(v.Connected),
				ftoa(v.Pos.X), ftoa(v.Pos.Y), ftoa(v.Speed)}, ",")) + ";")
		}
		return b.String()
	}
	require.Equal(t, trace(3), trace(3))
	require.NotEqual(t, trace(3), trace(4))
}

func boolStr(b bool) string {
	if b {
		return "c"
	}
	return "u"
}

func ftoa(f float64) string { return strconv.FormatFloat(f, 'f', 6, 64) }
