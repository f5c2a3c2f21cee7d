package v2x

// Wire types shared by CAM, DENM and CPM. Every field carries the its-client
// JSON name; msgpack uses the same name. Tags read by the generator
// (internal/v2xgen):
//
//	json/msgpack  member name; ",omitempty" marks an optional member (a pointer
//	              or a slice: nil = absent, non-nil = present, even when zero)
//	range:"lo,hi" inclusive bounds from the schema (for a slice: of each item)
//	items:"lo,hi" bounds on the number of items of a slice
//	len:"lo,hi"   bounds on the length of a string, in characters
//	const:"x"     the only value allowed; enum:"a|b" the values allowed

// ETSI "unavailable" sentinels and scales (ETSI TS 102 894-2, CDD).
const (
	LatitudeUnavailable   = 900000001  // Latitude, 1e-7 degree
	LongitudeUnavailable  = 1800000001 // Longitude, 1e-7 degree
	AltitudeUnavailable   = 800001     // AltitudeValue, 0.01 m
	SpeedUnavailable      = 16383      // SpeedValue, 0.01 m/s
	SpeedOutOfRange       = 16382      // SpeedValue above 163.81 m/s
	HeadingUnavailable    = 3601       // HeadingValue / angle, 0.1 degree
	HeadingDoNotUse       = 3600       // HeadingValue "doNotUse"
	ConfidenceUnavailable = 127        // SpeedConfidence, HeadingConfidence
)

// ReferencePosition is a WGS84 position with its confidence
// (CDD ReferencePosition / ReferencePositionWithConfidence).
type ReferencePosition struct {
	Latitude                  int32                     `json:"latitude" msgpack:"latitude" range:"-900000000,900000001"`
	Longitude                 int32                     `json:"longitude" msgpack:"longitude" range:"-1800000000,1800000001"`
	PositionConfidenceEllipse PositionConfidenceEllipse `json:"position_confidence_ellipse" msgpack:"position_confidence_ellipse"`
	Altitude                  Altitude                  `json:"altitude" msgpack:"altitude"`
}

// PositionConfidenceEllipse: semi axes in cm (4095 unavailable), orientation in 0.1 degree.
type PositionConfidenceEllipse struct {
	SemiMajor            uint16 `json:"semi_major" msgpack:"semi_major" range:"0,4095"`
	SemiMinor            uint16 `json:"semi_minor" msgpack:"semi_minor" range:"0,4095"`
	SemiMajorOrientation uint16 `json:"semi_major_orientation" msgpack:"semi_major_orientation" range:"0,3601"`
}

// Altitude in 0.01 m (800001 unavailable) with a confidence class (15 unavailable).
type Altitude struct {
	Value      int32 `json:"value" msgpack:"value" range:"-100000,800001"`
	Confidence uint8 `json:"confidence" msgpack:"confidence" range:"0,15"`
}

// Heading in 0.1 degree clockwise from WGS84 north (3601 unavailable).
type Heading struct {
	Value      uint16 `json:"value" msgpack:"value" range:"0,3601"`
	Confidence uint8  `json:"confidence" msgpack:"confidence" range:"1,127"`
}

// Speed in 0.01 m/s (16383 unavailable).
type Speed struct {
	Value      uint16 `json:"value" msgpack:"value" range:"0,16383"`
	Confidence uint8  `json:"confidence" msgpack:"confidence" range:"1,127"`
}

// AccelerationComponent in 0.1 m/s² (161 unavailable).
type AccelerationComponent struct {
	Value      int16 `json:"value" msgpack:"value" range:"-160,161"`
	Confidence uint8 `json:"confidence" msgpack:"confidence" range:"0,102"`
}

// DeltaReferencePosition is an offset to a reference position: 1e-7 degree
// (131072 unavailable) and cm (12800 unavailable).
type DeltaReferencePosition struct {
	DeltaLatitude  int32 `json:"delta_latitude" msgpack:"delta_latitude" range:"-131071,131072"`
	DeltaLongitude int32 `json:"delta_longitude" msgpack:"delta_longitude" range:"-131071,131072"`
	DeltaAltitude  int16 `json:"delta_altitude" msgpack:"delta_altitude" range:"-12700,12800"`
}

// PathPoint is one point of a path history; PathDeltaTime in 10 ms.
type PathPoint struct {
	PathPosition  DeltaReferencePosition `json:"path_position" msgpack:"path_position"`
	PathDeltaTime *uint16                `json:"path_delta_time,omitempty" msgpack:"path_delta_time,omitempty" range:"1,65535"`
}

// CauseCode is a DENM cause and sub-cause (see CauseName, SubCauseName).
type CauseCode struct {
	Cause    uint8  `json:"cause" msgpack:"cause"`
	Subcause *uint8 `json:"subcause,omitempty" msgpack:"subcause,omitempty"`
}

// LightBarSirenInUse is the status of a vehicle's light bar and siren.
type LightBarSirenInUse struct {
	LightBarActivated bool `json:"light_bar_activated" msgpack:"light_bar_activated"`
	SirenActivated    bool `json:"siren_activated" msgpack:"siren_activated"`
}
