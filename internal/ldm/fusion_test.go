package ldm

import (
	"slices"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/michi-v2x/michi/pkg/geo"
)

func seen(id uint16, kind Kind, p geo.Point, speed, heading float64) Perceived {
	return Perceived{ObjectID: id, Kind: kind, Pos: p, SpeedMPS: speed, HeadingDeg: heading, HeadingOK: true}
}

func stations(o Object) []uint32 {
	var s []uint32
	for _, src := range o.Sources {
		s = append(s, src.StationID)
	}
	slices.Sort(s)
	return s
}

func TestFusionOneVehicleThreeSensors(t *testing.T) {
	// A car at 20 m/s heading east, reporting itself; three roadside sensors see it, each with
	// its own noise and latency. In either order it is one object with four sources.
	for _, camFirst := range []bool{true, false} {
		m := New(Options{})
		cam := func() uint64 { return m.UpdateVehicle(car(1, at(0, 0), 20, 90, sec(0))) }
		var id uint64
		if camFirst {
			id = cam()
		}
		m.UpdatePerceived(101, []Perceived{seen(7, KindVehicle, at(0.8, 0.5), 19.5, 88)}, sec(0))
		m.UpdatePerceived(102, []Perceived{seen(3, KindVehicle, at(1.5, -1), 21, 92)}, sec(0.05)) // 1 m ahead by now
		m.UpdatePerceived(103, []Perceived{seen(7, KindUnknown, at(-1.2, 0.3), 20, 90)}, sec(0))
		if !camFirst {
			require.Equal(t, 1, m.Stats().Objects, "the sensors fused among themselves")
			id = cam()
		}
		st := m.Stats()
		require.Equal(t, Stats{Vehicles: 1, Objects: 1, Sources: 4, RoadCells: st.RoadCells}, st, "cam first: %v", camFirst)
		o, ok := m.Vehicle(1)
		require.True(t, ok)
		require.Equal(t, id, o.ID)
		require.Equal(t, []uint32{1, 101, 102, 103}, stations(o))
		require.True(t, o.Sources[0].Self, "the self source comes first")
		require.InDelta(t, 0, geo.Distance(at(0, 0), o.Pos), 1e-6, "its own CAM is authoritative")
		require.Equal(t, KindVehicle, o.Kind)

		// Next CAM and next sightings keep it one object.
		m.UpdateVehicle(car(1, at(2, 0), 20, 90, sec(0.1)))
		m.UpdatePerceived(101, []Perceived{seen(7, KindVehicle, at(2.5, 0.5), 20, 90)}, sec(0.1))
		require.Equal(t, 1, m.Stats().Objects)
		require.Equal(t, 4, m.Stats().Sources)
	}
}

func TestFusionSensorsFirstKeepsTheirID(t *testing.T) {
	m := New(Options{})
	m.UpdatePerceived(101, []Perceived{seen(7, KindVehicle, at(0, 0), 10, 0)}, sec(0))
	var sid uint64
	m.Each(func(o *Object) bool { sid = o.ID; return true })
	id := m.UpdateVehicle(car(1, at(0.5, 1), 10, 0, sec(0.1)))
	require.Equal(t, sid, id, "the sensor object becomes the vehicle")
	o, _ := m.Get(id)
	require.Equal(t, uint32(1), o.StationID)
	require.Len(t, o.Sources, 2)
}

func TestFusionKeepsDistinctThingsApart(t *testing.T) {
	m := New(Options{})
	m.UpdateVehicle(car(1, at(0, 0), 0, 90, sec(0)))
	// One sensor sees the car and two pedestrians right next to it (and to each other).
	m.UpdatePerceived(101, []Perceived{
		seen(1, KindVehicle, at(0.3, 0), 0, 90),
		seen(2, KindPedestrian, at(1.5, 1), 1, 0),
		seen(3, KindPedestrian, at(1.5, 1.6), 1, 0),
	}, sec(0))
	st := m.Stats()
	require.Equal(t, 3, st.Objects)
	require.Equal(t, 2, st.SensorOnly)
	o, _ := m.Vehicle(1)
	require.Equal(t, []uint32{1, 101}, stations(o), "only the vehicle sighting joined the car")

	// A second sensor sees the pedestrians too: each joins its nearest pedestrian, never the car.
	m.UpdatePerceived(102, []Perceived{
		seen(9, KindPedestrian, at(1.4, 0.9), 1, 0),
		seen(8, KindPedestrian, at(1.6, 1.7), 1, 0),
	}, sec(0.1))
	st = m.Stats()
	require.Equal(t, 3, st.Objects)
	require.Equal(t, 6, st.Sources)
	m.Each(func(o *Object) bool {
		if o.Kind == KindPedestrian {
			require.Equal(t, []uint32{101, 102}, stations(*o))
		}
		return true
	})
}

