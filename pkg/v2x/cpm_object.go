package v2x

// CPMObject is one perceived object on the wire (PerceivedObject of TS 103
// 324). Positions are in cm relative to the reference position; see
// (*CPM).Objects for the SI view.
type CPMObject struct {
	MeasurementDeltaTime               int16                             `json:"measurement_delta_time" msgpack:"measurement_delta_time" range:"-2048,2047"`
	Position                           CartesianPosition3DWithConfidence `json:"position" msgpack:"position"`
	ObjectID                           *uint16                           `json:"object_id,omitempty" msgpack:"object_id,omitempty"`
	Velocity                           *Velocity3D                       `json:"velocity,omitempty" msgpack:"velocity,omitempty"`
	Acceleration                       *Acceleration3D                   `json:"acceleration,omitempty" msgpack:"acceleration,omitempty"`
	Angles                             *EulerAngles                      `json:"angles,omitempty" msgpack:"angles,omitempty"`
	ZAngularVelocity                   *AngularVelocityComponent         `json:"z_angular_velocity,omitempty" msgpack:"z_angular_velocity,omitempty"`
	LowerTriangularCorrelationMatrices []CorrelationMatrix               `json:"lower_triangular_correlation_matrices,omitempty" msgpack:"lower_triangular_correlation_matrices,omitempty" items:"1,4"`
	ObjectDimensionZ                   *ObjectDimension                  `json:"object_dimension_z,omitempty" msgpack:"object_dimension_z,omitempty"`
	ObjectDimensionY                   *ObjectDimension                  `json:"object_dimension_y,omitempty" msgpack:"object_dimension_y,omitempty"`
	ObjectDimensionX                   *ObjectDimension                  `json:"object_dimension_x,omitempty" msgpack:"object_dimension_x,omitempty"`
	ObjectAge                          *int16                            `json:"object_age,omitempty" msgpack:"object_age,omitempty" range:"-2048,2047"`
	ObjectPerceptionQuality            *uint8                            `json:"object_perception_quality,omitempty" msgpack:"object_perception_quality,omitempty" range:"0,15"`
	SensorIDList                       []uint8                           `json:"sensor_id_list,omitempty" msgpack:"sensor_id_list,omitempty" items:"1,128"`
	Classification                     []ObjectClassification            `json:"classification,omitempty" msgpack:"classification,omitempty" items:"1,8"`
	MapPosition                        *MapPosition                      `json:"map_position,omitempty" msgpack:"map_position,omitempty"`
}

// CartesianCoordinateWithConfidence: a coordinate in cm and its confidence.
type CartesianCoordinateWithConfidence struct {
	Value      int32  `json:"value" msgpack:"value" range:"-131072,131071"`
	Confidence uint16 `json:"confidence" msgpack:"confidence" range:"1,4096"`
}

// CartesianPosition3DWithConfidence: x, y (and z) relative to the reference
// position. For a roadside unit x points east and y north.
type CartesianPosition3DWithConfidence struct {
	XCoordinate CartesianCoordinateWithConfidence  `json:"x_coordinate" msgpack:"x_coordinate"`
	YCoordinate CartesianCoordinateWithConfidence  `json:"y_coordinate" msgpack:"y_coordinate"`
	ZCoordinate *CartesianCoordinateWithConfidence `json:"z_coordinate,omitempty" msgpack:"z_coordinate,omitempty"`
}

// Velocity3D is either polar or cartesian (exactly one).
type Velocity3D struct {
	PolarVelocity     *PolarVelocity     `json:"polar_velocity,omitempty" msgpack:"polar_velocity,omitempty"`
	CartesianVelocity *CartesianVelocity `json:"cartesian_velocity,omitempty" msgpack:"cartesian_velocity,omitempty"`
}

// PolarVelocity: magnitude (0.01 m/s) and direction (0.1 degree).
type PolarVelocity struct {
	VelocityMagnitude Speed              `json:"velocity_magnitude" msgpack:"velocity_magnitude"`
	VelocityDirection Angle              `json:"velocity_direction" msgpack:"velocity_direction"`
	ZVelocity         *VelocityComponent `json:"z_velocity,omitempty" msgpack:"z_velocity,omitempty"`
}

