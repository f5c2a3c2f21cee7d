package v2x

import (
	"testing"

	"github.com/stretchr/testify/require"
)

func TestCauseNames(t *testing.T) {
	// Every cause DESIGN.md lists is named.
	for code, name := range map[uint8]string{
		1: "trafficCondition", 2: "accident", 3: "roadworks", 5: "impassability",
		6: "adverseWeatherCondition-Adhesion", 7: "aquaplaning", 9: "hazardousLocation-SurfaceCondition",
		10: "hazardousLocation-ObstacleOnTheRoad", 11: "hazardousLocation-AnimalOnTheRoad",
		12: "humanPresenceOnTheRoad", 14: "wrongWayDriving", 15: "rescueAndRecoveryWorkInProgress",
		17: "adverseWeatherCondition-ExtremeWeatherCondition", 18: "adverseWeatherCondition-Visibility",
		19: "adverseWeatherCondition-Precipitation", 26: "slowVehicle", 27: "dangerousEndOfQueue",
		91: "vehicleBreakdown", 92: "postCrash", 93: "humanProblem", 94: "stationaryVehicle",
		95: "emergencyVehicleApproaching", 96: "hazardousLocation-DangerousCurve", 97: "collisionRisk",
		98: "signalViolation", 99: "dangerousSituation",
	} {
		require.Equal(t, name, CauseName(code))
		require.True(t, KnownCause(code))
		require.Equal(t, "unavailable", SubCauseName(code, 0))
	}
	require.Equal(t, "cause(42)", CauseName(42))
	require.False(t, KnownCause(42))
	require.Equal(t, 99, CauseDangerousSituation)
	require.Equal(t, 1, CauseTrafficCondition)

	require.Equal(t, "multiVehicleAccident", SubCauseName(CauseAccident, 1))
	require.Equal(t, "vehicleBreakdown", SubCauseName(CauseStationaryVehicle, 2))
	require.Equal(t, "wrongDirection", SubCauseName(CauseWrongWayDriving, 2))
	require.Equal(t, "suddenEndOfQueue", SubCauseName(CauseDangerousEndOfQueue, 1))
	require.Equal(t, "collisionRiskWithPedestrian", SubCauseName(CauseCollisionRisk, 5))
	require.Equal(t, "iceOnRoad", SubCauseName(CauseAdhesion, 5))
	require.Equal(t, "motorcycle-and-sidecar-left", SubCauseName(CauseHumanPresenceOnTheRoad, 21))
	require.Equal(t, "subCause(22)", SubCauseName(CauseHumanPresenceOnTheRoad, 22))
	require.Equal(t, "subCause(1)", SubCauseName(CauseAquaplaning, 1))
	require.Equal(t, "subCause(3)", SubCauseName(200, 3))
}
