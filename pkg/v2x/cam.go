package v2x

// CAM is a Cooperative Awareness Message in its-client JSON form 2.4.0
// (ETSI TS 103 900 v2.2.1 via the its-client schema cam_schema_2-4-0.json).
type CAM struct {
	MessageType     string     `json:"message_type" msgpack:"message_type" const:"cam"`
	MessageFormat   *string    `json:"message_format,omitempty" msgpack:"message_format,omitempty" enum:"json/raw|asn1/uper"`
	SourceUUID      string     `json:"source_uuid" msgpack:"source_uuid"`
	Timestamp       int64      `json:"timestamp" msgpack:"timestamp" range:"1514764800000,1830297600000"`
	Version         string     `json:"version" msgpack:"version" const:"2.4.0"`
	LinkedStationID *uint32    `json:"linked_station_id,omitempty" msgpack:"linked_station_id,omitempty"`
	Message         CAMMessage `json:"message" msgpack:"message"`
}

// CAMVersion is the its-client CAM JSON format version michi speaks.
const CAMVersion = "2.4.0"

// CAMMessage is the body of a CAM.
type CAMMessage struct {
	ProtocolVersion         uint8                    `json:"protocol_version" msgpack:"protocol_version"`
	StationID               uint32                   `json:"station_id" msgpack:"station_id"`
	GenerationDeltaTime     uint16                   `json:"generation_delta_time" msgpack:"generation_delta_time"`
	BasicContainer          BasicContainer           `json:"basic_container" msgpack:"basic_container"`
	HighFrequencyContainer  HighFrequencyContainer   `json:"high_frequency_container" msgpack:"high_frequency_container"`
	LowFrequencyContainer   *LowFrequencyContainer   `json:"low_frequency_container,omitempty" msgpack:"low_frequency_container,omitempty"`
	SpecialVehicleContainer *SpecialVehicleContainer `json:"special_vehicle_container,omitempty" msgpack:"special_vehicle_container,omitempty"`
}

// BasicContainer says what the station is and where.
type BasicContainer struct {
	StationType       StationType       `json:"station_type" msgpack:"station_type"`
	ReferencePosition ReferencePosition `json:"reference_position" msgpack:"reference_position"`
}

// HighFrequencyContainer holds exactly one of its two members: a vehicle's or
// a roadside unit's.
type HighFrequencyContainer struct {
	BasicVehicleContainerHighFrequency *BasicVehicleContainerHighFrequency `json:"basic_vehicle_container_high_frequency,omitempty" msgpack:"basic_vehicle_container_high_frequency,omitempty"`
	RSUContainerHighFrequency          *RSUContainerHighFrequency          `json:"rsu_container_high_frequency,omitempty" msgpack:"rsu_container_high_frequency,omitempty"`
}

// BasicVehicleContainerHighFrequency is a vehicle's dynamic state.
type BasicVehicleContainerHighFrequency struct {
	Heading                  Heading                `json:"heading" msgpack:"heading"`
	Speed                    Speed                  `json:"speed" msgpack:"speed"`
	DriveDirection           uint8                  `json:"drive_direction" msgpack:"drive_direction" range:"0,2"`
	VehicleLength            VehicleLength          `json:"vehicle_length" msgpack:"vehicle_length"`
	VehicleWidth             uint8                  `json:"vehicle_width" msgpack:"vehicle_width" range:"1,62"`
	LongitudinalAcceleration AccelerationComponent  `json:"longitudinal_acceleration" msgpack:"longitudinal_acceleration"`
	Curvature                Curvature              `json:"curvature" msgpack:"curvature"`
	CurvatureCalculationMode uint8                  `json:"curvature_calculation_mode" msgpack:"curvature_calculation_mode" range:"0,2"`
	YawRate                  YawRate                `json:"yaw_rate" msgpack:"yaw_rate"`
	AccelerationControl      *AccelerationControl   `json:"acceleration_control,omitempty" msgpack:"acceleration_control,omitempty"`
	LanePosition             *int8                  `json:"lane_position,omitempty" msgpack:"lane_position,omitempty" range:"-1,14"`
	SteeringWheelAngle       *SteeringWheelAngle    `json:"steering_wheel_angle,omitempty" msgpack:"steering_wheel_angle,omitempty"`
	LateralAcceleration      *AccelerationComponent `json:"lateral_acceleration,omitempty" msgpack:"lateral_acceleration,omitempty"`
	VerticalAcceleration     *AccelerationComponent `json:"vertical_acceleration,omitempty" msgpack:"vertical_acceleration,omitempty"`
	PerformanceClass         *uint8                 `json:"performance_class,omitempty" msgpack:"performance_class,omitempty" range:"0,7"`
	CenDsrcTollingZone       *CenDsrcTollingZone    `json:"cen_dsrc_tolling_zone,omitempty" msgpack:"cen_dsrc_tolling_zone,omitempty"`
}

// VehicleLength in 0.1 m (1023 unavailable) with its trailer confidence.
type VehicleLength struct {
	Value      uint16 `json:"value" msgpack:"value" range:"1,1023"`
	Confidence uint8  `json:"confidence" msgpack:"confidence" range:"0,4"`
}

// Curvature in 1/10000 m⁻¹ (1023 unavailable).
type Curvature struct {
	Value      int16 `json:"value" msgpack:"value" range:"-1023,1023"`
	Confidence uint8 `json:"confidence" msgpack:"confidence" range:"0,7"`
}

