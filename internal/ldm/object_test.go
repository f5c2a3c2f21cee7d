package ldm

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/michi-v2x/michi/pkg/geo"
)

var (
	t0   = time.Date(2026, 5, 4, 12, 0, 0, 0, time.UTC)
	base = geo.Point{Lat: 48.137, Lon: 11.575}
)

// at is the point eastM east and northM north of base.
func at(eastM, northM float64) geo.Point {
	return geo.Destination(geo.Destination(base, 90, eastM), 0, northM)
}

func sec(s float64) time.Time { return t0.Add(time.Duration(s * float64(time.Second))) }

func TestKind(t *testing.T) {
	require.Equal(t, "pedestrian", KindPedestrian.String())
	require.Equal(t, "kind(42)", Kind(42).String())
	require.True(t, compatible(KindVehicle, KindVehicle))
	require.True(t, compatible(KindUnknown, KindPedestrian))
	require.True(t, compatible(KindCyclist, KindUnknown))
	require.False(t, compatible(KindVehicle, KindPedestrian))

	for st, want := range map[uint8]Kind{
		0: KindUnknown, 1: KindPedestrian, 2: KindCyclist, 3: KindVehicle, 5: KindVehicle, 8: KindVehicle,
		11: KindVehicle, 12: KindCyclist, 13: KindAnimal, 14: KindVehicle, 15: KindUnknown, 200: KindUnknown,
	} {
		require.Equal(t, want, KindOfStationType(st), "station type %d", st)
	}
}

func TestObjectClone(t *testing.T) {
	o := Object{ID: 1, Sources: []Source{{StationID: 7}}}
	c := o.Clone()
	c.Sources[0].StationID = 8
	require.Equal(t, uint32(7), o.Sources[0].StationID)
}
