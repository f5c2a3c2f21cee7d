package v2x

// DENM is a Decentralized Environmental Notification Message in its-client
// JSON form 2.3.0 (ETSI TS 103 831 v2.2.1 via denm_schema_2-3-0.json).
type DENM struct {
	MessageType string        `json:"message_type" msgpack:"message_type" const:"denm"`
	SourceUUID  string        `json:"source_uuid" msgpack:"source_uuid"`
	Timestamp   int64         `json:"timestamp" msgpack:"timestamp" range:"1514764800000,1830297600000"`
	Version     string        `json:"version" msgpack:"version" const:"2.3.0"`
	Path        []PathElement `json:"path,omitempty" msgpack:"path,omitempty" items:"1,"`
	Message     DENMMessage   `json:"message" msgpack:"message"`
}

// DENMVersion is the its-client DENM JSON format version michi speaks.
const DENMVersion = "2.3.0"

// PathElement is one hop of the chain of messages a DENM was derived from.
type PathElement struct {
	Position    PathPosition `json:"position" msgpack:"position"`
	MessageType string       `json:"message_type" msgpack:"message_type" enum:"denm|cam|cpm|po"`
}

// PathPosition is a position without confidence; altitude in 0.01 m.
type PathPosition struct {
	Latitude  int32 `json:"latitude" msgpack:"latitude" range:"-900000000,900000001"`
	Longitude int32 `json:"longitude" msgpack:"longitude" range:"-1800000000,1800000001"`
	Altitude  int32 `json:"altitude" msgpack:"altitude" range:"-100000,800001"`
}

// DENMMessage is the body of a DENM.
type DENMMessage struct {
	ProtocolVersion uint8               `json:"protocol_version" msgpack:"protocol_version"`
	StationID       uint32              `json:"station_id" msgpack:"station_id"`
	Management      ManagementContainer `json:"management" msgpack:"management"`
	Situation       *SituationContainer `json:"situation,omitempty" msgpack:"situation,omitempty"`
	Location        *LocationContainer  `json:"location,omitempty" msgpack:"location,omitempty"`
	Alacarte        *AlacarteContainer  `json:"alacarte,omitempty" msgpack:"alacarte,omitempty"`
}

// ActionID identifies a DENM event: the station that first reported it and
// its own sequence number. Updates and terminations reuse it.
type ActionID struct {
	OriginatingStationID uint32 `json:"originating_station_id" msgpack:"originating_station_id"`
	SequenceNumber       uint16 `json:"sequence_number" msgpack:"sequence_number"`
}

// ManagementContainer (TS 103 831 §7.1.2). Times are ETSI TimestampIts
// (ms since 2004-01-01, see TimestampIts); validity in s.
type ManagementContainer struct {
	ActionID             ActionID          `json:"action_id" msgpack:"action_id"`
	DetectionTime        uint64            `json:"detection_time" msgpack:"detection_time" range:"0,4398046511103"`
	ReferenceTime        uint64            `json:"reference_time" msgpack:"reference_time" range:"0,4398046511103"`
	Termination          *Termination      `json:"termination,omitempty" msgpack:"termination,omitempty" range:"0,1"`
	EventPosition        ReferencePosition `json:"event_position" msgpack:"event_position"`
	AwarenessDistance    *uint8            `json:"awareness_distance,omitempty" msgpack:"awareness_distance,omitempty" range:"0,7"`
	TrafficDirection     *TrafficDirection `json:"traffic_direction,omitempty" msgpack:"traffic_direction,omitempty" range:"0,3"`
	ValidityDuration     *uint32           `json:"validity_duration,omitempty" msgpack:"validity_duration,omitempty" range:"0,86400"`
	TransmissionInterval *uint16           `json:"transmission_interval,omitempty" msgpack:"transmission_interval,omitempty" range:"1,10000"`
	StationType          StationType       `json:"station_type" msgpack:"station_type"`
}

// SituationContainer (TS 103 831 §7.1.3): what happened.
type SituationContainer struct {
	InformationQuality uint8        `json:"information_quality" msgpack:"information_quality" range:"0,7"`
	EventType          CauseCode    `json:"event_type" msgpack:"event_type"`
	LinkedCause        *CauseCode   `json:"linked_cause,omitempty" msgpack:"linked_cause,omitempty"`
	EventZone          []EventPoint `json:"event_zone,omitempty" msgpack:"event_zone,omitempty"`
	LinkedDenms        []ActionID   `json:"linked_denms,omitempty" msgpack:"linked_denms,omitempty" items:"1,8"`
	EventEnd           *int16       `json:"event_end,omitempty" msgpack:"event_end,omitempty" range:"-8190,8191"`
}

// EventPoint is one point of an event zone, relative to the previous one.
type EventPoint struct {
	EventPosition      DeltaReferencePosition `json:"event_position" msgpack:"event_position"`
	EventDeltaTime     *uint16                `json:"event_delta_time,omitempty" msgpack:"event_delta_time,omitempty"`
	InformationQuality uint8                  `json:"information_quality" msgpack:"information_quality" range:"0,7"`
}

// LocationContainer (TS 103 831 §7.1.4): where and how the event moves.
type LocationContainer struct {
	EventSpeed                    *Speed          `json:"event_speed,omitempty" msgpack:"event_speed,omitempty"`
	EventPositionHeading          *Heading        `json:"event_position_heading,omitempty" msgpack:"event_position_heading,omitempty"`
	DetectionZonesToEventPosition []DetectionZone `json:"detection_zones_to_event_position,omitempty" msgpack:"detection_zones_to_event_position,omitempty" items:"1,7"`
	RoadType                      *uint8          `json:"road_type,omitempty" msgpack:"road_type,omitempty" range:"0,3"`
}

// DetectionZone is a path leading to the event position.
type DetectionZone struct {
	Path []PathPoint `json:"path" msgpack:"path" items:"0,40"`
}
