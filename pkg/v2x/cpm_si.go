package v2x

import (
	"math"
	"time"

	"github.com/michi-v2x/michi/pkg/geo"
)

// ObjectClass is the coarse class of a perceived object.
type ObjectClass uint8

// Object classes.
const (
	ClassUnknown ObjectClass = iota
	ClassVehicle
	ClassPedestrian
	ClassCyclist
	ClassAnimal
	ClassOther
)

func (c ObjectClass) String() string {
	switch c {
	case ClassVehicle:
		return "vehicle"
	case ClassPedestrian:
		return "pedestrian"
	case ClassCyclist:
		return "cyclist"
	case ClassAnimal:
		return "animal"
	case ClassOther:
		return "other"
	}
	return "unknown"
}

// ClassOf maps a CPM object class choice to an ObjectClass:
// vehicle → by traffic participant type (pedestrian 1, cyclist 2 and light
// VRU vehicle 12, animal 13, road side unit 15 → other, any other → vehicle);
// vru → pedestrian, cyclist (bicyclist and light VRU vehicle), vehicle
// (motorcyclist), animal; group → cyclist when the cluster profiles say
// bicyclists only, else pedestrian; other → other.
func ClassOf(c *ObjectClassChoice) ObjectClass {
	switch {
	case c.Vehicle != nil:
		switch StationType(*c.Vehicle) {
		case StationPedestrian:
			return ClassPedestrian
		case StationCyclist, StationLightVRUVehicle:
			return ClassCyclist
		case StationAnimal:
			return ClassAnimal
		case StationRoadSideUnit:
			return ClassOther
		}
		return ClassVehicle
	case c.VRU != nil:
		switch {
		case c.VRU.Pedestrian != nil:
			return ClassPedestrian
		case c.VRU.BicyclistAndLightVRUVehicle != nil:
			return ClassCyclist
		case c.VRU.Motorcylist != nil:
			return ClassVehicle
		case c.VRU.Animal != nil:
			return ClassAnimal
		}
	case c.Group != nil:
		if p := c.Group.ClusterProfiles; p != nil && p.Bicyclist && !p.Pedestrian {
			return ClassCyclist
		}
		return ClassPedestrian
	case c.Other != nil:
		return ClassOther
	}
	return ClassUnknown
}

// Class returns the class of highest confidence, ClassUnknown without any.
func (o *CPMObject) Class() ObjectClass {
	best, conf := ClassUnknown, -1
	for i := range o.Classification {
		c := &o.Classification[i]
		if int(c.Confidence) > conf {
			best, conf = ClassOf(&c.ObjectClass), int(c.Confidence)
		}
	}
	return best
}

// PerceivedObject is the SI view of one perceived object.
type PerceivedObject struct {
	ObjectID      uint16
	HasID         bool // object_id was present
	Class         ObjectClass
	Pos           geo.Point // WGS84
	EastM, NorthM float64   // offset from the CPM reference position
	SpeedMPS      float64
	SpeedOK       bool
	HeadingDeg    float64 // direction of travel, clockwise from north
	HeadingOK     bool
	At            time.Time // reference time + measurement delta time
}

// StationID returns message.station_id.
func (m *CPM) StationID() uint32 { return m.Message.StationID }

// ReferencePosition returns the management container's reference position.
func (m *CPM) ReferencePosition() geo.Point {
	rp := &m.Message.ManagementContainer.ReferencePosition
	return pointFrom(rp.Latitude, rp.Longitude)
}

// ReferenceTime returns the time every object's measurement refers to.
func (m *CPM) ReferenceTime() time.Time {
	return TimeFromIts(m.Message.ManagementContainer.ReferenceTime)
}

// frame returns the rotation from the CPM frame to east/north: a roadside
// CPM's frame is east/north already; a vehicle's is x forward along its
// orientation angle and y to the left (ISO 8855).
func (m *CPM) frame() (sin, cos float64, rotate bool) {
	v := m.Message.OriginatingVehicleContainer
	if v == nil || v.OrientationAngle.Value >= HeadingDoNotUse {
		return 0, 1, false
	}
	s, c := math.Sincos(float64(v.OrientationAngle.Value) / 10 * math.Pi / 180)
	return s, c, true
}

