package v2x

// CPM is a Collective Perception Message in its-client JSON form 2.1.1
// (ETSI TS 103 324 v2.1.1 via cpm_schema_2-1-1.json).
type CPM struct {
	MessageType           string     `json:"message_type" msgpack:"message_type" const:"cpm"`
	SourceUUID            string     `json:"source_uuid" msgpack:"source_uuid"`
	Timestamp             int64      `json:"timestamp" msgpack:"timestamp" range:"1514764800000,1830297600000"`
	Version               string     `json:"version" msgpack:"version" const:"2.1.1"`
	ObjectIDRotationCount *uint8     `json:"object_id_rotation_count,omitempty" msgpack:"object_id_rotation_count,omitempty"`
	Message               CPMMessage `json:"message" msgpack:"message"`
}

// CPMVersion is the its-client CPM JSON format version michi speaks.
const CPMVersion = "2.1.1"

// CPMMessage is the body of a CPM. A roadside sensor sends
// OriginatingRSUContainer (possibly empty); a vehicle sends
// OriginatingVehicleContainer.
type CPMMessage struct {
	ProtocolVersion             uint8                        `json:"protocol_version" msgpack:"protocol_version"`
	StationID                   uint32                       `json:"station_id" msgpack:"station_id"`
	ManagementContainer         CPMManagementContainer       `json:"management_container" msgpack:"management_container"`
	OriginatingVehicleContainer *OriginatingVehicleContainer `json:"originating_vehicle_container,omitempty" msgpack:"originating_vehicle_container,omitempty"`
	OriginatingRSUContainer     []MapReference               `json:"originating_rsu_container,omitempty" msgpack:"originating_rsu_container,omitempty"`
	SensorInformationContainer  []SensorInformation          `json:"sensor_information_container,omitempty" msgpack:"sensor_information_container,omitempty" items:"1,128"`
	PerceptionRegionContainer   []PerceptionRegion           `json:"perception_region_container,omitempty" msgpack:"perception_region_container,omitempty" items:"1,256"`
	PerceivedObjectContainer    []CPMObject                  `json:"perceived_object_container,omitempty" msgpack:"perceived_object_container,omitempty" items:"0,255"`
}

// CPMManagementContainer: the time (TimestampIts) and position every
// relative value of the CPM refers to.
type CPMManagementContainer struct {
	ReferenceTime     uint64            `json:"reference_time" msgpack:"reference_time" range:"0,4398046511103"`
	ReferencePosition ReferencePosition `json:"reference_position" msgpack:"reference_position"`
	SegmentationInfo  *SegmentationInfo `json:"segmentation_info,omitempty" msgpack:"segmentation_info,omitempty"`
	MessageRateRange  *MessageRateRange `json:"message_rate_range,omitempty" msgpack:"message_rate_range,omitempty"`
}

// SegmentationInfo says which part of a segmented CPM this is.
type SegmentationInfo struct {
	TotalMsgNo uint8 `json:"total_msg_no" msgpack:"total_msg_no" range:"1,8"`
	ThisMsgNo  uint8 `json:"this_msg_no" msgpack:"this_msg_no" range:"1,8"`
}

// MessageRateRange is the planned CPM rate range.
type MessageRateRange struct {
	MessageRateMin MessageRateHz `json:"message_rate_min" msgpack:"message_rate_min"`
	MessageRateMax MessageRateHz `json:"message_rate_max" msgpack:"message_rate_max"`
}

// MessageRateHz is mantissa·10^exponent Hz.
type MessageRateHz struct {
	Mantissa uint8 `json:"mantissa" msgpack:"mantissa" range:"1,100"`
	Exponent int8  `json:"exponent" msgpack:"exponent" range:"-5,2"`
}

// Angle in 0.1 degree (3601 unavailable) with confidence (127 unavailable).
type Angle struct {
	Value      uint16 `json:"value" msgpack:"value" range:"0,3601"`
	Confidence uint8  `json:"confidence" msgpack:"confidence" range:"1,127"`
}

// OriginatingVehicleContainer: the sending vehicle's orientation. Object
// positions of a vehicle CPM are in the vehicle frame (x forward, y left).
type OriginatingVehicleContainer struct {
	OrientationAngle Angle         `json:"orientation_angle" msgpack:"orientation_angle"`
	PitchAngle       *Angle        `json:"pitch_angle,omitempty" msgpack:"pitch_angle,omitempty"`
	RollAngle        *Angle        `json:"roll_angle,omitempty" msgpack:"roll_angle,omitempty"`
	TrailerDataSet   []TrailerData `json:"trailer_data_set,omitempty" msgpack:"trailer_data_set,omitempty"`
}

// TrailerData describes one trailer of the sending vehicle.
type TrailerData struct {
	RefPointID       uint8  `json:"ref_point_id" msgpack:"ref_point_id"`
	HitchPointOffset uint8  `json:"hitch_point_offset" msgpack:"hitch_point_offset"`
	HitchAngle       Angle  `json:"hitch_angle" msgpack:"hitch_angle"`
	FrontOverhang    *uint8 `json:"front_overhang,omitempty" msgpack:"front_overhang,omitempty"`
	RearOverhang     *uint8 `json:"rear_overhang,omitempty" msgpack:"rear_overhang,omitempty"`
	TrailerWidth     *uint8 `json:"trailer_width,omitempty" msgpack:"trailer_width,omitempty" range:"1,62"`
}

// MapReference names a MAPEM road segment or intersection (exactly one).
type MapReference struct {
	RoadSegment  *MapElementID `json:"road_segment,omitempty" msgpack:"road_segment,omitempty"`
	Intersection *MapElementID `json:"intersection,omitempty" msgpack:"intersection,omitempty"`
}

// MapElementID identifies a road segment or an intersection of a MAPEM.
type MapElementID struct {
	ID     uint16  `json:"id" msgpack:"id"`
	Region *uint16 `json:"region,omitempty" msgpack:"region,omitempty"`
}

// SensorInformation describes one sensor of the sending station.
type SensorInformation struct {
	SensorID                   uint8  `json:"sensor_id" msgpack:"sensor_id"`
	SensorType                 uint8  `json:"sensor_type" msgpack:"sensor_type" range:"0,31"`
	PerceptionRegionShape      *Shape `json:"perception_region_shape,omitempty" msgpack:"perception_region_shape,omitempty"`
	PerceptionRegionConfidence *uint8 `json:"perception_region_confidence,omitempty" msgpack:"perception_region_confidence,omitempty" range:"1,101"`
	ShadowingApplies           bool   `json:"shadowing_applies" msgpack:"shadowing_applies"`
}

// PerceptionRegion is a region the station perceived at a given time.
type PerceptionRegion struct {
	MeasurementDeltaTime       int16    `json:"measurement_delta_time" msgpack:"measurement_delta_time" range:"-2048,2047"`
	PerceptionRegionConfidence uint8    `json:"perception_region_confidence" msgpack:"perception_region_confidence" range:"1,101"`
	PerceptionRegionShape      Shape    `json:"perception_region_shape" msgpack:"perception_region_shape"`
	ShadowingApplies           bool     `json:"shadowing_applies" msgpack:"shadowing_applies"`
	SensorIDList               []uint8  `json:"sensor_id_list,omitempty" msgpack:"sensor_id_list,omitempty" items:"1,128"`
	PerceivedObjectIDs         []uint16 `json:"perceived_object_ids,omitempty" msgpack:"perceived_object_ids,omitempty" items:"0,255"`
}
