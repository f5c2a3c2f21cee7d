package ldm

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/michi-v2x/michi/pkg/geo"
)

func relevant(m *Map, radius, heading float64, has bool) []uint32 {
	var out []uint32
	m.Relevant(at(0, 0), radius, heading, has, func(o *Object) bool {
		out = append(out, o.StationID)
		return true
	})
	slices.Sort(out)
	return out
}

func TestRelevant(t *testing.T) {
	// The event is at (0,0) on a north-south road; traffic affected: northbound (heading 0).
	m := New(Options{})
	m.UpdateVehicle(car(1, at(0, -300), 25, 0, sec(0)))                                      // south of it, driving north: approaching
	m.UpdateVehicle(car(2, at(-3, -300), 25, 180, sec(0)))                                   // south, driving south: leaving, other way
	m.UpdateVehicle(car(3, at(0, 300), 25, 0, sec(0)))                                       // north, driving north: passed it
	m.UpdateVehicle(car(4, at(3, 300), 25, 180, sec(0)))                                     // north, driving south: approaching, oncoming lanes
	m.UpdateVehicle(car(5, at(0, -600), 25, 0, sec(0)))                                      // approaching but outside 500 m
	m.UpdateVehicle(car(6, at(200, -200), 10, 315, sec(0)))                                  // side road, north-west towards it
	m.UpdateVehicle(car(7, at(200, -200), 10, 90, sec(0)))                                   // side road, east away from it
	m.UpdateVehicle(car(8, at(0, 0), 0, 0, sec(0)))                                          // at the event itself
	m.UpdateVehicle(VehicleState{StationID: 9, StationType: 5, Pos: at(0, 100), At: sec(0)}) // no heading
	m.UpdatePerceived(101, []Perceived{seen(1, KindVehicle, at(50, -100), 25, 0)}, sec(0))   // cannot be reached

	require.Equal(t, []uint32{1, 2, 3, 4, 6, 7, 8, 9}, relevant(m, 500, 0, false), "no direction: every vehicle inside")
	require.Equal(t, []uint32{1, 6, 8, 9}, relevant(m, 500, 0, true), "northbound traffic heading to it")
	require.Equal(t, []uint32{4, 9}, relevant(m, 500, 180, true), "southbound traffic heading to it")
	require.Equal(t, []uint32{1, 2, 3, 4, 5, 6, 7, 8, 9}, relevant(m, 700, 0, false))
	require.Equal(t, []uint32{8}, relevant(m, 1, 0, true))
	require.Empty(t, relevant(New(Options{}), 500, 0, true))

	// Early stop.
	n := 0
	m.Relevant(at(0, 0), 500, 0, false, func(*Object) bool { n++; return false })
	require.Equal(t, 1, n)
}

func TestRelevantHeadingBoundary(t *testing.T) {
	// A vehicle due south of the event: 89° off the bearing to it counts, 91° does not.
	m := New(Options{})
	m.UpdateVehicle(car(1, at(0, -100), 20, 89, sec(0)))
	m.UpdateVehicle(car(2, at(0, -100.5), 20, 271, sec(0)))
	m.UpdateVehicle(car(3, at(0, -101), 20, 91, sec(0)))
	require.Equal(t, []uint32{1, 2}, relevant(m, 500, 0, true), "event heading 0: both 89° and 271° are within 90°")
	require.Equal(t, []uint32{1}, relevant(m, 500, 90, true))
}