// Objects converts the perceived objects to SI: offsets in metres east and
// north of the reference position, WGS84 positions through a local
// tangent-plane projection, speed and direction of travel.
func (m *CPM) Objects() []PerceivedObject {
	objs := m.Message.PerceivedObjectContainer
	if len(objs) == 0 {
		return nil
	}
	proj := geo.NewProjection(m.ReferencePosition())
	ref := m.ReferenceTime()
	sin, cos, rotate := m.frame()
	toEN := func(x, y float64) (float64, float64) {
		if !rotate {
			return x, y
		}
		return x*sin - y*cos, x*cos + y*sin
	}
	out := make([]PerceivedObject, 0, len(objs))
	for i := range objs {
		o := &objs[i]
		e, n := toEN(float64(o.Position.XCoordinate.Value)/100, float64(o.Position.YCoordinate.Value)/100)
		po := PerceivedObject{
			Class:  o.Class(),
			EastM:  e,
			NorthM: n,
			Pos:    proj.ToPoint(e, n),
			At:     ref.Add(time.Duration(o.MeasurementDeltaTime) * time.Millisecond),
		}
		if o.ObjectID != nil {
			po.ObjectID, po.HasID = *o.ObjectID, true
		}
		if v := o.Velocity; v != nil {
			switch {
			case v.PolarVelocity != nil:
				po.SpeedMPS, po.SpeedOK = speedFrom(v.PolarVelocity.VelocityMagnitude.Value)
				// The schema defines the direction against WGS84 north.
				po.HeadingDeg, po.HeadingOK = headingFrom(v.PolarVelocity.VelocityDirection.Value)
			case v.CartesianVelocity != nil:
				cv := v.CartesianVelocity
				if cv.XVelocity.Value != SpeedUnavailable && cv.YVelocity.Value != SpeedUnavailable {
					ve, vn := toEN(float64(cv.XVelocity.Value)/100, float64(cv.YVelocity.Value)/100)
					po.SpeedMPS, po.SpeedOK = math.Hypot(ve, vn), true
					if po.SpeedMPS > 0 {
						po.HeadingDeg, po.HeadingOK = normDeg(math.Atan2(ve, vn)*180/math.Pi), true
					}
				}
			}
		}
		out = append(out, po)
	}
	return out
}

// CPMSpec is what NewCPM needs: a roadside sensor's CPM in SI units.
type CPMSpec struct {
	SourceUUID string
	StationID  uint32
	Pos        geo.Point // the sensor's reference position
	At         time.Time // reference time of every object; zero: now
	// Objects: ObjectID (always written), Class, EastM/NorthM (clamped to
	// ±1310.71 m), SpeedMPS, HeadingDeg/HeadingOK. A velocity is written
	// when SpeedOK, HeadingOK or SpeedMPS > 0. Pos and At are ignored.
	Objects []PerceivedObject
}

// NewCPM builds a roadside CPM 2.1.1 (x east, y north) from SI values.
func NewCPM(s CPMSpec) *CPM {
	at := s.At
	if at.IsZero() {
		at = time.Now()
	}
	m := &CPM{
		MessageType: string(TypeCPM),
		SourceUUID:  s.SourceUUID,
		Timestamp:   at.UnixMilli(),
		Version:     CPMVersion,
		Message: CPMMessage{
			ProtocolVersion: ProtocolVersion,
			StationID:       s.StationID,
			ManagementContainer: CPMManagementContainer{
				ReferenceTime:     TimestampIts(at),
				ReferencePosition: referencePosition(s.Pos),
			},
			PerceivedObjectContainer: make([]CPMObject, 0, len(s.Objects)),
		},
	}
	for _, o := range s.Objects {
		w := CPMObject{
			ObjectID: ptr(o.ObjectID),
			Position: CartesianPosition3DWithConfidence{
				XCoordinate: CartesianCoordinateWithConfidence{Value: etsiCoordinate(o.EastM), Confidence: 4096},
				YCoordinate: CartesianCoordinateWithConfidence{Value: etsiCoordinate(o.NorthM), Confidence: 4096},
			},
		}
		if o.SpeedOK || o.HeadingOK || o.SpeedMPS > 0 {
			dir := uint16(HeadingUnavailable)
			if o.HeadingOK {
				dir = etsiHeading(o.HeadingDeg)
			}
			w.Velocity = &Velocity3D{PolarVelocity: &PolarVelocity{
				VelocityMagnitude: Speed{Value: etsiSpeed(o.SpeedMPS), Confidence: ConfidenceUnavailable},
				VelocityDirection: Angle{Value: dir, Confidence: ConfidenceUnavailable},
			}}
		}
		if c := classChoice(o.Class); c != nil {
			w.Classification = []ObjectClassification{{ObjectClass: *c, Confidence: 101}}
		}
		m.Message.PerceivedObjectContainer = append(m.Message.PerceivedObjectContainer, w)
	}
	return m
}

// etsiCoordinate converts metres to cm, clamped to the schema's range.
func etsiCoordinate(m float64) int32 {
	if math.IsNaN(m) {
		return 0
	}
	return int32(math.Max(-131072, math.Min(131071, math.Round(m*100))))
}

// classChoice is the inverse of ClassOf for NewCPM.
func classChoice(c ObjectClass) *ObjectClassChoice {
	switch c {
	case ClassVehicle:
		return &ObjectClassChoice{Vehicle: ptr(uint8(StationUnknown))}
	case ClassPedestrian:
		return &ObjectClassChoice{VRU: &VRUClass{Pedestrian: ptr(uint8(1))}} // ordinary-pedestrian
	case ClassCyclist:
		return &ObjectClassChoice{VRU: &VRUClass{BicyclistAndLightVRUVehicle: ptr(uint8(1))}} // bicyclist
	case ClassAnimal:
		return &ObjectClassChoice{VRU: &VRUClass{Animal: ptr(uint8(0))}}
	case ClassOther:
		return &ObjectClassChoice{Other: ptr(uint8(1))} // singleObject
	}
	return nil
}
