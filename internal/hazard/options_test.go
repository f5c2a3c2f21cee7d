package hazard

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestOptionsValidate(t *testing.T) {
	o := Options{MergeRadiusM: -1, ClearAfter: -1, DefaultValidity: 100 * time.Hour, RefreshEvery: -1,
		HeadingThresholdDeg: 200, Causes: map[uint8]CauseDefaults{3: {RadiusM: -5}}}
	err := o.Validate()
	require.Error(t, err)
	for _, s := range []string{"station_id", "merge_radius_m", "clear_after", "default_validity", "refresh_every",
		"heading_threshold_deg", "causes[3]"} {
		require.ErrorContains(t, err, s)
	}
	ok := Options{StationID: 1}
	require.NoError(t, ok.Validate())
	require.Equal(t, 50.0, ok.MergeRadiusM)
	require.Equal(t, 3*time.Second, ok.ClearAfter)
	require.Equal(t, 600*time.Second, ok.DefaultValidity)
}