// BenchmarkRelevant: 100k tracked vehicles over 20 km × 20 km, hazards with a direction, 500 m.
func BenchmarkRelevant(b *testing.B) {
	m, _ := fleet(100_000, 20000)
	rng := rand.New(rand.NewPCG(3, 4))
	centres := make([]geo.Point, 1024)
	for i := range centres {
		centres[i] = at((rng.Float64()-0.5)*18000, (rng.Float64()-0.5)*18000)
	}
	b.Run("cold", func(b *testing.B) { // a different place each time, as hazards come
		b.ReportAllocs()
		hits, i := 0, 0
		for b.Loop() {
			m.Relevant(centres[i%len(centres)], 500, 90, true, func(o *Object) bool { hits++; return true })
			i++
		}
		b.ReportMetric(float64(hits)/float64(i), "vehicles/op")
	})
	b.Run("hot", func(b *testing.B) { // the same place again: the compute floor
		b.ReportAllocs()
		for b.Loop() {
			m.Relevant(centres[0], 500, 90, true, func(*Object) bool { return true })
		}
	})
}

// TestRelevantVsBruteForce checks Relevant against Bearing/AngleDiff over random vehicles,
// skipping the ones within a hair of a 90° boundary.
func TestRelevantVsBruteForce(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	m := New(Options{})
	var vs []VehicleState
	for i := range 3000 {
		v := car(uint32(i+1), at((rng.Float64()-0.5)*3000, (rng.Float64()-0.5)*3000), 10, rng.Float64()*360, sec(0))
		vs = append(vs, v)
		m.UpdateVehicle(v)
	}
	for range 50 {
		c := at((rng.Float64()-0.5)*2000, (rng.Float64()-0.5)*2000)
		r := 100 + rng.Float64()*800
		eh := rng.Float64() * 360
		has := rng.IntN(4) != 0
		want := map[uint32]bool{}
		unsure := map[uint32]bool{}
		for _, v := range vs {
			if geo.Distance(c, v.Pos) > r {
				continue
			}
			a1 := geo.AngleDiff(v.HeadingDeg, geo.Bearing(v.Pos, c))
			a2 := geo.AngleDiff(v.HeadingDeg, eh)
			if has && (abs(a1-90) < 0.5 || abs(a2-90) < 0.01) {
				unsure[v.StationID] = true
				continue
			}
			if !has || (a1 <= 90 && a2 <= 90) {
				want[v.StationID] = true
			}
		}
		got := map[uint32]bool{}
		m.Relevant(c, r, eh, has, func(o *Object) bool {
			if !unsure[o.StationID] {
				got[o.StationID] = true
			}
			return true
		})
		require.Equal(t, want, got)
	}
}

func abs(x float64) float64 {
	if x < 0 {
		return -x
	}
	return x
}

// Approaching must judge one vehicle exactly as Relevant judges the map.
func TestApproachingAgreesWithRelevant(t *testing.T) {
	c := geo.Point{Lat: 48.85, Lon: 2.35}
	m := New(Options{})
	at := time.Unix(1_800_000_000, 0)
	type veh struct {
		p       geo.Point
		heading float64
	}
	var vs []veh
	for i := range 400 {
		p := geo.Destination(c, float64(i*37%360), float64(i%50)*15)
		h := float64(i * 53 % 360)
		vs = append(vs, veh{p, h})
		m.UpdateVehicle(VehicleState{StationID: uint32(i + 1), StationType: 5, Pos: p, SpeedMPS: 10, HeadingDeg: h, HeadingOK: true, At: at})
	}
	for _, eh := range []float64{0, 90, 200} {
		got := map[uint32]bool{}
		m.Relevant(c, 500, eh, true, func(o *Object) bool { got[o.StationID] = true; return true })
		for i, v := range vs {
			if want := Approaching(v.p, v.heading, true, c, 500, eh, true); want != got[uint32(i+1)] {
				// Relevant works on a tag-quantised heading: allow disagreement only at the 90° edges.
				d := math.Abs(math.Mod(v.heading-geo.Bearing(v.p, c)+540, 360) - 180)
				e := math.Abs(math.Mod(v.heading-eh+540, 360) - 180)
				if math.Abs(d-90) > 0.5 && math.Abs(e-90) > 0.5 {
					t.Fatalf("vehicle %d heading %v event heading %v: Approaching %v, Relevant %v", i+1, v.heading, eh, want, got[uint32(i+1)])
				}
			}
		}
	}
}
