package harness

import (
	"math"
	"math/rand/v2"

	"github.com/michi-v2x/michi/pkg/geo"
)

// scenario is the geometry of one run: where the vehicles are, which tiles each subscribes to,
// where hazards are injected and who must receive each. It is built before the run and then
// only read.
//
// Vehicles hold their positions for the whole run (they report a speed, all in one direction,
// so no detector sees a stop, a wrong-way driver or a conflict), which keeps each vehicle's
// subscriptions, and so the expected recipients of an alert, fixed. They stand on a jittered
// grid over the area, never closer than half a grid step.
//
// Hazards are injected at slots of a grid HazardSpacingM apart (shifted at random per run, so
// that runs against a target that stays up do not reuse each other's positions), each slot at
// most once per run: the edge clusters reports of one cause within 100 m and merges hazards
// within 50 m, so hazards closer than that would become one. A received alert is matched to its
// hazard by the slot its event position falls in.
type scenario struct {
	proj     geo.Projection
	half     float64 // half the area's side, m
	vehicles []geo.Point
	motions  []motion           // realistic mode: how each vehicle moves round its place (nil otherwise)
	subs     [][]string         // per vehicle: its zoom-Z tile and the 8 around it
	byTile   map[string][]int32 // tile -> vehicles subscribed to it

	spacing, off float64
	n            int     // slots per axis
	order        []int32 // hazard k is injected at slot order[k]
}

// slotCount is how many hazard slots the area holds.
func slotCount(o *Options) int {
	n := int(o.AreaKm * 1000 / o.HazardSpacingM)
	return n * n
}

func newScenario(o *Options, run int) *scenario {
	rng := rand.New(rand.NewPCG(uint64(o.Seed), uint64(run)))
	side := o.AreaKm * 1000
	s := &scenario{proj: geo.NewProjection(o.Center), half: side / 2, byTile: map[string][]int32{}}

	cols := int(math.Ceil(math.Sqrt(float64(o.Vehicles))))
	rows := (o.Vehicles + cols - 1) / cols
	sx, sy := side/float64(cols), side/float64(rows)
	s.vehicles = make([]geo.Point, o.Vehicles)
	s.subs = make([][]string, o.Vehicles)
	for i := range s.vehicles {
		e := -s.half + (float64(i%cols)+0.5)*sx + (rng.Float64()-0.5)*sx/2
		n := -s.half + (float64(i/cols)+0.5)*sy + (rng.Float64()-0.5)*sy/2
		p := quantize(s.proj.ToPoint(e, n))
		s.vehicles[i] = p
		qk := geo.Quadkey(p, o.Zoom)
		s.subs[i] = append([]string{qk}, geo.QuadkeyNeighbours(qk)...)
		for _, t := range s.subs[i] {
			s.byTile[t] = append(s.byTile[t], int32(i))
		}
	}

	if o.CAMRules == CAMRulesETSI { // from a stream of their own: places and hazards stay those of a fixed-rate run
		mrng := rand.New(rand.NewPCG(uint64(o.Seed), uint64(run)^0x6d6f74696f6e))
		s.motions = make([]motion, o.Vehicles)
		for i, p := range s.vehicles {
			s.motions[i] = newMotion(p, mrng)
		}
	}

	s.spacing = o.HazardSpacingM
	s.n = int(side / s.spacing)
	s.off = (rng.Float64() - 0.5) * s.spacing
	s.order = make([]int32, s.n*s.n)
	for i := range s.order {
		s.order[i] = int32(i)
	}
	rng.Shuffle(len(s.order), func(i, j int) { s.order[i], s.order[j] = s.order[j], s.order[i] })
	return s
}

// quantize rounds a point to the 1e-7° grid of the ETSI encoding, so what the tool computes
// with is exactly what goes on the wire.
func quantize(p geo.Point) geo.Point {
	return geo.Point{Lat: math.Round(p.Lat*1e7) / 1e7, Lon: math.Round(p.Lon*1e7) / 1e7}
}

// slotPos is the centre of slot id.
func (s *scenario) slotPos(id int32) geo.Point {
	i, j := int(id)%s.n, int(id)/s.n
	return quantize(s.proj.ToPoint(s.axis(i), s.axis(j)))
}

func (s *scenario) axis(i int) float64 { return -s.half + (float64(i)+0.5)*s.spacing + s.off }

// slotOf is the slot whose centre is nearest to p, if p lies within half a spacing of it.
func (s *scenario) slotOf(p geo.Point) (int32, bool) {
	e, n := s.proj.ToLocal(p)
	i := int(math.Round((e+s.half-s.off)/s.spacing - 0.5))
	j := int(math.Round((n+s.half-s.off)/s.spacing - 0.5))
	if i < 0 || j < 0 || i >= s.n || j >= s.n {
		return 0, false
	}
	if math.Abs(e-s.axis(i)) > s.spacing/2 || math.Abs(n-s.axis(j)) > s.spacing/2 {
		return 0, false
	}
	return int32(j*s.n + i), true
}

// expectedTiles is who gets an alert over MQTT: every vehicle subscribed to a zoom-Z tile that
// the hazard's relevance circle touches (the edge publishes on exactly those tiles).
func (s *scenario) expectedTiles(c geo.Point, radiusM float64, zoom int) (vehicles []int32, tiles []string) {
	tiles = geo.TilesCoveringCircle(c, radiusM, zoom)
	seen := make(map[int32]bool)
	for _, t := range tiles {
		for _, v := range s.byTile[t] {
			if !seen[v] {
				seen[v] = true
				vehicles = append(vehicles, v)
			}
		}
	}
	return vehicles, tiles
}

// expectedWithin is who gets an alert over the native protocol: the edge geocasts to the
// vehicles inside the relevance circle (the injected hazards carry no heading, so the
// direction rule does not apply).
func (s *scenario) expectedWithin(c geo.Point, radiusM float64) []int32 {
	var out []int32
	for i, p := range s.vehicles {
		if geo.Distance(c, p) <= radiusM {
			out = append(out, int32(i))
		}
	}
	return out
}

// relevantAmong is expectedWithin restricted to candidates vs. Given the tile subscribers of
// expectedTiles it is expectedWithin itself, at the cost of a few hundred distances instead of
// one per vehicle: a vehicle inside the circle stands on a tile the circle touches and, holding
// its position, is subscribed to that tile for the whole run.
func (s *scenario) relevantAmong(c geo.Point, radiusM float64, vs []int32) []int32 {
	var out []int32
	for _, v := range vs {
		if geo.Distance(c, s.vehicles[v]) <= radiusM {
			out = append(out, v)
		}
	}
	return out
}
