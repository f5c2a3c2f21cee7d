package v2x

import (
	"time"

	"github.com/michi-v2x/michi/pkg/geo"
)

// ProtocolVersion is the ITS PDU protocol version of the v2 messages
// (CAM TS 103 900, DENM TS 103 831, CPM TS 103 324).
const ProtocolVersion = 2

// StationID returns message.station_id.
func (m *CAM) StationID() uint32 { return m.Message.StationID }

// StationType returns the basic container's station type.
func (m *CAM) StationType() StationType { return m.Message.BasicContainer.StationType }

// Position returns the reference position in degrees. An unavailable
// latitude or longitude gives a point that is not Valid.
func (m *CAM) Position() geo.Point {
	rp := &m.Message.BasicContainer.ReferencePosition
	return pointFrom(rp.Latitude, rp.Longitude)
}

// Speed returns the vehicle's speed in m/s; ok is false for a roadside unit
// or an unavailable speed.
func (m *CAM) Speed() (mps float64, ok bool) {
	hf := m.Message.HighFrequencyContainer.BasicVehicleContainerHighFrequency
	if hf == nil {
		return 0, false
	}
	return speedFrom(hf.Speed.Value)
}

// Heading returns the vehicle's heading in degrees clockwise from north,
// [0, 360); ok is false for a roadside unit or an unavailable heading.
func (m *CAM) Heading() (deg float64, ok bool) {
	hf := m.Message.HighFrequencyContainer.BasicVehicleContainerHighFrequency
	if hf == nil {
		return 0, false
	}
	return headingFrom(hf.Heading.Value)
}

// GenerationTime returns when the CAM was generated: its
// generation_delta_time resolved against ref, usually the reception time.
func (m *CAM) GenerationTime(ref time.Time) time.Time {
	return GenerationTime(m.Message.GenerationDeltaTime, ref)
}

// CAMSpec is what NewCAM needs, in SI units.
type CAMSpec struct {
	SourceUUID  string
	StationID   uint32
	StationType StationType // StationRoadSideUnit gives an RSU high-frequency container
	Pos         geo.Point
	SpeedMPS    float64   // NaN or negative: unavailable
	HeadingDeg  float64   // clockwise from north; NaN: unavailable
	At          time.Time // generation time; zero means now
}

// NewCAM builds a CAM 2.4.0 from SI values. Members it has no value for
// carry the ETSI "unavailable" values.
func NewCAM(s CAMSpec) *CAM {
	at := s.At
	if at.IsZero() {
		at = time.Now()
	}
	m := &CAM{
		MessageType: string(TypeCAM),
		SourceUUID:  s.SourceUUID,
		Timestamp:   at.UnixMilli(),
		Version:     CAMVersion,
		Message: CAMMessage{
			ProtocolVersion:     ProtocolVersion,
			StationID:           s.StationID,
			GenerationDeltaTime: GenerationDeltaTime(at),
			BasicContainer: BasicContainer{
				StationType:       s.StationType,
				ReferencePosition: referencePosition(s.Pos),
			},
		},
	}
	if s.StationType == StationRoadSideUnit {
		m.Message.HighFrequencyContainer.RSUContainerHighFrequency = &RSUContainerHighFrequency{}
		return m
	}
	m.Message.HighFrequencyContainer.BasicVehicleContainerHighFrequency = &BasicVehicleContainerHighFrequency{
		Heading:                  Heading{Value: etsiHeading(s.HeadingDeg), Confidence: ConfidenceUnavailable},
		Speed:                    Speed{Value: etsiSpeed(s.SpeedMPS), Confidence: ConfidenceUnavailable},
		DriveDirection:           2, // unavailable
		VehicleLength:            VehicleLength{Value: 1023, Confidence: 4},
		VehicleWidth:             62,
		LongitudinalAcceleration: AccelerationComponent{Value: 161, Confidence: 102},
		Curvature:                Curvature{Value: 1023, Confidence: 7},
		CurvatureCalculationMode: 2,
		YawRate:                  YawRate{Value: 32767, Confidence: 8},
	}
	return m
}
