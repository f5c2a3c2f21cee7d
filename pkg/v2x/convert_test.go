package v2x

import (
	"math"
	"testing"

	"github.com/michi-v2x/michi/pkg/geo"
	"github.com/stretchr/testify/require"
)

func TestConversions(t *testing.T) {
	for _, c := range []struct {
		mps  float64
		want uint16
	}{{0, 0}, {13.894, 1389}, {13.895, 1390}, {163.81, 16381}, {163.815, SpeedOutOfRange}, {500, SpeedOutOfRange}, {-1, SpeedUnavailable}, {math.NaN(), SpeedUnavailable}} {
		require.Equal(t, c.want, etsiSpeed(c.mps), "%v m/s", c.mps)
	}
	for _, c := range []struct {
		deg  float64
		want uint16
	}{{0, 0}, {359.94, 3599}, {359.96, 0}, {360, 0}, {-90, 2700}, {720.5, 5}, {math.Inf(1), HeadingUnavailable}} {
		require.Equal(t, c.want, etsiHeading(c.deg), "%v°", c.deg)
	}
	_, ok := headingFrom(HeadingDoNotUse)
	require.False(t, ok)
	v, ok := speedFrom(SpeedOutOfRange)
	require.True(t, ok)
	require.InDelta(t, 163.82, v, 1e-9)
	lat, lon := etsiLatLon(geo.Point{Lat: -90, Lon: 180})
	require.Equal(t, int32(-900000000), lat)
	require.Equal(t, int32(1800000000), lon)
	lat, _ = etsiLatLon(geo.Point{Lat: 91})
	require.Equal(t, int32(LatitudeUnavailable), lat)
	require.Equal(t, 359.5, normDeg(-0.5))
}
