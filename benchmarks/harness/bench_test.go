package harness

import (
	"testing"

	"github.com/stretchr/testify/require"
)

func TestParseSweepTransportsAndPoints(t *testing.T) {
	vs, err := ParseVehicles("500, 2000,5000")
	require.NoError(t, err)
	require.Equal(t, []int{500, 2000, 5000}, vs)
	_, err = ParseVehicles("500,x")
	require.Error(t, err)
	_, err = ParseVehicles("0")
	require.Error(t, err)

	ts, err := ParseTransports("mqtt-tcp,mqtt-ws")
	require.NoError(t, err)
	require.Equal(t, []string{MQTTTCP, MQTTWS}, ts)
	ts, err = ParseTransports("all")
	require.NoError(t, err)
	require.Equal(t, Transports, ts)
	_, err = ParseTransports("mqtt-udp")
	require.Error(t, err)

	p, err := ParsePoint("45.76, 4.84")
	require.NoError(t, err)
	require.InDelta(t, 45.76, p.Lat, 0)
	require.InDelta(t, 4.84, p.Lon, 0)
	_, err = ParsePoint("95,4")
	require.Error(t, err)
}

func TestBenchOptionsValidate(t *testing.T) {
	o := BenchOptions{Target: TargetMosquitto, Transports: []string{MQTTTCP, MQTTWS}}
	require.ErrorContains(t, o.Validate(), "only mqtt-tcp")
	o = BenchOptions{Target: TargetBroker}
	require.ErrorContains(t, o.Validate(), "address is missing")
	o = BenchOptions{Target: "cloud"}
	require.ErrorContains(t, o.Validate(), `target "cloud"`)
	o = BenchOptions{Vehicles: []int{500, 2000}, Load: Options{AreaKm: 0.5}}
	require.ErrorContains(t, o.Validate(), "2000 vehicles") // every run is checked: too few slots
	o = BenchOptions{}
	require.NoError(t, o.Validate())
	require.Equal(t, []int{500}, o.Vehicles)
	require.Equal(t, []string{MQTTTCP}, o.Transports)
}
