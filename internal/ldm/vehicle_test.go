package ldm

import (
	"math"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/michi-v2x/michi/pkg/geo"
)

func car(station uint32, p geo.Point, speed, heading float64, when time.Time) VehicleState {
	return VehicleState{StationID: station, StationType: 5, Pos: p, SpeedMPS: speed, HeadingDeg: heading, HeadingOK: true, At: when}
}

func TestUpdateVehicle(t *testing.T) {
	m := New(Options{})
	id := m.UpdateVehicle(car(1, at(0, 0), 10, 90, sec(0)))
	require.NotZero(t, id)
	require.Equal(t, id, m.UpdateVehicle(car(1, at(1, 0), 10, 90, sec(0.1))), "same station, same object")

	o, ok := m.Vehicle(1)
	require.True(t, ok)
	require.Equal(t, id, o.ID)
	require.Equal(t, KindVehicle, o.Kind)
	require.Equal(t, uint32(1), o.StationID)
	require.Equal(t, uint8(5), o.StationType)
	require.InDelta(t, 0, geo.Distance(at(1, 0), o.Pos), 1e-6)
	require.Equal(t, sec(0.1), o.Updated)
	require.Equal(t, []Source{{StationID: 1, Self: true, At: sec(0.1)}}, o.Sources)
	g, ok := m.Get(id)
	require.True(t, ok)
	require.Equal(t, o, g)

	// Older report: ignored.
	require.Equal(t, id, m.UpdateVehicle(car(1, at(50, 0), 10, 90, sec(0.05))))
	o, _ = m.Vehicle(1)
	require.InDelta(t, 0, geo.Distance(at(1, 0), o.Pos), 1e-6)

	// Heading normalised, negative speed clamped.
	m.UpdateVehicle(car(1, at(1, 0), -3, -90, sec(0.2)))
	o, _ = m.Vehicle(1)
	require.Equal(t, 270.0, o.HeadingDeg)
	require.Zero(t, o.SpeedMPS)

	// Unusable reports.
	for _, v := range []VehicleState{
		car(0, at(0, 0), 1, 1, sec(1)),
		car(2, geo.Point{Lat: 91}, 1, 1, sec(1)),
		car(2, geo.Point{Lat: math.NaN()}, 1, 1, sec(1)),
		car(2, at(0, 0), math.Inf(1), 1, sec(1)),
		car(2, at(0, 0), 1, math.NaN(), sec(1)),
	} {
		require.Zero(t, m.UpdateVehicle(v))
	}
	require.Equal(t, Stats{Vehicles: 1, Objects: 1, Sources: 1, RoadCells: m.Stats().RoadCells}, m.Stats())

	// A pedestrian's own CAM (station type 1) is a pedestrian.
	m.UpdateVehicle(VehicleState{StationID: 9, StationType: 1, Pos: at(20, 20), At: sec(1)})
	o, _ = m.Vehicle(9)
	require.Equal(t, KindPedestrian, o.Kind)
}

func TestStoppedSince(t *testing.T) {
	m := New(Options{})
	m.UpdateVehicle(car(1, at(0, 0), 10, 90, sec(0)))
	o, _ := m.Vehicle(1)
	require.True(t, o.StoppedSince.IsZero())

	m.UpdateVehicle(car(1, at(5, 0), 0.4, 90, sec(1)))
	m.UpdateVehicle(car(1, at(5, 0), 0, 90, sec(2)))
	m.UpdateVehicle(car(1, at(5, 0), 0.49, 90, sec(3)))
	o, _ = m.Vehicle(1)
	require.Equal(t, sec(1), o.StoppedSince, "set at the first slow report, kept while slow")

	m.UpdateVehicle(car(1, at(6, 0), 0.5, 90, sec(4)))
	o, _ = m.Vehicle(1)
	require.True(t, o.StoppedSince.IsZero(), "cleared when moving")

	// Custom threshold.
	m = New(Options{StopSpeedMPS: 2})
	m.UpdateVehicle(car(1, at(0, 0), 1.5, 90, sec(0)))
	o, _ = m.Vehicle(1)
	require.Equal(t, sec(0), o.StoppedSince)
}

// BenchmarkUpdateVehicle: steady state, 100k vehicles over 20 km × 20 km, each report moving its
// vehicle by ~1.5 m (a 15 m/s car at 10 Hz).
func BenchmarkUpdateVehicle(b *testing.B) {
	const n = 100_000
	m, vs := fleet(n, 20000)
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		v := &vs[i%n]
		v.At = v.At.Add(100 * time.Millisecond)
		v.Pos = geo.Point{Lat: v.Pos.Lat + 1.5/111195*math.Cos(v.HeadingDeg*deg2rad), Lon: v.Pos.Lon}
		m.UpdateVehicle(*v)
		i++
	}
}

// fleet fills a map with n self-reporting cars spread over a square of sideM around base.
func fleet(n int, sideM float64) (*Map, []VehicleState) {
	rng := rand.New(rand.NewPCG(1, 2))
	m := New(Options{})
	vs := make([]VehicleState, n)
	for i := range vs {
		vs[i] = car(uint32(i+1), at((rng.Float64()-0.5)*sideM, (rng.Float64()-0.5)*sideM),
			5+rng.Float64()*25, rng.Float64()*360, t0)
		m.UpdateVehicle(vs[i])
	}
	return m, vs
}
