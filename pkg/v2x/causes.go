package v2x

import "strconv"

// DENM cause codes (CDD TS 102 894-2 CauseCodeType). Any 0..255 is accepted.
const (
	CauseTrafficCondition                  = 1
	CauseAccident                          = 2
	CauseRoadworks                         = 3
	CauseImpassability                     = 5
	CauseAdhesion                          = 6
	CauseAquaplaning                       = 7
	CauseSurfaceCondition                  = 9
	CauseObstacle                          = 10
	CauseAnimal                            = 11
	CauseHumanPresenceOnTheRoad            = 12
	CauseWrongWayDriving                   = 14
	CauseRescueAndRecovery                 = 15
	CauseExtremeWeather                    = 17
	CauseVisibility                        = 18
	CausePrecipitation                     = 19
	CauseViolence                          = 20
	CauseSlowVehicle                       = 26
	CauseDangerousEndOfQueue               = 27
	CausePublicTransportVehicleApproaching = 28
	CauseVehicleBreakdown                  = 91
	CausePostCrash                         = 92
	CauseHumanProblem                      = 93
	CauseStationaryVehicle                 = 94
	CauseEmergencyVehicleApproaching       = 95
	CauseDangerousCurve                    = 96
	CauseCollisionRisk                     = 97
	CauseSignalViolation                   = 98
	CauseDangerousSituation                = 99
	CauseRailwayLevelCrossing              = 100
)

type causeInfo struct {
	name string
	sub  []string // index = sub-cause code; 0 is "unavailable"
}

