package v2x

import (
	"math"
	"strconv"
	"time"

	"github.com/michi-v2x/michi/pkg/geo"
)

// DefaultValidity is a DENM's validity when validity_duration is absent
// (TS 103 831: 600 s).
const DefaultValidity = 600 * time.Second

// String returns "originating_station_id/sequence_number", e.g. "1234/5".
func (a ActionID) String() string {
	return strconv.FormatUint(uint64(a.OriginatingStationID), 10) + "/" + strconv.FormatUint(uint64(a.SequenceNumber), 10)
}

// ActionID returns the event's identity.
func (m *DENM) ActionID() ActionID { return m.Message.Management.ActionID }

// StationID returns message.station_id, the sender of this DENM (which may
// differ from the action_id's originator).
func (m *DENM) StationID() uint32 { return m.Message.StationID }

// StationType returns the sender's station type.
func (m *DENM) StationType() StationType { return m.Message.Management.StationType }

// EventPosition returns the event position in degrees; unavailable values
// give a point that is not Valid.
func (m *DENM) EventPosition() geo.Point {
	ep := &m.Message.Management.EventPosition
	return pointFrom(ep.Latitude, ep.Longitude)
}

// Cause returns the situation's cause and sub-cause, (0, 0) without one.
func (m *DENM) Cause() (cause, subcause uint8) {
	s := m.Message.Situation
	if s == nil {
		return 0, 0
	}
	if s.EventType.Subcause != nil {
		subcause = *s.EventType.Subcause
	}
	return s.EventType.Cause, subcause
}

// DetectionTime returns when the event was detected.
func (m *DENM) DetectionTime() time.Time { return TimeFromIts(m.Message.Management.DetectionTime) }

// ReferenceTime returns when this version of the DENM was generated.
func (m *DENM) ReferenceTime() time.Time { return TimeFromIts(m.Message.Management.ReferenceTime) }

// Validity returns validity_duration, DefaultValidity when absent.
func (m *DENM) Validity() time.Duration {
	if v := m.Message.Management.ValidityDuration; v != nil {
		return time.Duration(*v) * time.Second
	}
	return DefaultValidity
}

// Expiry returns detection time + validity.
func (m *DENM) Expiry() time.Time { return m.DetectionTime().Add(m.Validity()) }

// Termination returns the termination, ok = false for an active event.
func (m *DENM) Termination() (Termination, bool) {
	if t := m.Message.Management.Termination; t != nil {
		return *t, true
	}
	return 0, false
}

// EventHeading returns the event's heading in degrees from north.
func (m *DENM) EventHeading() (deg float64, ok bool) {
	l := m.Message.Location
	if l == nil || l.EventPositionHeading == nil {
		return 0, false
	}
	return headingFrom(l.EventPositionHeading.Value)
}

// AwarenessRadius returns the upper bound in metres of awareness_distance
// (0..7 → 50, 100, 200, 500, 1000, 5000, 10000, 20000 m).
func (m *DENM) AwarenessRadius() (meters float64, ok bool) {
	if a := m.Message.Management.AwarenessDistance; a != nil {
		return AwarenessRadiusM(*a)
	}
	return 0, false
}

// TrafficDirection returns traffic_direction, ok = false when absent.
func (m *DENM) TrafficDirection() (TrafficDirection, bool) {
	if t := m.Message.Management.TrafficDirection; t != nil {
		return *t, true
	}
	return 0, false
}

// InformationQuality returns the situation's information quality (0..7),
// 0 (unavailable) without a situation container.
func (m *DENM) InformationQuality() uint8 {
	if s := m.Message.Situation; s != nil {
		return s.InformationQuality
	}
	return 0
}

// DENMSpec is what NewDENM needs, in SI units.
type DENMSpec struct {
	SourceUUID         string
	StationID          uint32
	StationType        StationType
	ActionID           ActionID
	Cause, SubCause    uint8
	Pos                geo.Point
	HeadingDeg         float64 // event heading, used when HasHeading
	HasHeading         bool
	Detection          time.Time     // zero: At
	Reference          time.Time     // zero: At
	Validity           time.Duration // zero: DefaultValidity; rounded to s, at most 86400 s
	AwarenessRadiusM   float64       // 0: no awareness_distance
	TrafficDirection   TrafficDirection
	InformationQuality uint8 // 0..7
	Termination        *Termination
	At                 time.Time // envelope timestamp; zero: now
}

// NewDENM builds a DENM 2.3.0 from SI values.
func NewDENM(s DENMSpec) *DENM {
	at := s.At
	if at.IsZero() {
		at = time.Now()
	}
	det, ref := s.Detection, s.Reference
	if det.IsZero() {
		det = at
	}
	if ref.IsZero() {
		ref = at
	}
	validity := s.Validity
	if validity <= 0 {
		validity = DefaultValidity
	}
	vs := math.Round(validity.Seconds())
	if vs > 86400 {
		vs = 86400
	}
	iq := s.InformationQuality
	if iq > 7 {
		iq = 7
	}
	m := &DENM{
		MessageType: string(TypeDENM),
		SourceUUID:  s.SourceUUID,
		Timestamp:   at.UnixMilli(),
		Version:     DENMVersion,
		Message: DENMMessage{
			ProtocolVersion: ProtocolVersion,
			StationID:       s.StationID,
			Management: ManagementContainer{
				ActionID:         s.ActionID,
				DetectionTime:    TimestampIts(det),
				ReferenceTime:    TimestampIts(ref),
				EventPosition:    referencePosition(s.Pos),
				TrafficDirection: ptr(s.TrafficDirection & 3),
				ValidityDuration: ptr(uint32(vs)),
				StationType:      s.StationType,
			},
			Situation: &SituationContainer{
				InformationQuality: iq,
				EventType:          CauseCode{Cause: s.Cause, Subcause: ptr(s.SubCause)},
			},
		},
	}
	if s.Termination != nil {
		m.Message.Management.Termination = ptr(*s.Termination & 1)
	}
	if s.AwarenessRadiusM > 0 {
		m.Message.Management.AwarenessDistance = ptr(AwarenessDistance(s.AwarenessRadiusM))
	}
	if s.HasHeading {
		m.Message.Location = &LocationContainer{
			EventPositionHeading: &Heading{Value: etsiHeading(s.HeadingDeg), Confidence: ConfidenceUnavailable},
		}
	}
	return m
}
