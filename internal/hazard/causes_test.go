package hazard

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/michi-v2x/michi/pkg/v2x"
)

func TestQuality(t *testing.T) {
	for n, want := range map[int]uint8{0: 1, 1: 1, 2: 2, 3: 3, 6: 6, 7: 7, 8: 7, 100: 7} {
		require.Equal(t, want, Quality(n), "n=%d", n)
	}
}

func TestCauseTable(t *testing.T) {
	for cause, d := range CauseTable {
		require.Greater(t, d.RadiusM, 0.0, "cause %d", cause)
		require.LessOrEqual(t, d.Direction, v2x.DirectionOpposite, "cause %d", cause)
		require.GreaterOrEqual(t, d.MergeRadiusM, 0.0, "cause %d", cause)
	}
	o := Options{}
	o.setDefaults()
	require.Equal(t, CauseDefaults{RadiusM: 200, Direction: v2x.DirectionAll, MergeRadiusM: 10, Validity: 10 * time.Second}, o.causeDefaults(97))
	require.Equal(t, CauseDefaults{RadiusM: 500, Direction: v2x.DirectionUpstream, MergeRadiusM: 50, Validity: 600 * time.Second}, o.causeDefaults(94))
	require.Equal(t, CauseDefaults{RadiusM: DefaultRadiusM, Direction: v2x.DirectionAll, MergeRadiusM: 50, Validity: 600 * time.Second}, o.causeDefaults(250))
}
