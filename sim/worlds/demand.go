package worlds

import (
	"cmp"
	"context"
	"encoding/xml"
	"fmt"
	"hash/fnv"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/michi-v2x/michi/sim/sumo"
)

// quietPeriodS is the mean time between two trips in quiet demand, per kind (the rush hour has
// rushFactor times as many); chosen so that a quiet world holds a few dozen vehicles at once and
// a rush-hour one a few hundred.
var quietPeriodS = map[string]float64{Spider: 1.6, GridTLS: 1.6, Roundabout: 1.6, Motorway: 0.5}

const rushFactor = 3

// buildDemand writes random trips over the whole run (warm-up included) and routes them with
// duarouter (randomTrips.py --validate drops trips that cannot be routed).
func buildDemand(ctx context.Context, s Spec, dir string) error {
	period := quietPeriodS[s.Kind]
	if s.Demand == Rush {
		period /= rushFactor
	}
	end := (s.Begin + s.Duration).Seconds() + 30
	script := filepath.Join(sumoHome(), "tools", "randomTrips.py")
	if _, err := os.Stat(script); err != nil {
		return fmt.Errorf("randomTrips.py not found (Debian: apt-get install sumo-tools; SUMO_HOME=/usr/share/sumo): %w", err)
	}
	return tool(ctx, dir, "python3", script, "-n", NetFile, "-o", "world.trips.xml", "-r", RoutesFile,
		"-b", "0", "-e", ftoa(end), "-p", ftoa(period), "--seed", strconv.FormatUint(s.Seed%(1<<31), 10),
		"--fringe-factor", "10", "--min-distance", "300", "--validate",
		"--trip-attributes", `departLane="best" departSpeed="max"`)
}

// Breakdown placement: mid-edge, at least endGapM from either end of an edge of at least
// minEdgeM, on one of the busiest edges (the top third by the trips that use it by the time it
// stands), picked by the seed.
const (
	minEdgeM = 150
	endGapM  = 60
)

// placeBreakdown picks where the breakdown stands.
func placeBreakdown(s Spec, dir string) (sumo.Incident, error) {
	net, err := sumo.ReadNet(filepath.Join(dir, NetFile))
	if err != nil {
		return sumo.Incident{}, err
	}
	use, err := edgeUse(filepath.Join(dir, RoutesFile), (s.Begin + s.IncidentAt).Seconds())
	if err != nil {
		return sumo.Incident{}, err
	}
	type cand struct {
		edge *sumo.NetEdge
		n    int
	}
	var cands []cand
	for i := range net.Edges {
		e := &net.Edges[i]
		if e.Internal() || len(e.Lanes) == 0 || e.Lanes[0].Length < minEdgeM || use[e.ID] == 0 {
			continue
		}
		cands = append(cands, cand{e, use[e.ID]})
	}
	if len(cands) == 0 {
		return sumo.Incident{}, fmt.Errorf("no edge of %d m or more carries traffic", minEdgeM)
	}
	slices.SortFunc(cands, func(a, b cand) int {
		return cmp.Or(cmp.Compare(b.n, a.n), strings.Compare(a.edge.ID, b.edge.ID))
	})
	h := fnv.New64a()
	h.Write([]byte(s.Name()))
	rng := rand.New(rand.NewPCG(s.Seed, h.Sum64()))
	c := cands[rng.IntN(max(1, len(cands)/3))]
	lane := c.edge.Lanes[0] // the outermost lane, on either side of the road
	pos := endGapM + rng.Float64()*(lane.Length-2*endGapM)
	return sumo.Incident{ID: "breakdown", Kind: sumo.Breakdown, Lane: lane.ID, PosM: float64(int(pos*10)) / 10,
		Start: s.IncidentAt, Duration: s.Stand}, nil
}

// edgeUse counts, per edge, the routed vehicles that depart before until and drive on it.
func edgeUse(routesFile string, until float64) (map[string]int, error) {
	b, err := os.ReadFile(routesFile)
	if err != nil {
		return nil, err
	}
	var routes struct {
		Vehicles []struct {
			Depart string `xml:"depart,attr"`
			Route  struct {
				Edges string `xml:"edges,attr"`
			} `xml:"route"`
		} `xml:"vehicle"`
	}
	if err := xml.Unmarshal(b, &routes); err != nil {
		return nil, fmt.Errorf("%s: %w", routesFile, err)
	}
	use := map[string]int{}
	for _, v := range routes.Vehicles {
		if d, err := strconv.ParseFloat(v.Depart, 64); err != nil || d > until {
			continue
		}
		for _, e := range strings.Fields(v.Route.Edges) {
			use[e]++
		}
	}
	return use, nil
}
