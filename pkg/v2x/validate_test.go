package v2x

import (
	"errors"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"github.com/stretchr/testify/require"
)

// Each case breaks one rule of the schema in a fixture and names the member
// Validate must report. schema says whether the its-client schema itself
// catches it (it misses a few, see doc.go).
var invalidCases = []struct {
	name    string
	fixture string
	mutate  func(m Message)
	field   string
	schema  bool
}{
	{"latitude above 90°", "cam_car", func(m Message) {
		m.(*CAM).Message.BasicContainer.ReferencePosition.Latitude = 900000002
	}, "message.basic_container.reference_position.latitude", true},
	{"longitude below -180°", "cam_car", func(m Message) {
		m.(*CAM).Message.BasicContainer.ReferencePosition.Longitude = -1800000001
	}, "message.basic_container.reference_position.longitude", true},
	{"heading 360.1°", "cam_car", func(m Message) {
		camHF(m).Heading.Value = 3602
	}, "message.high_frequency_container.basic_vehicle_container_high_frequency.heading.value", true},
	{"speed beyond unavailable", "cam_car", func(m Message) {
		camHF(m).Speed.Value = 16384
	}, "message.high_frequency_container.basic_vehicle_container_high_frequency.speed.value", true},
	{"speed confidence 0", "cam_car", func(m Message) {
		camHF(m).Speed.Confidence = 0
	}, "message.high_frequency_container.basic_vehicle_container_high_frequency.speed.confidence", true},
	{"vehicle width 0", "cam_car", func(m Message) {
		camHF(m).VehicleWidth = 0
	}, "message.high_frequency_container.basic_vehicle_container_high_frequency.vehicle_width", true},
	{"lane position -2", "cam_car", func(m Message) {
		camHF(m).LanePosition = ptr(int8(-2))
	}, "message.high_frequency_container.basic_vehicle_container_high_frequency.lane_position", true},
	{"timestamp before 2018", "cam_car", func(m Message) {
		m.(*CAM).Timestamp = 1514764799999
	}, "timestamp", true},
	{"timestamp after 2027", "cam_car", func(m Message) {
		m.(*CAM).Timestamp = 1830297600001
	}, "timestamp", true},
	{"other version", "cam_car", func(m Message) { m.(*CAM).Version = "2.3.0" }, "version", true},
	{"other message type", "cam_car", func(m Message) { m.(*CAM).MessageType = "denm" }, "message_type", true},
	{"unknown message format", "cam_car", func(m Message) { m.(*CAM).MessageFormat = ptr("xml") }, "message_format", true},
	{"vehicle and RSU high frequency", "cam_car", func(m Message) {
		m.(*CAM).Message.HighFrequencyContainer.RSUContainerHighFrequency = &RSUContainerHighFrequency{}
	}, "message.high_frequency_container", true},
	{"no high frequency container", "cam_car", func(m Message) {
		m.(*CAM).Message.HighFrequencyContainer.BasicVehicleContainerHighFrequency = nil
	}, "message.high_frequency_container", true},
	{"41 path points", "cam_car", func(m Message) {
		lf := &m.(*CAM).Message.LowFrequencyContainer.BasicVehicleContainerLowFrequency
		lf.PathHistory = make([]PathPoint, 41)
	}, "message.low_frequency_container.basic_vehicle_container_low_frequency.path_history", false},
	{"path delta time 0", "cam_car", func(m Message) {
		lf := &m.(*CAM).Message.LowFrequencyContainer.BasicVehicleContainerLowFrequency
		lf.PathHistory[1].PathDeltaTime = ptr(uint16(0))
	}, "message.low_frequency_container.basic_vehicle_container_low_frequency.path_history[1].path_delta_time", false},
	{"protected zone radius 0", "cam_rsu", func(m Message) {
		m.(*CAM).Message.HighFrequencyContainer.RSUContainerHighFrequency.ProtectedCommunicationZonesRSU[0].ProtectedZoneRadius = ptr(uint8(0))
	}, "message.high_frequency_container.rsu_container_high_frequency.protected_communication_zones_rsu[0].protected_zone_radius", true},
	{"no protected zone", "cam_rsu", func(m Message) {
		m.(*CAM).Message.HighFrequencyContainer.RSUContainerHighFrequency.ProtectedCommunicationZonesRSU = []ProtectedCommunicationZone{}
	}, "message.high_frequency_container.rsu_container_high_frequency.protected_communication_zones_rsu", true},
	{"activation data of 21 characters", "cam_maximal", func(m Message) {
		m.(*CAM).Message.SpecialVehicleContainer = &SpecialVehicleContainer{PublicTransportContainer: &PublicTransportContainer{
			PtActivation: &PtActivation{PtActivationData: strings.Repeat("é", 21)}}}
	}, "message.special_vehicle_container.public_transport_container.pt_activation.pt_activation_data", true},
	{"two special containers", "cam_maximal", func(m Message) {
		m.(*CAM).Message.SpecialVehicleContainer.RescueContainer = &RescueContainer{}
	}, "message.special_vehicle_container", true},
	{"validity over a day", "denm_accident", func(m Message) {
		m.(*DENM).Message.Management.ValidityDuration = ptr(uint32(86401))
	}, "message.management.validity_duration", true},
	{"termination 2", "denm_accident", func(m Message) {
		m.(*DENM).Message.Management.Termination = ptr(Termination(2))
	}, "message.management.termination", true},
	{"awareness distance 8", "denm_accident", func(m Message) {
		m.(*DENM).Message.Management.AwarenessDistance = ptr(uint8(8))
	}, "message.management.awareness_distance", true},
	{"traffic direction 4", "denm_accident", func(m Message) {
		m.(*DENM).Message.Management.TrafficDirection = ptr(TrafficDirection(4))
	}, "message.management.traffic_direction", true},
	{"detection time beyond 42 bits", "denm_accident", func(m Message) {
		m.(*DENM).Message.Management.DetectionTime = 1 << 42
	}, "message.management.detection_time", true},
	{"information quality 8", "denm_accident", func(m Message) {
		m.(*DENM).Message.Situation.InformationQuality = 8
	}, "message.situation.information_quality", true},
	{"event point quality 9", "denm_accident", func(m Message) {
		m.(*DENM).Message.Situation.EventZone[0].InformationQuality = 9
	}, "message.situation.event_zone[0].information_quality", true},
	{"event heading 3602", "denm_accident", func(m Message) {
		m.(*DENM).Message.Location.EventPositionHeading.Value = 3602
	}, "message.location.event_position_heading.value", true},
	{"four restricted types", "denm_maximal", func(m Message) {
		m.(*DENM).Message.Alacarte.RoadWorks.Restriction = []StationType{1, 2, 3, 4}
	}, "message.alacarte.road_works.restriction", true},
	{"empty path", "denm_maximal", func(m Message) { m.(*DENM).Path = []PathElement{} }, "path", true},
	{"path element of type xyz", "denm_maximal", func(m Message) {
		m.(*DENM).Path[1].MessageType = "xyz"
	}, "path[1].message_type", true},
	{"VDS of 5 characters", "denm_maximal", func(m Message) {
		m.(*DENM).Message.Alacarte.StationaryVehicle.VehicleIdentification.VDS = ptr("ABCDE")
	}, "message.alacarte.stationary_vehicle.vehicle_identification.v_d_s", true},
	{"nine linked DENMs", "denm_maximal", func(m Message) {
		m.(*DENM).Message.Situation.LinkedDenms = make([]ActionID, 9)
	}, "message.situation.linked_denms", false},
	{"object x beyond 1310.71 m", "cpm_rsu", func(m Message) {
		m.(*CPM).Message.PerceivedObjectContainer[0].Position.XCoordinate.Value = 131072
	}, "message.perceived_object_container[0].position.x_coordinate.value", true},
	{"polar and cartesian velocity", "cpm_rsu", func(m Message) {
		m.(*CPM).Message.PerceivedObjectContainer[1].Velocity.CartesianVelocity = &CartesianVelocity{
			XVelocity: VelocityComponent{Confidence: 1}, YVelocity: VelocityComponent{Confidence: 1}}
	}, "message.perceived_object_container[1].velocity", true},
	{"two VRU profiles", "cpm_rsu", func(m Message) {
		m.(*CPM).Message.PerceivedObjectContainer[0].Classification[0].ObjectClass.VRU.Animal = ptr(uint8(1))
	}, "message.perceived_object_container[0].classification[0].object_class.vru", true},
	{"sensor type 32", "cpm_rsu", func(m Message) {
		m.(*CPM).Message.SensorInformationContainer[0].SensorType = 32
	}, "message.sensor_information_container[0].sensor_type", true},
	{"no sensor", "cpm_rsu", func(m Message) {
		m.(*CPM).Message.SensorInformationContainer = []SensorInformation{}
	}, "message.sensor_information_container", true},
	{"correlation 102", "cpm_maximal", func(m Message) {
		m.(*CPM).Message.PerceivedObjectContainer[0].LowerTriangularCorrelationMatrices[0].Matrix[0][0][0] = 102
	}, "message.perceived_object_container[0].lower_triangular_correlation_matrices[0].matrix[0][0][0]", true},
	{"empty correlation row", "cpm_maximal", func(m Message) {
		m.(*CPM).Message.PerceivedObjectContainer[0].LowerTriangularCorrelationMatrices[0].Matrix[0][1] = []int8{}
	}, "message.perceived_object_container[0].lower_triangular_correlation_matrices[0].matrix[0][1]", true},
	{"segment 0", "cpm_maximal", func(m Message) {
		m.(*CPM).Message.ManagementContainer.SegmentationInfo.ThisMsgNo = 0
	}, "message.management_container.segmentation_info.this_msg_no", true},
	{"shape without a shape", "cpm_maximal", func(m Message) {
		m.(*CPM).Message.SensorInformationContainer[0].PerceptionRegionShape = &Shape{}
	}, "message.sensor_information_container[0].perception_region_shape", true},
	{"rate exponent 3", "cpm_maximal", func(m Message) {
		m.(*CPM).Message.ManagementContainer.MessageRateRange.MessageRateMax.Exponent = 3
	}, "message.management_container.message_rate_range.message_rate_max.exponent", true},
	{"radial shape range 4096", "cpm_maximal", func(m Message) {
		m.(*CPM).Message.SensorInformationContainer[4].PerceptionRegionShape.RadialShapes.RadialShapesList[0].Range = 4096
	}, "message.sensor_information_container[4].perception_region_shape.radial_shapes.radial_shapes_list[0].range", true},
}

func camHF(m Message) *BasicVehicleContainerHighFrequency {
	return m.(*CAM).Message.HighFrequencyContainer.BasicVehicleContainerHighFrequency
}

func TestValidateNamesTheBadField(t *testing.T) {
	sch := schemaOrNil(t)
	for _, c := range invalidCases {
		t.Run(c.name, func(t *testing.T) {
			m := fixtureByName(t, c.fixture).decode(t)
			require.NoError(t, m.Validate())
			c.mutate(m)
			err := m.Validate()
			require.ErrorIs(t, err, ErrInvalid)
			var ve *ValidationError
			require.True(t, errors.As(err, &ve))
			require.Equal(t, c.field, ve.Field, ve.Reason)
			require.Contains(t, err.Error(), c.field)
			if sch != nil && c.schema {
				require.Error(t, schemaValidate(t, sch[m.Type()], m.AppendJSON(nil)), "the schema agrees")
			}
		})
	}
}

// schemaOrNil is schemas without the skip: validation tests run without them.
func schemaOrNil(t *testing.T) (s map[MessageType]*jsonschema.Schema) {
	t.Run("schemas", func(t *testing.T) { s = schemas(t) })
	return s
}