var causes = map[uint8]causeInfo{
	1:   {"trafficCondition", []string{"unavailable", "increasedVolumeOfTraffic", "trafficJamSlowlyIncreasing", "trafficJamIncreasing", "trafficJamStronglyIncreasing", "trafficJam", "trafficJamSlightlyDecreasing", "trafficJamDecreasing", "trafficJamStronglyDecreasing", "trafficJamStable"}},
	2:   {"accident", []string{"unavailable", "multiVehicleAccident", "heavyAccident", "accidentInvolvingLorry", "accidentInvolvingBus", "accidentInvolvingHazardousMaterials", "accidentOnOppositeLane", "unsecuredAccident", "assistanceRequested"}},
	3:   {"roadworks", []string{"unavailable", "majorRoadworks", "roadMarkingWork", "slowMovingRoadMaintenance", "shortTermStationaryRoadworks", "streetCleaning", "winterService", "setupPhase", "remodellingPhase", "dismantlingPhase"}},
	5:   {"impassability", []string{"unavailable", "flooding", "dangerOfAvalanches", "blastingOfAvalanches", "landslips", "chemicalSpillage", "winterClosure", "sinkhole", "earthquakeDamage", "fallenTrees", "rockfalls", "sewerOverflow", "stormDamage", "subsidence", "burstPipe", "burstWaterMain", "fallenPowerCables", "snowDrifts"}},
	6:   {"adverseWeatherCondition-Adhesion", []string{"unavailable", "heavyFrostOnRoad", "fuelOnRoad", "mudOnRoad", "snowOnRoad", "iceOnRoad", "blackIceOnRoad", "oilOnRoad", "looseChippings", "instantBlackIce", "roadsSalted"}},
	7:   {"aquaplaning", nil},
	9:   {"hazardousLocation-SurfaceCondition", []string{"unavailable", "rockfalls", "earthquakeDamage", "sewerCollapse", "subsidence", "snowDrifts", "stormDamage", "burstPipe", "volcanoEruption", "fallingIce", "fire", "flooding"}},
	10:  {"hazardousLocation-ObstacleOnTheRoad", []string{"unavailable", "shedLoad", "partsOfVehicles", "partsOfTyres", "bigObjects", "fallenTrees", "hubCaps", "waitingVehicles"}},
	11:  {"hazardousLocation-AnimalOnTheRoad", []string{"unavailable", "wildAnimals", "herdOfAnimals", "smallAnimals", "largeAnimals", "wildAnimalsSmall", "wildAnimalsLarge", "domesticAnimals", "domesticAnimalsSmall", "domesticAnimalsLarge"}},
	12:  {"humanPresenceOnTheRoad", []string{"unavailable", "childrenOnRoadway", "cyclistOnRoadway", "motorcyclistOnRoadway", "pedestrian", "ordinary-pedestrian", "road-worker", "first-responder", "lightVruVehicle", "bicyclist", "wheelchair-user", "horse-and-rider", "rollerskater", "e-scooter", "personal-transporter", "pedelec", "speed-pedelec", "ptw", "moped", "motorcycle", "motorcycle-and-sidecar-right", "motorcycle-and-sidecar-left"}},
	14:  {"wrongWayDriving", []string{"unavailable", "wrongLane", "wrongDirection"}},
	15:  {"rescueAndRecoveryWorkInProgress", []string{"unavailable", "emergencyVehicles", "rescueHelicopterLanding", "policeActivityOngoing", "medicalEmergencyOngoing", "childAbductionInProgress", "prioritizedVehicle", "rescueAndRecoveryVehicle"}},
	17:  {"adverseWeatherCondition-ExtremeWeatherCondition", []string{"unavailable", "strongWinds", "damagingHail", "hurricane", "thunderstorm", "tornado", "blizzard"}},
	18:  {"adverseWeatherCondition-Visibility", []string{"unavailable", "fog", "smoke", "heavySnowfall", "heavyRain", "heavyHail", "lowSunGlare", "sandstorms", "swarmsOfInsects"}},
	19:  {"adverseWeatherCondition-Precipitation", []string{"unavailable", "heavyRain", "heavySnowfall", "softHail"}},
	20:  {"violence", nil},
	26:  {"slowVehicle", nil},
	27:  {"dangerousEndOfQueue", []string{"unavailable", "suddenEndOfQueue", "queueOverHill", "queueAroundBend", "queueInTunnel"}},
	28:  {"publicTransportVehicleApproaching", nil},
	91:  {"vehicleBreakdown", []string{"unavailable", "lackOfFuel", "lackOfBatteryPower", "engineProblem", "transmissionProblem", "engineCoolingProblem", "brakingSystemProblem", "steeringProblem", "tyrePuncture", "tyrePressureProblem", "vehicleOnFire"}},
	92:  {"postCrash", []string{"unavailable", "accidentWithoutECallTriggered", "accidentWithECallManuallyTriggered", "accidentWithECallAutomaticallyTriggered", "accidentWithECallTriggeredWithoutAccessToCellularNetwork"}},
	93:  {"humanProblem", []string{"unavailable", "glycemiaProblem", "heartProblem"}},
	94:  {"stationaryVehicle", []string{"unavailable", "humanProblem", "vehicleBreakdown", "postCrash", "publicTransportStop", "carryingDangerousGoods", "vehicleOnFire"}},
	95:  {"emergencyVehicleApproaching", []string{"unavailable", "emergencyVehicleApproaching", "prioritizedVehicleApproaching"}},
	96:  {"hazardousLocation-DangerousCurve", []string{"unavailable", "dangerousLeftTurnCurve", "dangerousRightTurnCurve", "multipleCurvesStartingWithUnknownTurningDirection", "multipleCurvesStartingWithLeftTurn", "multipleCurvesStartingWithRightTurn"}},
	97:  {"collisionRisk", []string{"unavailable", "longitudinalCollisionRisk", "crossingCollisionRisk", "lateralCollisionRisk", "vulnerableRoadUser", "collisionRiskWithPedestrian", "collisionRiskWithCyclist", "collisionRiskWithMotorVehicle"}},
	98:  {"signalViolation", []string{"unavailable", "stopSignViolation", "trafficLightViolation", "turningRegulationViolation"}},
	99:  {"dangerousSituation", []string{"unavailable", "emergencyElectronicBrakeEngaged", "preCrashSystemEngaged", "espEngaged", "absEngaged", "aebEngaged", "brakeWarningEngaged", "collisionRiskWarningEngaged"}},
	100: {"railwayLevelCrossing", []string{"unavailable", "doNotCrossAbnormalSituation", "closed", "unguarded", "nominal", "trainApproaching"}},
}

// CauseName returns the ETSI name of a cause code, or "cause(N)" for a
// code the table does not name (every 0..255 is still accepted).
func CauseName(cause uint8) string {
	if c, ok := causes[cause]; ok {
		return c.name
	}
	return "cause(" + strconv.Itoa(int(cause)) + ")"
}

// SubCauseName returns the ETSI name of a sub-cause of cause, "unavailable"
// for 0, or "subCause(N)" when the table does not name it.
func SubCauseName(cause, sub uint8) string {
	if sub == 0 {
		return "unavailable"
	}
	if c, ok := causes[cause]; ok && int(sub) < len(c.sub) {
		return c.sub[sub]
	}
	return "subCause(" + strconv.Itoa(int(sub)) + ")"
}

// KnownCause reports whether the table names cause.
func KnownCause(cause uint8) bool {
	_, ok := causes[cause]
	return ok
}
