package v2x

// SpecialVehicleContainer holds exactly one container matching the vehicle
// role (ETSI EN 302 637-2 §7.1.6 / TS 103 900).
type SpecialVehicleContainer struct {
	PublicTransportContainer  *PublicTransportContainer  `json:"public_transport_container,omitempty" msgpack:"public_transport_container,omitempty"`
	SpecialTransportContainer *SpecialTransportContainer `json:"special_transport_container,omitempty" msgpack:"special_transport_container,omitempty"`
	DangerousGoodsContainer   *DangerousGoodsContainer   `json:"dangerous_goods_container,omitempty" msgpack:"dangerous_goods_container,omitempty"`
	RoadWorksContainerBasic   *RoadWorksContainerBasic   `json:"road_works_container_basic,omitempty" msgpack:"road_works_container_basic,omitempty"`
	RescueContainer           *RescueContainer           `json:"rescue_container,omitempty" msgpack:"rescue_container,omitempty"`
	EmergencyContainer        *EmergencyContainer        `json:"emergency_container,omitempty" msgpack:"emergency_container,omitempty"`
	SafetyCarContainer        *SafetyCarContainer        `json:"safety_car_container,omitempty" msgpack:"safety_car_container,omitempty"`
}

// PublicTransportContainer is sent with vehicle role publicTransport(1).
type PublicTransportContainer struct {
	EmbarkationStatus bool          `json:"embarkation_status" msgpack:"embarkation_status"`
	PtActivation      *PtActivation `json:"pt_activation,omitempty" msgpack:"pt_activation,omitempty"`
}

// PtActivation controls traffic lights, barriers, bollards.
type PtActivation struct {
	PtActivationType uint8  `json:"pt_activation_type" msgpack:"pt_activation_type"`
	PtActivationData string `json:"pt_activation_data" msgpack:"pt_activation_data" len:"1,20"`
}

// SpecialTransportContainer is sent with vehicle role specialTransport(2).
type SpecialTransportContainer struct {
	SpecialTransportType SpecialTransportType `json:"special_transport_type" msgpack:"special_transport_type"`
	LightBarSirenInUse   LightBarSirenInUse   `json:"light_bar_siren_in_use" msgpack:"light_bar_siren_in_use"`
}

// SpecialTransportType says in which way the load is exceptional.
type SpecialTransportType struct {
	HeavyLoad    bool `json:"heavy_load" msgpack:"heavy_load"`
	ExcessWidth  bool `json:"excess_width" msgpack:"excess_width"`
	ExcessLength bool `json:"excess_length" msgpack:"excess_length"`
	ExcessHeight bool `json:"excess_height" msgpack:"excess_height"`
}

// DangerousGoodsContainer is sent with vehicle role dangerousGoods(3).
type DangerousGoodsContainer struct {
	DangerousGoodsBasic uint8 `json:"dangerous_goods_basic" msgpack:"dangerous_goods_basic" range:"0,19"`
}

// RoadWorksContainerBasic is sent with vehicle role roadWork(4).
type RoadWorksContainerBasic struct {
	RoadWorksSubCauseCode *uint8             `json:"road_works_sub_cause_code,omitempty" msgpack:"road_works_sub_cause_code,omitempty"`
	LightBarSirenInUse    LightBarSirenInUse `json:"light_bar_siren_in_use" msgpack:"light_bar_siren_in_use"`
	ClosedLanes           *CAMClosedLanes    `json:"closed_lanes,omitempty" msgpack:"closed_lanes,omitempty"`
}

// CAMClosedLanes is the opening status of the lanes ahead of road works.
type CAMClosedLanes struct {
	InnerHardShoulderStatus *uint8             `json:"inner_hard_shoulder_status,omitempty" msgpack:"inner_hard_shoulder_status,omitempty" range:"0,2"`
	OuterHardShoulderStatus *uint8             `json:"outer_hard_shoulder_status,omitempty" msgpack:"outer_hard_shoulder_status,omitempty" range:"0,2"`
	DrivingLaneStatus       *DrivingLaneStatus `json:"driving_lane_status,omitempty" msgpack:"driving_lane_status,omitempty"`
}

// DrivingLaneStatus flags closed lanes, lane 1 being the innermost.
type DrivingLaneStatus struct {
	Lane1Closed  bool `json:"lane_1_closed" msgpack:"lane_1_closed"`
	Lane2Closed  bool `json:"lane_2_closed" msgpack:"lane_2_closed"`
	Lane3Closed  bool `json:"lane_3_closed" msgpack:"lane_3_closed"`
	Lane4Closed  bool `json:"lane_4_closed" msgpack:"lane_4_closed"`
	Lane5Closed  bool `json:"lane_5_closed" msgpack:"lane_5_closed"`
	Lane6Closed  bool `json:"lane_6_closed" msgpack:"lane_6_closed"`
	Lane7Closed  bool `json:"lane_7_closed" msgpack:"lane_7_closed"`
	Lane8Closed  bool `json:"lane_8_closed" msgpack:"lane_8_closed"`
	Lane9Closed  bool `json:"lane_9_closed" msgpack:"lane_9_closed"`
	Lane10Closed bool `json:"lane_10_closed" msgpack:"lane_10_closed"`
	Lane11Closed bool `json:"lane_11_closed" msgpack:"lane_11_closed"`
	Lane12Closed bool `json:"lane_12_closed" msgpack:"lane_12_closed"`
	Lane13Closed bool `json:"lane_13_closed" msgpack:"lane_13_closed"`
}

// RescueContainer is sent with vehicle role rescue(5).
type RescueContainer struct {
	LightBarSirenInUse LightBarSirenInUse `json:"light_bar_siren_in_use" msgpack:"light_bar_siren_in_use"`
}

// EmergencyContainer is sent with vehicle role emergency(6).
type EmergencyContainer struct {
	LightBarSirenInUse LightBarSirenInUse  `json:"light_bar_siren_in_use" msgpack:"light_bar_siren_in_use"`
	IncidentIndication *IncidentIndication `json:"incident_indication,omitempty" msgpack:"incident_indication,omitempty"`
	EmergencyPriority  *EmergencyPriority  `json:"emergency_priority,omitempty" msgpack:"emergency_priority,omitempty"`
}

// IncidentIndication is the incident an emergency vehicle or safety car is on.
type IncidentIndication struct {
	CcAndScc CauseCode `json:"cc_and_scc" msgpack:"cc_and_scc"`
}

// EmergencyPriority is the right of way an emergency vehicle claims.
type EmergencyPriority struct {
	RequestForRightOfWay                  bool `json:"request_for_right_of_way" msgpack:"request_for_right_of_way"`
	RequestForFreeCrossingAtATrafficLight bool `json:"request_for_free_crossing_at_a_traffic_light" msgpack:"request_for_free_crossing_at_a_traffic_light"`
}

// SafetyCarContainer is sent with vehicle role safetyCar(7).
type SafetyCarContainer struct {
	LightBarSirenInUse LightBarSirenInUse  `json:"light_bar_siren_in_use" msgpack:"light_bar_siren_in_use"`
	IncidentIndication *IncidentIndication `json:"incident_indication,omitempty" msgpack:"incident_indication,omitempty"`
	TrafficRule        *uint8              `json:"traffic_rule,omitempty" msgpack:"traffic_rule,omitempty" range:"0,4"`
	SpeedLimit         *uint8              `json:"speed_limit,omitempty" msgpack:"speed_limit,omitempty" range:"1,255"`
}
