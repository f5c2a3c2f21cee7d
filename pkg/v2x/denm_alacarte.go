package v2x

// AlacarteContainer (TS 103 831 §7.1.5): optional extra information.
type AlacarteContainer struct {
	LanePosition        *int8              `json:"lane_position,omitempty" msgpack:"lane_position,omitempty" range:"-1,14"`
	RoadWorks           *RoadWorksExtended `json:"road_works,omitempty" msgpack:"road_works,omitempty"`
	PositioningSolution *uint8             `json:"positioning_solution,omitempty" msgpack:"positioning_solution,omitempty" range:"0,6"`
	StationaryVehicle   *StationaryVehicle `json:"stationary_vehicle,omitempty" msgpack:"stationary_vehicle,omitempty"`
}

// RoadWorksExtended is the RoadWorksContainerExtended of EN 302 637-3.
type RoadWorksExtended struct {
	LightBarSirenInUse      *uint8                   `json:"light_bar_siren_in_use,omitempty" msgpack:"light_bar_siren_in_use,omitempty" range:"0,3"`
	ClosedLanes             *DENMClosedLanes         `json:"closed_lanes,omitempty" msgpack:"closed_lanes,omitempty"`
	Restriction             []StationType            `json:"restriction,omitempty" msgpack:"restriction,omitempty" items:"1,3"`
	SpeedLimit              *uint8                   `json:"speed_limit,omitempty" msgpack:"speed_limit,omitempty"`
	IncidentIndication      *CauseCode               `json:"incident_indication,omitempty" msgpack:"incident_indication,omitempty"`
	RecommendedPath         []DeltaReferencePosition `json:"recommended_path,omitempty" msgpack:"recommended_path,omitempty"`
	StartingPointSpeedLimit *DeltaReferencePosition  `json:"starting_point_speed_limit,omitempty" msgpack:"starting_point_speed_limit,omitempty"`
	TrafficFlowRule         *uint8                   `json:"traffic_flow_rule,omitempty" msgpack:"traffic_flow_rule,omitempty" range:"0,3"`
	ReferenceDenms          []ActionID               `json:"reference_denms,omitempty" msgpack:"reference_denms,omitempty"`
}

// DENMClosedLanes: hard shoulder status and a bit mask of closed driving lanes.
type DENMClosedLanes struct {
	HardShoulderStatus *uint8  `json:"hard_shoulder_status,omitempty" msgpack:"hard_shoulder_status,omitempty" range:"0,2"`
	DrivingLaneStatus  *uint16 `json:"driving_lane_status,omitempty" msgpack:"driving_lane_status,omitempty" range:"0,16383"`
}

// StationaryVehicle describes a vehicle that stopped.
type StationaryVehicle struct {
	StationarySince        *uint8                  `json:"stationary_since,omitempty" msgpack:"stationary_since,omitempty" range:"0,3"`
	StationaryCause        *CauseCode              `json:"stationary_cause,omitempty" msgpack:"stationary_cause,omitempty"`
	CarryingDangerousGoods *DangerousGoodsExtended `json:"carrying_dangerous_goods,omitempty" msgpack:"carrying_dangerous_goods,omitempty"`
	NumberOfOccupants      *uint8                  `json:"number_of_occupants,omitempty" msgpack:"number_of_occupants,omitempty" range:"0,127"`
	VehicleIdentification  *VehicleIdentification  `json:"vehicle_identification,omitempty" msgpack:"vehicle_identification,omitempty"`
	EnergyStorageType      *uint8                  `json:"energy_storage_type,omitempty" msgpack:"energy_storage_type,omitempty" range:"0,127"`
}

// DangerousGoodsExtended details the dangerous goods a vehicle carries.
type DangerousGoodsExtended struct {
	DangerousGoodsType  *uint8  `json:"dangerous_goods_type,omitempty" msgpack:"dangerous_goods_type,omitempty" range:"0,19"`
	UnNumber            *uint16 `json:"un_number,omitempty" msgpack:"un_number,omitempty" range:"0,9999"`
	ElevatedTemperature *bool   `json:"elevated_temperature,omitempty" msgpack:"elevated_temperature,omitempty"`
	TunnelsRestricted   *bool   `json:"tunnels_restricted,omitempty" msgpack:"tunnels_restricted,omitempty"`
	LimitedQuantity     *bool   `json:"limited_quantity,omitempty" msgpack:"limited_quantity,omitempty"`
	EmergencyActionCode *string `json:"emergency_action_code,omitempty" msgpack:"emergency_action_code,omitempty" len:"1,4"`
	PhoneNumber         *string `json:"phone_number,omitempty" msgpack:"phone_number,omitempty"`
	CompanyName         *string `json:"company_name,omitempty" msgpack:"company_name,omitempty" len:"1,24"`
}

// VehicleIdentification is the WMI and VDS part of a VIN.
type VehicleIdentification struct {
	WMINumber *string `json:"w_m_inumber,omitempty" msgpack:"w_m_inumber,omitempty" len:"1,3"`
	VDS       *string `json:"v_d_s,omitempty" msgpack:"v_d_s,omitempty" len:"6,6"`
}
