package ldm

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/michi-v2x/michi/pkg/geo"
)

// drive sends CAMs of a car going north along x = eastM from y0 to y1 at speed, one per dt.
func drive(m *Map, station uint32, eastM, y0, y1, speed float64, dt time.Duration, start time.Time) time.Time {
	when := start
	for y := y0; y <= y1; y += speed * dt.Seconds() {
		m.UpdateVehicle(car(station, at(eastM, y), speed, 0, when))
		when = when.Add(dt)
	}
	return when
}

func TestOnRoadLearnsFromMovingVehicles(t *testing.T) {
	m := New(Options{})
	require.False(t, m.OnRoad(at(0, 50)), "nothing known yet")

	// 1 Hz CAMs at 30 m/s: 30 m between reports, the cells in between are filled in.
	drive(m, 1, 0, 0, 300, 30, time.Second, t0)
	for y := 0.0; y <= 300; y += 1 {
		require.True(t, m.OnRoad(at(0, y)), "y=%v", y)
	}
	require.False(t, m.OnRoad(at(25, 150)), "25 m beside the road")
	require.False(t, m.OnRoad(at(0, 400)), "beyond where anyone drove")
	require.False(t, m.OnRoad(geo.Point{Lat: 100}))

	// Slow or stopped vehicles teach nothing (a car park, a queue on the verge).
	drive(m, 2, 100, 0, 20, 1.5, time.Second, t0)
	require.False(t, m.OnRoad(at(100, 10)))

	// Pedestrians' own CAMs teach nothing either.
	m.UpdateVehicle(VehicleState{StationID: 3, StationType: 1, Pos: at(200, 0), SpeedMPS: 3, At: t0})
	m.UpdateVehicle(VehicleState{StationID: 3, StationType: 1, Pos: at(200, 3), SpeedMPS: 3, At: t0.Add(time.Second)})
	require.False(t, m.OnRoad(at(200, 3)))

	// Gaps too large to be one straight drive are not filled.
	m.UpdateVehicle(car(4, at(300, 0), 30, 0, t0))
	m.UpdateVehicle(car(4, at(300, 200), 30, 0, t0.Add(7*time.Second)))
	require.True(t, m.OnRoad(at(300, 200)))
	require.False(t, m.OnRoad(at(300, 100)))
}

func TestOnRoadFromUnconnectedVehicles(t *testing.T) {
	m := New(Options{})
	for i := range 10 {
		m.UpdatePerceived(101, []Perceived{seen(1, KindVehicle, at(0, float64(i)*10), 10, 0)}, sec(float64(i)))
	}
	require.True(t, m.OnRoad(at(0, 45)))
	// A sensor's moving pedestrian does not make a road.
	for i := range 10 {
		m.UpdatePerceived(101, []Perceived{seen(2, KindPedestrian, at(50, float64(i)*3), 3, 0)}, sec(float64(i)))
	}
	require.False(t, m.OnRoad(at(50, 12)))
}

func TestOnRoadTTL(t *testing.T) {
	m := New(Options{RoadTTL: 160 * time.Second})
	drive(m, 1, 0, 0, 100, 20, 500*time.Millisecond, t0)
	m.Expire(t0.Add(100 * time.Second))
	require.True(t, m.OnRoad(at(0, 50)))
	m.Expire(t0.Add(200 * time.Second))
	require.False(t, m.OnRoad(at(0, 50)), "not driven for longer than the TTL")
	require.Zero(t, m.Stats().RoadCells)
}

func TestOnRoadCap(t *testing.T) {
	m := New(Options{RoadMaxCells: 100})
	// An old road, then a newer one: at the cap the old cells go first.
	drive(m, 1, 0, 0, 500, 20, 250*time.Millisecond, t0)
	old := m.Stats().RoadCells
	require.LessOrEqual(t, old, 100)
	drive(m, 2, 1000, 0, 500, 20, 250*time.Millisecond, t0.Add(time.Minute))
	require.LessOrEqual(t, m.Stats().RoadCells, 100)
	require.True(t, m.OnRoad(at(1000, 490)), "the newest cells stay")
	require.False(t, m.OnRoad(at(0, 10)), "the stalest cells went")
}
