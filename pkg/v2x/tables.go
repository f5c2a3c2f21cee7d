package v2x

import "strconv"

// StationType is the ETSI TrafficParticipantType / StationType (CDD
// TS 102 894-2 v2). The its-client schemas name 0..11 and 15; 12..14 come
// from CDD v2 and are accepted like any value 0..255.
type StationType uint8

// Station types.
const (
	StationUnknown         StationType = 0
	StationPedestrian      StationType = 1
	StationCyclist         StationType = 2
	StationMoped           StationType = 3
	StationMotorcycle      StationType = 4
	StationPassengerCar    StationType = 5
	StationBus             StationType = 6
	StationLightTruck      StationType = 7
	StationHeavyTruck      StationType = 8
	StationTrailer         StationType = 9
	StationSpecialVehicle  StationType = 10
	StationTram            StationType = 11
	StationLightVRUVehicle StationType = 12
	StationAnimal          StationType = 13
	StationAgricultural    StationType = 14
	StationRoadSideUnit    StationType = 15
)

var stationTypeNames = [...]string{
	"unknown", "pedestrian", "cyclist", "moped", "motorcycle", "passengerCar", "bus",
	"lightTruck", "heavyTruck", "trailer", "specialVehicle", "tram", "lightVruVehicle",
	"animal", "agricultural", "roadSideUnit",
}

// String returns the ETSI name, or "stationType(N)" for other values.
func (s StationType) String() string {
	if int(s) < len(stationTypeNames) {
		return stationTypeNames[s]
	}
	return "stationType(" + strconv.Itoa(int(s)) + ")"
}

// IsVehicle reports whether s is a motor vehicle, tram or trailer.
func (s StationType) IsVehicle() bool {
	switch s {
	case StationMoped, StationMotorcycle, StationPassengerCar, StationBus, StationLightTruck,
		StationHeavyTruck, StationTrailer, StationSpecialVehicle, StationTram, StationAgricultural:
		return true
	}
	return false
}

// IsVRU reports whether s is a vulnerable road user.
func (s StationType) IsVRU() bool {
	switch s {
	case StationPedestrian, StationCyclist, StationLightVRUVehicle, StationAnimal:
		return true
	}
	return false
}

// Termination of a DENM (TS 103 831 §7.1.2): the originator cancels its
// own event, or another station negates it.
type Termination uint8

// Terminations.
const (
	TerminationCancellation Termination = 0
	TerminationNegation     Termination = 1
)

func (t Termination) String() string {
	switch t {
	case TerminationCancellation:
		return "isCancellation"
	case TerminationNegation:
		return "isNegation"
	}
	return "termination(" + strconv.Itoa(int(t)) + ")"
}

// TrafficDirection along which a receiver may meet a DENM event.
type TrafficDirection uint8

// Traffic directions.
const (
	DirectionAll        TrafficDirection = 0
	DirectionUpstream   TrafficDirection = 1
	DirectionDownstream TrafficDirection = 2
	DirectionOpposite   TrafficDirection = 3
)

func (t TrafficDirection) String() string {
	switch t {
	case DirectionAll:
		return "allTrafficDirections"
	case DirectionUpstream:
		return "upstreamTraffic"
	case DirectionDownstream:
		return "downstreamTraffic"
	case DirectionOpposite:
		return "oppositeTraffic"
	}
	return "trafficDirection(" + strconv.Itoa(int(t)) + ")"
}

// awarenessBounds are the upper bounds, in metres, of the awareness_distance
// classes 0..7 (lessThan50m … lessThan10km, over10km taken as 20 km).
var awarenessBounds = [8]float64{50, 100, 200, 500, 1000, 5000, 10000, 20000}

// AwarenessRadiusM returns the radius in metres of awareness_distance class c.
func AwarenessRadiusM(c uint8) (float64, bool) {
	if int(c) >= len(awarenessBounds) {
		return 0, false
	}
	return awarenessBounds[c], true
}

// AwarenessDistance returns the smallest class whose radius covers r metres.
func AwarenessDistance(r float64) uint8 {
	for i, b := range awarenessBounds {
		if r <= b {
			return uint8(i)
		}
	}
	return uint8(len(awarenessBounds) - 1)
}