func TestFusionGates(t *testing.T) {
	tests := []struct {
		name string
		p    Perceived
		join bool
	}{
		{"2.9 m off", seen(1, KindVehicle, at(0, 2.9), 20, 90), true},
		{"3.1 m off", seen(1, KindVehicle, at(0, 3.1), 20, 90), false},
		{"too slow", seen(1, KindVehicle, at(0, 0), 14, 90), false},
		{"oncoming", seen(1, KindVehicle, at(0, 0), 20, 270), false},
		{"heading 40° off", seen(1, KindVehicle, at(0, 0), 20, 130), true},
		{"velocity unknown", Perceived{ObjectID: 1, Kind: KindVehicle, Pos: at(0, 1)}, true},
		{"a cyclist is not a car", seen(1, KindCyclist, at(0, 0), 20, 90), false},
		{"an unknown kind may be", seen(1, KindUnknown, at(0, 0), 20, 90), true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m := New(Options{})
			m.UpdateVehicle(car(1, at(0, 0), 20, 90, sec(0)))
			m.UpdatePerceived(101, []Perceived{tc.p}, sec(0))
			require.Equal(t, tc.join, m.Stats().Objects == 1)
		})
	}
}

func TestFusionPredictsToTheSightingTime(t *testing.T) {
	// CAM at t=0, sighting 0.4 s later 12 m further east: the car has moved there at 30 m/s.
	m := New(Options{})
	m.UpdateVehicle(car(1, at(0, 0), 30, 90, sec(0)))
	m.UpdatePerceived(101, []Perceived{seen(1, KindVehicle, at(12, 0.5), 30, 90)}, sec(0.4))
	require.Equal(t, 1, m.Stats().Objects)
	// Without the prediction, 12 m is far outside the gate: a stopped car does not fuse.
	m.UpdateVehicle(car(2, at(0, 50), 0, 90, sec(0)))
	m.UpdatePerceived(102, []Perceived{seen(1, KindVehicle, at(12, 50), 0, 90)}, sec(0.4))
	require.Equal(t, 3, m.Stats().Objects)
}

func TestFusionVehicleDoesNotPerceiveItself(t *testing.T) {
	m := New(Options{})
	m.UpdateVehicle(car(1, at(0, 0), 10, 90, sec(0)))
	// Station 1 (the car) sends a CPM with an object right where it is: another object.
	m.UpdatePerceived(1, []Perceived{seen(4, KindVehicle, at(0, 1), 10, 90)}, sec(0))
	require.Equal(t, 2, m.Stats().Objects)
}

func TestFusionLateCAMMergesSensorTracks(t *testing.T) {
	// The car is tracked by its CAMs; a sensor first saw it 4 m away (latency), so the sighting
	// started its own object. Once the car's next CAM is within the gate of it, they merge.
	m := New(Options{})
	m.UpdateVehicle(car(1, at(0, 0), 0, 90, sec(0)))
	m.UpdatePerceived(101, []Perceived{seen(1, KindVehicle, at(4, 0), 0, 90)}, sec(0))
	require.Equal(t, 2, m.Stats().Objects)
	m.UpdateVehicle(car(1, at(2, 0), 0, 90, sec(0.5)))
	require.Equal(t, 1, m.Stats().Objects)
	o, _ := m.Vehicle(1)
	require.Equal(t, []uint32{1, 101}, stations(o))
	// The sighting keeps feeding that object.
	m.UpdatePerceived(101, []Perceived{seen(1, KindVehicle, at(2.5, 0), 0, 90)}, sec(0.6))
	require.Equal(t, 1, m.Stats().Objects)
	o, _ = m.Vehicle(1)
	require.Equal(t, sec(0.6), o.Sources[1].At)
}

func TestFusionStoppedSinceSurvivesMerge(t *testing.T) {
	m := New(Options{})
	m.UpdatePerceived(101, []Perceived{seen(1, KindVehicle, at(0, 0), 0, 90)}, sec(0))
	m.UpdatePerceived(101, []Perceived{seen(1, KindVehicle, at(0, 0), 0, 90)}, sec(5))
	m.UpdateVehicle(car(1, at(0.5, 0), 0, 90, sec(6)))
	o, _ := m.Vehicle(1)
	require.Equal(t, sec(0), o.StoppedSince, "the sensors saw it stand before its CAM")
}

func TestFusionSightingWithoutVelocityFindsFastCar(t *testing.T) {
	// A camera without velocity sees a 30 m/s car 0.3 s after its CAM, 9 m further on.
	m := New(Options{})
	m.UpdateVehicle(car(1, at(0, 0), 30, 90, sec(0)))
	m.UpdatePerceived(101, []Perceived{{ObjectID: 1, Kind: KindVehicle, Pos: at(9.5, 0.5)}}, sec(0.3))
	require.Equal(t, 1, m.Stats().Objects)
}