// CartesianVelocity: components along the frame's axes.
type CartesianVelocity struct {
	XVelocity VelocityComponent  `json:"x_velocity" msgpack:"x_velocity"`
	YVelocity VelocityComponent  `json:"y_velocity" msgpack:"y_velocity"`
	ZVelocity *VelocityComponent `json:"z_velocity,omitempty" msgpack:"z_velocity,omitempty"`
}

// VelocityComponent in 0.01 m/s (16383 unavailable).
type VelocityComponent struct {
	Value      int16 `json:"value" msgpack:"value" range:"-16383,16383"`
	Confidence uint8 `json:"confidence" msgpack:"confidence" range:"1,127"`
}

// Acceleration3D is either polar or cartesian (exactly one).
type Acceleration3D struct {
	PolarAcceleration     *PolarAcceleration     `json:"polar_acceleration,omitempty" msgpack:"polar_acceleration,omitempty"`
	CartesianAcceleration *CartesianAcceleration `json:"cartesian_acceleration,omitempty" msgpack:"cartesian_acceleration,omitempty"`
}

// PolarAcceleration: magnitude (0.1 m/s²) and direction.
type PolarAcceleration struct {
	AccelerationMagnitude AccelerationMagnitude  `json:"acceleration_magnitude" msgpack:"acceleration_magnitude"`
	AccelerationDirection Angle                  `json:"acceleration_direction" msgpack:"acceleration_direction"`
	ZAcceleration         *AccelerationComponent `json:"z_acceleration,omitempty" msgpack:"z_acceleration,omitempty"`
}

// AccelerationMagnitude in 0.1 m/s² (161 unavailable).
type AccelerationMagnitude struct {
	Value      uint8 `json:"value" msgpack:"value" range:"0,161"`
	Confidence uint8 `json:"confidence" msgpack:"confidence" range:"0,102"`
}

// CartesianAcceleration: components along the frame's axes.
type CartesianAcceleration struct {
	XAcceleration AccelerationComponent  `json:"x_acceleration" msgpack:"x_acceleration"`
	YAcceleration AccelerationComponent  `json:"y_acceleration" msgpack:"y_acceleration"`
	ZAcceleration *AccelerationComponent `json:"z_acceleration,omitempty" msgpack:"z_acceleration,omitempty"`
}

// EulerAngles of the object's bounding box.
type EulerAngles struct {
	ZAngle Angle  `json:"z_angle" msgpack:"z_angle"`
	YAngle *Angle `json:"y_angle,omitempty" msgpack:"y_angle,omitempty"`
	XAngle *Angle `json:"x_angle,omitempty" msgpack:"x_angle,omitempty"`
}

// AngularVelocityComponent in degree/s (256 unavailable).
type AngularVelocityComponent struct {
	Value      int16 `json:"value" msgpack:"value" range:"-255,256"`
	Confidence uint8 `json:"confidence" msgpack:"confidence" range:"0,7"`
}

// CorrelationMatrix is a lower triangular correlation matrix of selected
// kinematic components. Matrix follows the schema's nesting (an array of
// arrays of 1..13 correlation values in -100..101).
type CorrelationMatrix struct {
	ComponentsIncludedInTheMatrix MatrixComponents `json:"components_included_in_the_matrix" msgpack:"components_included_in_the_matrix"`
	Matrix                        [][][]int8       `json:"matrix" msgpack:"matrix" items:"1,13"`
}

// MatrixComponents flags the components included in a CorrelationMatrix.
type MatrixComponents struct {
	XPosition                    bool `json:"x_position" msgpack:"x_position"`
	YPosition                    bool `json:"y_position" msgpack:"y_position"`
	ZPosition                    bool `json:"z_position" msgpack:"z_position"`
	XVelocityOrVelocityMagnitude bool `json:"x_velocity_or_velocity_magnitude" msgpack:"x_velocity_or_velocity_magnitude"`
	YVelocityOrVelocityDirection bool `json:"y_velocity_or_velocity_direction" msgpack:"y_velocity_or_velocity_direction"`
	ZSpeed                       bool `json:"z_speed" msgpack:"z_speed"`
	XAccelOrAccelMagnitude       bool `json:"x_accel_or_accel_magnitude" msgpack:"x_accel_or_accel_magnitude"`
	YAccelOrAccelDirection       bool `json:"y_accel_or_accel_direction" msgpack:"y_accel_or_accel_direction"`
	ZAcceleration                bool `json:"z_acceleration" msgpack:"z_acceleration"`
	ZAngle                       bool `json:"z_angle" msgpack:"z_angle"`
	YAngle                       bool `json:"y_angle" msgpack:"y_angle"`
	XAngle                       bool `json:"x_angle" msgpack:"x_angle"`
	ZAngularVelocity             bool `json:"z_angular_velocity" msgpack:"z_angular_velocity"`
}

