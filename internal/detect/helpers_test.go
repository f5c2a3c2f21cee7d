package detect

import (
	"math"
	"math/rand/v2"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/michi-v2x/michi/internal/hazard"
	"github.com/michi-v2x/michi/internal/ldm"
	"github.com/michi-v2x/michi/internal/road"
	"github.com/michi-v2x/michi/pkg/geo"
)

var (
	t0   = time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)
	base = geo.Point{Lat: 48.8566, Lon: 2.3522}
)

// on is a point on a straight road through base heading roadDeg: along metres along it,
// lateral metres to its right (negative: left).
func on(roadDeg, along, lateral float64) geo.Point {
	p := base
	if along != 0 {
		p = geo.Destination(p, math.Mod(roadDeg+360, 360), along)
	}
	if lateral != 0 {
		p = geo.Destination(p, math.Mod(roadDeg+90+360, 360), lateral)
	}
	return p
}

// north is a point on a road running north: y metres north of base, x metres east.
func north(y, x float64) geo.Point { return on(0, y, x) }

func newMap() *ldm.Map { return ldm.New(ldm.Options{}) }

func car(m *ldm.Map, station uint32, p geo.Point, speed, heading float64, at time.Time) uint64 {
	return m.UpdateVehicle(ldm.VehicleState{
		StationID: station, StationType: 5, Pos: p, SpeedMPS: speed, HeadingDeg: heading, HeadingOK: true, At: at,
	})
}

func keys(fs []hazard.Finding) []string {
	var out []string
	for _, f := range fs {
		if !f.Terminate {
			out = append(out, f.Key)
		}
	}
	slices.Sort(out)
	return out
}

func terminated(fs []hazard.Finding) []string {
	var out []string
	for _, f := range fs {
		if f.Terminate {
			out = append(out, f.Key)
		}
	}
	slices.Sort(out)
	return out
}

func only(t *testing.T, fs []hazard.Finding) hazard.Finding {
	t.Helper()
	require.Len(t, fs, 1)
	return fs[0]
}

// highway fills a map with n vehicles on a straight two-way road of 3 lanes per direction over
// lengthM, as the background of the benchmarks: lanes at 22/27/32 m/s (±1 m/s), evenly spaced
// with jitter, headings ±1°, every 97th vehicle stopped for 15 s, one wrong-way driver, 50
// pedestrians on the verge and 2 on the road.
func highway(tb testing.TB, n int, lengthM float64) *ldm.Map {
	tb.Helper()
	rng := rand.New(rand.NewPCG(1, 2))
	m := newMap()
	perLane := n / 6
	gap := lengthM / float64(perLane)
	for i := range n {
		lane := i % 6 / 2
		dir, x := 0.0, float64(lane)*3.5+1.75
		if i%2 == 1 {
			dir, x = 180, -x
		}
		y := float64(i/6)*gap - lengthM/2 + (rng.Float64()-0.5)*0.4*gap
		p := north(y, x+rng.NormFloat64()*0.3)
		h := math.Mod(dir+rng.NormFloat64()+360, 360)
		speed := 22 + 5*float64(lane) + rng.Float64()*2 - 1
		if i%97 == 0 {
			car(m, uint32(i+1), p, 0, h, t0.Add(-15*time.Second))
			speed = 0
		}
		car(m, uint32(i+1), p, speed, h, t0)
	}
	car(m, uint32(n+1), north(0, -1.75), 25, 0, t0) // wrong way
	var peds []ldm.Perceived
	for i := range 52 {
		x := 15 + rng.Float64()*5
		if i >= 50 {
			x = 1.75
		}
		peds = append(peds, ldm.Perceived{ObjectID: uint16(i + 1), Kind: ldm.KindPedestrian,
			Pos: north(rng.Float64()*lengthM-lengthM/2, x), SpeedMPS: 1.2, HeadingDeg: 90, HeadingOK: true})
	}
	m.UpdatePerceived(900001, peds, t0)
	return m
}

// benchModel is a model that learned the road of highway (three lanes each way, 10 km).
func benchModel(b *testing.B) *road.Model {
	benchModelOnce.Do(func() {
		benchModelVal = road.New(road.Options{})
		teach(b, benchModelVal, 0, 5000, laneSpec{1.75, 0}, laneSpec{5.25, 0}, laneSpec{8.75, 0},
			laneSpec{-1.75, 180}, laneSpec{-5.25, 180}, laneSpec{-8.75, 180})
	})
	return benchModelVal
}

var (
	benchModelOnce sync.Once
	benchModelVal  *road.Model
)

func benchDetector(b *testing.B, d Detector) {
	m := highway(b, 2000, 10000)
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		d.Detect(t0.Add(time.Second), m)
	}
}

// laneSpec is one lane of a straight road through base: its offset to the right of the road's
// direction (metres) and the heading its traffic drives.
type laneSpec struct{ lat, heading float64 }

// twoWay is a road heading roadDeg with one lane each way, keeping right (left: mirrored).
func twoWay(roadDeg float64, keepRight bool) []laneSpec {
	side := 1.75
	if !keepRight {
		side = -side
	}
	return []laneSpec{{side, roadDeg}, {-side, math.Mod(roadDeg+180, 360)}}
}

// teach lets md learn a straight road through base heading roadDeg, from -half to +half metres
// along it: eight waves of vehicles drive every lane at 16 m/s, reporting every 4 m, through an
// LDM of their own, and the model learns every round.
func teach(tb testing.TB, md *road.Model, roadDeg, half float64, lanes ...laneSpec) {
	tb.Helper()
	teachAt(tb, md, t0.Add(-time.Hour), roadDeg, half, lanes...)
}

// teachAt is teach with its traffic from at on.
func teachAt(tb testing.TB, md *road.Model, at time.Time, roadDeg, half float64, lanes ...laneSpec) {
	tb.Helper()
	m := newMap()
	for wave := range 8 {
		for s := -half; s <= half; s += 4 {
			for i, l := range lanes {
				along := s
				if geo.AngleDiff(l.heading, roadDeg) > 90 {
					along = -s
				}
				car(m, uint32(1_000_000+wave*100+i), on(roadDeg, along, l.lat), 16, l.heading, at)
			}
			md.Learn(at, m)
			at = at.Add(250 * time.Millisecond)
		}
	}
}

// taught is a model that knows a two-way road heading roadDeg through base (±400 m).
func taught(tb testing.TB, roadDeg float64, keepRight bool) *road.Model {
	md := road.New(road.Options{})
	teach(tb, md, roadDeg, 400, twoWay(roadDeg, keepRight)...)
	return md
}
