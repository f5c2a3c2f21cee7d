package worlds

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"text/template"
	"time"

	"github.com/michi-v2x/michi/sim/scenario"
	"github.com/michi-v2x/michi/sim/sumo"
)

// The kinds of world.
const (
	Spider     = "spider"     // netgenerate --spider: rings and spokes, priority junctions
	GridTLS    = "grid-tls"   // netgenerate --grid: a Manhattan grid with traffic lights
	Roundabout = "roundabout" // two roundabouts with approach arms, made by netconvert
	Motorway   = "motorway"   // a dual carriageway with on- and off-ramps, made by netconvert
)

// Kinds lists the kinds in the suite's order.
var Kinds = []string{Spider, GridTLS, Roundabout, Motorway}

// Demands.
const (
	Quiet = "quiet"
	Rush  = "rush" // three times as many trips
)

// Spec describes one world. Zero fields take their defaults.
type Spec struct {
	Kind     string
	LeftHand bool
	Demand   string // quiet (default) or rush
	Lanes    int    // lanes each way on the main roads; default: motorway 3, grid-tls 2, others 1
	Seed     uint64 // default 1
	// Connected is the share of SUMO vehicles that are clients of the edge, default 1 (the
	// breakdown's vehicle always is).
	Connected float64
	// Begin is SUMO's warm-up, skipped (default 60 s); the breakdown stands from IncidentAt
	// (run time, default 50 s) for Stand (90 s); the run lasts Duration (150 s).
	Begin, IncidentAt, Stand, Duration time.Duration
}

func (s *Spec) setDefaults() {
	if s.Demand == "" {
		s.Demand = Quiet
	}
	if s.Lanes == 0 {
		s.Lanes = map[string]int{Motorway: 3, GridTLS: 2}[s.Kind]
		s.Lanes = max(s.Lanes, 1)
	}
	if s.Seed == 0 {
		s.Seed = 1
	}
	if s.Connected == 0 {
		s.Connected = 1
	}
	if s.Begin == 0 {
		s.Begin = 60 * time.Second
	}
	if s.IncidentAt == 0 {
		s.IncidentAt = 50 * time.Second
	}
	if s.Stand == 0 {
		s.Stand = 90 * time.Second
	}
	if s.Duration == 0 {
		s.Duration = 150 * time.Second
	}
}

// Validate applies the defaults and reports every problem at once.
func (s *Spec) Validate() error {
	s.setDefaults()
	var errs []error
	if !slices.Contains(Kinds, s.Kind) {
		errs = append(errs, fmt.Errorf("kind %q: want one of %v", s.Kind, Kinds))
	}
	if s.Demand != Quiet && s.Demand != Rush {
		errs = append(errs, fmt.Errorf("demand %q: want %s or %s", s.Demand, Quiet, Rush))
	}
	if s.Lanes < 1 || s.Lanes > 4 {
		errs = append(errs, fmt.Errorf("lanes %d: want 1 … 4", s.Lanes))
	}
	if s.Connected < 0 || s.Connected > 1 {
		errs = append(errs, fmt.Errorf("connected %g: want a share 0 … 1", s.Connected))
	}
	if s.IncidentAt >= s.Duration {
		errs = append(errs, fmt.Errorf("the breakdown (at %s) must start before the run ends (%s)", s.IncidentAt, s.Duration))
	}
	return errors.Join(errs...)
}

// Name is the world's name: kind, driving side, demand, and what differs from the defaults.
func (s Spec) Name() string {
	s.setDefaults()
	side := "righthand"
	if s.LeftHand {
		side = "lefthand"
	}
	n := fmt.Sprintf("%s-%s-%s", s.Kind, side, s.Demand)
	if s.Connected != 1 {
		n += fmt.Sprintf("-connected%.0f", 100*s.Connected)
	}
	return n
}

// HalfConnected is the share of connected vehicles in the suite's partly connected worlds.
const HalfConnected = 0.5

// Suite is the 24 worlds of `michi-sim eval`: every kind, on each side, quiet and in the rush
// hour, every vehicle connected; and every kind on each side in the rush hour with half the
// vehicles connected (where queues stand, the cars an edge cannot see matter most).
func Suite() []Spec {
	var out, half []Spec
	for _, k := range Kinds {
		for _, left := range []bool{false, true} {
			for _, d := range []string{Quiet, Rush} {
				out = append(out, Spec{Kind: k, LeftHand: left, Demand: d})
			}
			half = append(half, Spec{Kind: k, LeftHand: left, Demand: Rush, Connected: HalfConnected})
		}
	}
	return append(out, half...)
}