// YawRate in 0.01 degree/s (32767 unavailable).
type YawRate struct {
	Value      int16 `json:"value" msgpack:"value" range:"-32766,32767"`
	Confidence uint8 `json:"confidence" msgpack:"confidence" range:"0,8"`
}

// SteeringWheelAngle in 1.5 degree steps (512 unavailable).
type SteeringWheelAngle struct {
	Value      int16 `json:"value" msgpack:"value" range:"-511,512"`
	Confidence uint8 `json:"confidence" msgpack:"confidence" range:"1,127"`
}

// AccelerationControl says which longitudinal controls are engaged.
type AccelerationControl struct {
	BrakePedalEngaged       bool `json:"brake_pedal_engaged" msgpack:"brake_pedal_engaged"`
	GasPedalEngaged         bool `json:"gas_pedal_engaged" msgpack:"gas_pedal_engaged"`
	EmergencyBrakeEngaged   bool `json:"emergency_brake_engaged" msgpack:"emergency_brake_engaged"`
	CollisionWarningEngaged bool `json:"collision_warning_engaged" msgpack:"collision_warning_engaged"`
	AccEngaged              bool `json:"acc_engaged" msgpack:"acc_engaged"`
	CruiseControlEngaged    bool `json:"cruise_control_engaged" msgpack:"cruise_control_engaged"`
	SpeedLimiterEngaged     bool `json:"speed_limiter_engaged" msgpack:"speed_limiter_engaged"`
}

// CenDsrcTollingZone is a 5.8 GHz tolling station near the vehicle.
type CenDsrcTollingZone struct {
	ProtectedZoneLatitude  int32   `json:"protected_zone_latitude" msgpack:"protected_zone_latitude" range:"-900000000,900000001"`
	ProtectedZoneLongitude int32   `json:"protected_zone_longitude" msgpack:"protected_zone_longitude" range:"-1800000000,1800000001"`
	CenDsrcTollingZoneID   *uint32 `json:"cen_dsrc_tolling_zone_id,omitempty" msgpack:"cen_dsrc_tolling_zone_id,omitempty" range:"0,134217727"`
}

// RSUContainerHighFrequency is a roadside unit's high-frequency container.
type RSUContainerHighFrequency struct {
	ProtectedCommunicationZonesRSU []ProtectedCommunicationZone `json:"protected_communication_zones_rsu,omitempty" msgpack:"protected_communication_zones_rsu,omitempty" items:"1,16"`
}

// ProtectedCommunicationZone is a zone where ITS-G5 must not disturb tolling.
type ProtectedCommunicationZone struct {
	ProtectedZoneType      uint8   `json:"protected_zone_type" msgpack:"protected_zone_type" range:"0,1"`
	ExpiryTime             *uint64 `json:"expiry_time,omitempty" msgpack:"expiry_time,omitempty" range:"0,4398046511103"`
	ProtectedZoneLatitude  int32   `json:"protected_zone_latitude" msgpack:"protected_zone_latitude" range:"-900000000,900000001"`
	ProtectedZoneLongitude int32   `json:"protected_zone_longitude" msgpack:"protected_zone_longitude" range:"-1800000000,1800000001"`
	ProtectedZoneRadius    *uint8  `json:"protected_zone_radius,omitempty" msgpack:"protected_zone_radius,omitempty" range:"1,255"`
	ProtectedZoneID        *uint32 `json:"protected_zone_id,omitempty" msgpack:"protected_zone_id,omitempty" range:"0,134217727"`
}

// LowFrequencyContainer holds the vehicle's low-frequency container.
type LowFrequencyContainer struct {
	BasicVehicleContainerLowFrequency BasicVehicleContainerLowFrequency `json:"basic_vehicle_container_low_frequency" msgpack:"basic_vehicle_container_low_frequency"`
}

// BasicVehicleContainerLowFrequency: role, lights and path history. (The
// schema misspells this member's key in "properties", so it does not check
// its content; michi checks the intended constraints.)
type BasicVehicleContainerLowFrequency struct {
	VehicleRole    uint8          `json:"vehicle_role" msgpack:"vehicle_role" range:"0,15"`
	ExteriorLights ExteriorLights `json:"exterior_lights" msgpack:"exterior_lights"`
	PathHistory    []PathPoint    `json:"path_history" msgpack:"path_history" items:"0,40"`
}

// ExteriorLights is the state of the vehicle's main light switches.
type ExteriorLights struct {
	LowBeamHeadlightsOn    bool `json:"low_beam_headlights_on" msgpack:"low_beam_headlights_on"`
	HighBeamHeadlightsOn   bool `json:"high_beam_headlights_on" msgpack:"high_beam_headlights_on"`
	LeftTurnSignalOn       bool `json:"left_turn_signal_on" msgpack:"left_turn_signal_on"`
	RightTurnSignalOn      bool `json:"right_turn_signal_on" msgpack:"right_turn_signal_on"`
	DaytimeRunningLightsOn bool `json:"daytime_running_lights_on" msgpack:"daytime_running_lights_on"`
	ReverseLightOn         bool `json:"reverse_light_on" msgpack:"reverse_light_on"`
	FogLightOn             bool `json:"fog_light_on" msgpack:"fog_light_on"`
	ParkingLightsOn        bool `json:"parking_lights_on" msgpack:"parking_lights_on"`
}
