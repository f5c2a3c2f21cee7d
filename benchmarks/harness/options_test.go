package harness

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestOptionsDefaults(t *testing.T) {
	var o Options
	require.NoError(t, o.Validate())
	require.Equal(t, MQTTTCP, o.Transport)
	require.Equal(t, 500, o.Vehicles)
	require.InDelta(t, 10, o.RateHz, 0)
	require.Equal(t, 20*time.Second, o.Duration)
	require.Equal(t, uint8(99), o.HazardCause)
	require.InDelta(t, 300, o.HazardRadiusM, 0, "the edge's radius for cause 99")
	require.Equal(t, 40, o.Hazards())
	require.Equal(t, byte(1), o.alertQoS())
}

func TestOptionsRadiusFollowsTheCause(t *testing.T) {
	o := Options{HazardCause: 2}
	require.NoError(t, o.Validate())
	require.InDelta(t, 1000, o.HazardRadiusM, 0)
	o = Options{HazardCause: 200}
	require.NoError(t, o.Validate())
	require.InDelta(t, 500, o.HazardRadiusM, 0, "a cause the table does not list")
}

func TestOptionsValidateReportsEveryProblem(t *testing.T) {
	o := Options{Transport: "carrier-pigeon", Vehicles: -1, RateHz: 1000, Writers: -2}
	err := o.Validate()
	require.Error(t, err)
	for _, want := range []string{"carrier-pigeon", "vehicles -1", "rate 1000", "writers -2"} {
		require.ErrorContains(t, err, want)
	}
}

func TestOptionsRefuseMoreHazardsThanSlots(t *testing.T) {
	o := Options{AreaKm: 1, HazardRate: 10, Duration: 10 * time.Second} // 16 slots, 100 hazards
	require.ErrorContains(t, o.Validate(), "100 hazards")
}
