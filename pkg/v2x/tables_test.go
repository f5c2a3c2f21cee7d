package v2x

import (
	"testing"

	"github.com/stretchr/testify/require"
)

func TestStationType(t *testing.T) {
	want := map[StationType]string{
		0: "unknown", 1: "pedestrian", 2: "cyclist", 3: "moped", 4: "motorcycle", 5: "passengerCar",
		6: "bus", 7: "lightTruck", 8: "heavyTruck", 9: "trailer", 10: "specialVehicle", 11: "tram",
		12: "lightVruVehicle", 13: "animal", 14: "agricultural", 15: "roadSideUnit", 16: "stationType(16)",
	}
	for st, name := range want {
		require.Equal(t, name, st.String())
	}
	require.Equal(t, StationType(15), StationRoadSideUnit)
	require.Equal(t, StationType(5), StationPassengerCar)
	require.True(t, StationBus.IsVehicle())
	require.False(t, StationRoadSideUnit.IsVehicle())
	require.True(t, StationPedestrian.IsVRU())
	require.False(t, StationTram.IsVRU())
}

func TestDirectionAndTerminationNames(t *testing.T) {
	require.Equal(t, "allTrafficDirections", DirectionAll.String())
	require.Equal(t, "upstreamTraffic", DirectionUpstream.String())
	require.Equal(t, "downstreamTraffic", DirectionDownstream.String())
	require.Equal(t, "oppositeTraffic", DirectionOpposite.String())
	require.Equal(t, "trafficDirection(4)", TrafficDirection(4).String())
	require.Equal(t, "isCancellation", TerminationCancellation.String())
	require.Equal(t, "isNegation", TerminationNegation.String())
	require.Equal(t, "termination(2)", Termination(2).String())
}