// WithConnected gives every world of suite the share connected, dropping the worlds that then
// repeat another.
func WithConnected(suite []Spec, connected float64) []Spec {
	var out []Spec
	seen := map[string]bool{}
	for _, s := range suite {
		s.Connected = connected
		if !seen[s.Name()] {
			seen[s.Name()] = true
			out = append(out, s)
		}
	}
	return out
}

// Short is the CI version of the suite: three worlds, one of them half connected, in shorter
// runs (the breakdown stands 40 s from 20 s; 75 s in all).
func Short() []Spec {
	short := func(s Spec) Spec {
		s.IncidentAt, s.Stand, s.Duration = 20*time.Second, 40*time.Second, 75*time.Second
		return s
	}
	return []Spec{short(Spec{Kind: GridTLS, LeftHand: true, Demand: Rush}), short(Spec{Kind: Spider, Demand: Quiet}),
		short(Spec{Kind: GridTLS, Demand: Rush, Connected: HalfConnected})}
}

// Select picks the worlds of the suite whose names are listed (comma-separated).
func Select(suite []Spec, names string) ([]Spec, error) {
	var out []Spec
	var unknown []string
	for _, n := range strings.Split(names, ",") {
		n = strings.TrimSpace(n)
		if n == "" {
			continue
		}
		i := slices.IndexFunc(suite, func(s Spec) bool { return s.Name() == n })
		if i < 0 {
			unknown = append(unknown, n)
			continue
		}
		out = append(out, suite[i])
	}
	if len(unknown) > 0 {
		var all []string
		for _, s := range suite {
			all = append(all, s.Name())
		}
		return nil, fmt.Errorf("no world %s; the suite has %s", strings.Join(unknown, ", "), strings.Join(all, ", "))
	}
	return out, nil
}

// Origin is where every world lies on the map (network (0,0) is put here).
var Origin = struct{ Lat, Lon float64 }{45.7578, 4.8320}

// Files in a world's directory.
const (
	NetFile      = "world.net.xml"
	RoutesFile   = "world.rou.xml"
	ScenarioFile = "world.yaml"
)

// Generate writes the world s into dir (created) and returns its scenario. It needs SUMO's
// tools: netgenerate, netconvert, duarouter and python3 with $SUMO_HOME/tools/randomTrips.py.
func Generate(ctx context.Context, s Spec, dir string) (*scenario.Scenario, error) {
	if err := s.Validate(); err != nil {
		return nil, err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	if err := buildNet(ctx, s, dir); err != nil {
		return nil, fmt.Errorf("%s: network: %w", s.Name(), err)
	}
	if err := buildDemand(ctx, s, dir); err != nil {
		return nil, fmt.Errorf("%s: demand: %w", s.Name(), err)
	}
	inc, err := placeBreakdown(s, dir)
	if err != nil {
		return nil, fmt.Errorf("%s: breakdown: %w", s.Name(), err)
	}
	f := filepath.Join(dir, ScenarioFile)
	if err := writeScenario(f, s, inc); err != nil {
		return nil, err
	}
	return scenario.Load(f)
}

var scenarioYAML = template.Must(template.New("world").Parse(`# A world of sim/worlds ({{.S.Kind}}, {{if .S.LeftHand}}left{{else}}right{{end}}-hand traffic, {{.S.Demand}} demand,
# {{.S.Lanes}} lane(s) each way, seed {{.S.Seed}}), generated by SUMO's tools beside this file. The edge runs with
# its default configuration. michi-sim run {{.File}}
name: {{.Name}}
seed: {{.S.Seed}}
duration: {{.S.Duration}}
origin: {lat: {{.Origin.Lat}}, lon: {{.Origin.Lon}}}
sumo:
  net: ` + NetFile + `
  routes: ` + RoutesFile + `
  step_length: 100ms
  begin: {{.S.Begin}}          # SUMO's warm-up, skipped
  incidents:
    - {id: {{.I.ID}}, kind: {{.I.Kind}}, lane: {{.I.Lane}}, pos_m: {{printf "%.1f" .I.PosM}}, start: {{.I.Start}}, duration: {{.I.Duration}}}
traffic:
  connected: {{.S.Connected}}
`))

func writeScenario(path string, s Spec, in sumo.Incident) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	err = scenarioYAML.Execute(f, map[string]any{"S": s, "Name": s.Name(), "I": in, "Origin": Origin, "File": path})
	return errors.Join(err, f.Close())
}
