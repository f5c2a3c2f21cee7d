package ldm

import (
	"math"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestOptionsDefaults(t *testing.T) {
	var o Options
	require.NoError(t, o.Validate())
	o.setDefaults()
	require.Equal(t, Options{
		VehicleTTL: 5 * time.Second, ObjectTTL: 2 * time.Second, FusionGateM: 3,
		FusionSpeedGateMPS: 5, FusionHeadingGateDeg: 45, StopSpeedMPS: 0.5, RoadSpeedMPS: 2,
		RoadTTL: time.Hour, RoadZoom: 22, RoadMaxCells: 1 << 19,
	}, o)

	// Explicit values stay.
	o = Options{VehicleTTL: time.Second, FusionGateM: 1.5}
	o.setDefaults()
	require.Equal(t, time.Second, o.VehicleTTL)
	require.Equal(t, 1.5, o.FusionGateM)
}

func TestOptionsValidateReportsAll(t *testing.T) {
	o := Options{VehicleTTL: -1, FusionGateM: -2, StopSpeedMPS: math.NaN(), FusionHeadingGateDeg: 200, RoadZoom: 5, RoadMaxCells: -1}
	err := o.Validate()
	require.Error(t, err)
	for _, s := range []string{"vehicle_ttl", "fusion_gate_m", "stop_speed_mps", "fusion_heading_gate_deg", "road_zoom", "road_max_cells"} {
		require.ErrorContains(t, err, s)
	}
	// New copes anyway.
	m := New(o)
	require.Equal(t, 5*time.Second, m.opts.VehicleTTL)
	require.Equal(t, 3.0, m.opts.FusionGateM)
}
