package ldm

import (
	"slices"
	"strconv"
	"time"

	"github.com/michi-v2x/michi/pkg/geo"
)

// Kind is what an object is.
type Kind uint8

// Kinds. KindUnknown is compatible with every kind in fusion; the others only with themselves.
const (
	KindUnknown Kind = iota
	KindVehicle
	KindPedestrian
	KindCyclist
	KindAnimal
	KindObstacle
)

var kindNames = [...]string{"unknown", "vehicle", "pedestrian", "cyclist", "animal", "obstacle"}

func (k Kind) String() string {
	if int(k) < len(kindNames) {
		return kindNames[k]
	}
	return "kind(" + strconv.Itoa(int(k)) + ")"
}

// compatible reports whether two sightings of these kinds may be one object.
func compatible(a, b Kind) bool { return a == b || a == KindUnknown || b == KindUnknown }

// KindOfStationType maps an ETSI StationType (TS 102 894-2 DE_StationType: 0 unknown,
// 1 pedestrian, 2 cyclist, 3 moped, 4 motorcycle, 5 passengerCar, 6 bus, 7 lightTruck,
// 8 heavyTruck, 9 trailer, 10 specialVehicles, 11 tram, 12 lightVruVehicle, 13 animal,
// 14 agricultural, 15 roadSideUnit) to a Kind. Road-side units and unknown types are KindUnknown.
func KindOfStationType(st uint8) Kind {
	switch {
	case st == 1:
		return KindPedestrian
	case st == 2 || st == 12:
		return KindCyclist
	case st == 13:
		return KindAnimal
	case st >= 3 && st <= 11, st == 14:
		return KindVehicle
	}
	return KindUnknown
}

// Source is one station's report of an object: the object itself (Self, by CAM) or a sensor
// station (by CPM, with the sensor's own ObjectID for it). At is its latest report.
type Source struct {
	StationID uint32
	ObjectID  uint16
	Self      bool
	At        time.Time
}

// Object is one tracked thing in the map, fused from every report of it.
type Object struct {
	ID   uint64 // the map's own id, stable for the object's life (fusion keeps the older id)
	Kind Kind
	// StationID is the object's own station id while it reports itself (CAM); 0 otherwise.
	StationID   uint32
	StationType uint8 // ETSI station type from its CAM, 0 when sensor-only
	Pos         geo.Point
	SpeedMPS    float64
	HeadingDeg  float64 // clockwise from north, [0,360); meaningful when HeadingOK
	HeadingOK   bool
	// Updated is the time of the state above: the latest CAM for a self-reporting vehicle (its
	// own CAM is authoritative for its position), else the latest sensor sighting.
	Updated      time.Time
	StoppedSince time.Time // since when it has been slower than StopSpeedMPS; zero while moving
	Sources      []Source  // every station that reported it (itself and/or sensors), fused
}

// Clone returns a copy of o that shares nothing with the map; callbacks get a pointer into the
// map that is valid only during the call.
func (o *Object) Clone() Object {
	c := *o
	c.Sources = slices.Clone(o.Sources)
	return c
}

// VehicleState is a vehicle's own report (a CAM) in SI units.
type VehicleState struct {
	StationID   uint32
	StationType uint8
	Pos         geo.Point
	SpeedMPS    float64
	HeadingDeg  float64
	HeadingOK   bool
	At          time.Time
}

// Perceived is one object in a sensor's report (a CPM) in SI units and WGS84. HeadingOK means the
// sensor measured the object's velocity (speed and heading); without it SpeedMPS is taken as given
// for the track but not used to gate fusion.
type Perceived struct {
	ObjectID   uint16
	Kind       Kind
	Pos        geo.Point
	SpeedMPS   float64
	HeadingDeg float64
	HeadingOK  bool
}

// Stats counts what the map holds.
type Stats struct {
	Vehicles   int // objects reporting themselves (StationID != 0)
	Objects    int // all objects
	SensorOnly int // objects seen by sensors only
	Sources    int // (object, station) associations
	RoadCells  int // learned road cells
}
