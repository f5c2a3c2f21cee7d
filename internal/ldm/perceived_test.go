package ldm

import (
	"math"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/michi-v2x/michi/pkg/geo"
)

func TestPerceivedSensorOnlyTrack(t *testing.T) {
	m := New(Options{})
	m.UpdatePerceived(101, []Perceived{seen(1, KindPedestrian, at(0, 0), 1.2, 0)}, sec(0))
	var id uint64
	m.Each(func(o *Object) bool { id = o.ID; return true })
	o, ok := m.Get(id)
	require.True(t, ok)
	require.Zero(t, o.StationID)
	require.Equal(t, KindPedestrian, o.Kind)
	require.Equal(t, []Source{{StationID: 101, ObjectID: 1, At: sec(0)}}, o.Sources)
	require.Equal(t, sec(0), o.Updated)

	// The same sensor's same object moves: the same track follows it.
	m.UpdatePerceived(101, []Perceived{seen(1, KindPedestrian, at(0, 1.2), 1.2, 0)}, sec(1))
	o, _ = m.Get(id)
	require.InDelta(t, 0, geo.Distance(at(0, 1.2), o.Pos), 1e-6)
	require.Equal(t, 1, m.Stats().Objects)

	// An older sighting changes nothing.
	m.UpdatePerceived(101, []Perceived{seen(1, KindPedestrian, at(0, 9), 1.2, 0)}, sec(0.5))
	o, _ = m.Get(id)
	require.InDelta(t, 0, geo.Distance(at(0, 1.2), o.Pos), 1e-6)

	// Bad objects are skipped, good ones in the same report applied.
	m.UpdatePerceived(101, []Perceived{
		{ObjectID: 2, Pos: geo.Point{Lat: math.NaN()}},
		{ObjectID: 3, Pos: at(50, 50), SpeedMPS: math.Inf(1)},
		seen(4, KindAnimal, at(80, 80), 0, 0),
	}, sec(1))
	require.Equal(t, 2, m.Stats().Objects)
}

func TestPerceivedSensorOnlyMeanPosition(t *testing.T) {
	// Two sensors see a parked car 1 m apart: the object sits in the middle. A third, older
	// sighting (beyond the 0.5 s window) does not pull it.
	m := New(Options{})
	m.UpdatePerceived(103, []Perceived{seen(1, KindVehicle, at(0, 2), 0, 90)}, sec(0))
	m.UpdatePerceived(101, []Perceived{seen(1, KindVehicle, at(0, 0), 0, 90)}, sec(0.7))
	m.UpdatePerceived(102, []Perceived{seen(1, KindVehicle, at(1, 0), 0, 90)}, sec(1))
	require.Equal(t, 1, m.Stats().Objects)
	var o Object
	m.Each(func(x *Object) bool { o = x.Clone(); return true })
	require.Len(t, o.Sources, 3)
	require.InDelta(t, 0, geo.Distance(at(0.5, 0), o.Pos), 0.01)
	require.Equal(t, sec(1), o.Updated)

	// Moving: sightings are predicted to the latest time before averaging.
	m = New(Options{})
	m.UpdatePerceived(101, []Perceived{seen(1, KindVehicle, at(0, 0), 10, 90)}, sec(0))
	m.UpdatePerceived(102, []Perceived{seen(1, KindVehicle, at(2, 0), 10, 90)}, sec(0.2))
	m.Each(func(x *Object) bool { o = x.Clone(); return true })
	require.InDelta(t, 0, geo.Distance(at(2, 0), o.Pos), 0.01)
}

func TestPerceivedReassociatesWhenTheSensorReusesAnID(t *testing.T) {
	m := New(Options{})
	m.UpdateVehicle(car(1, at(0, 0), 0, 90, sec(0)))
	m.UpdatePerceived(101, []Perceived{seen(5, KindVehicle, at(0.5, 0), 0, 90)}, sec(0))
	require.Equal(t, 1, m.Stats().Objects)
	// Object id 5 of sensor 101 is now something 40 m away: it leaves the car.
	m.UpdatePerceived(101, []Perceived{seen(5, KindVehicle, at(40, 0), 0, 90)}, sec(0.1))
	require.Equal(t, 2, m.Stats().Objects)
	o, _ := m.Vehicle(1)
	require.Equal(t, []uint32{1}, stations(o))
	require.Equal(t, 2, m.Stats().Sources)
}

// BenchmarkUpdatePerceived: a roadside sensor reporting 20 unconnected vehicles driving past at
// 10 Hz, steady state (associations known), among 100k connected vehicles; ns per CPM.
func BenchmarkUpdatePerceived(b *testing.B) {
	m, _ := fleet(100_000, 20000)
	objs := make([]Perceived, 20)
	for i := range objs {
		objs[i] = Perceived{ObjectID: uint16(i), Kind: KindVehicle, Pos: at(float64(i)*8, 5000),
			SpeedMPS: 15, HeadingDeg: 0, HeadingOK: true}
	}
	when := t0
	b.ReportAllocs()
	for b.Loop() {
		when = when.Add(100 * time.Millisecond)
		for i := range objs {
			objs[i].Pos.Lat += 1.5 / 111195.08
		}
		m.UpdatePerceived(900001, objs, when)
	}
	b.StopTimer()
	if s := m.Stats(); s.SensorOnly != len(objs) {
		b.Fatalf("sightings lost their tracks: %+v", s)
	}
}