// ObjectDimension in 0.1 m (256 unavailable) with confidence.
type ObjectDimension struct {
	Value      uint16 `json:"value" msgpack:"value" range:"1,256"`
	Confidence uint8  `json:"confidence" msgpack:"confidence" range:"1,32"`
}

// ObjectClassification is one class hypothesis with its confidence (%).
type ObjectClassification struct {
	ObjectClass ObjectClassChoice `json:"object_class" msgpack:"object_class"`
	Confidence  uint8             `json:"confidence" msgpack:"confidence" range:"1,101"`
}

// ObjectClassChoice holds exactly one of vehicle (a traffic participant
// type), vru, group or other.
type ObjectClassChoice struct {
	Vehicle *uint8    `json:"vehicle,omitempty" msgpack:"vehicle,omitempty"`
	VRU     *VRUClass `json:"vru,omitempty" msgpack:"vru,omitempty"`
	Group   *VRUGroup `json:"group,omitempty" msgpack:"group,omitempty"`
	Other   *uint8    `json:"other,omitempty" msgpack:"other,omitempty"`
}

// VRUClass holds exactly one VRU profile with its sub-profile. The schema
// spells "motorcylist" this way; so does the wire.
type VRUClass struct {
	Pedestrian                  *uint8 `json:"pedestrian,omitempty" msgpack:"pedestrian,omitempty" range:"0,15"`
	BicyclistAndLightVRUVehicle *uint8 `json:"bicyclist_and_light_vru_vehicle,omitempty" msgpack:"bicyclist_and_light_vru_vehicle,omitempty" range:"0,15"`
	Motorcylist                 *uint8 `json:"motorcylist,omitempty" msgpack:"motorcylist,omitempty" range:"0,15"`
	Animal                      *uint8 `json:"animal,omitempty" msgpack:"animal,omitempty" range:"0,15"`
}

// VRUGroup is a cluster of VRUs.
type VRUGroup struct {
	ClusterBoundingBoxShape Shape            `json:"cluster_bounding_box_shape" msgpack:"cluster_bounding_box_shape"`
	ClusterCardinalitySize  uint8            `json:"cluster_cardinality_size" msgpack:"cluster_cardinality_size"`
	ClusterID               *uint8           `json:"cluster_id,omitempty" msgpack:"cluster_id,omitempty"`
	ClusterProfiles         *ClusterProfiles `json:"cluster_profiles,omitempty" msgpack:"cluster_profiles,omitempty"`
}

// ClusterProfiles flags the VRU profiles present in a cluster.
type ClusterProfiles struct {
	Pedestrian   bool `json:"pedestrian" msgpack:"pedestrian"`
	Bicyclist    bool `json:"bicyclist" msgpack:"bicyclist"`
	Motorcyclist bool `json:"motorcyclist" msgpack:"motorcyclist"`
	Animal       bool `json:"animal" msgpack:"animal"`
}

// MapPosition is a map-matched object position.
type MapPosition struct {
	MapReference             *MapReference             `json:"map_reference,omitempty" msgpack:"map_reference,omitempty"`
	LaneID                   *uint8                    `json:"lane_id,omitempty" msgpack:"lane_id,omitempty"`
	ConnectionID             *uint8                    `json:"connection_id,omitempty" msgpack:"connection_id,omitempty"`
	LongitudinalLanePosition *LongitudinalLanePosition `json:"longitudinal_lane_position,omitempty" msgpack:"longitudinal_lane_position,omitempty"`
}

// LongitudinalLanePosition in 0.1 m along the lane (32767 unavailable).
type LongitudinalLanePosition struct {
	Value      uint16 `json:"value" msgpack:"value" range:"0,32767"`
	Confidence uint16 `json:"confidence" msgpack:"confidence" range:"0,1023"`
}
