package v2x

import (
	"math"
	"testing"
	"time"

	"github.com/michi-v2x/michi/pkg/geo"
	"github.com/stretchr/testify/require"
)

func TestCPMObjectsRSU(t *testing.T) {
	c := fixtureByName(t, "cpm_rsu").decode(t).(*CPM)
	require.Equal(t, uint32(77), c.StationID())
	ref := c.ReferencePosition()
	require.InDelta(t, 48.857, ref.Lat, 1e-9)
	objs := c.Objects()
	require.Len(t, objs, 2)

	ped := objs[0]
	require.Equal(t, uint16(12), ped.ObjectID)
	require.True(t, ped.HasID)
	require.Equal(t, ClassPedestrian, ped.Class)
	require.Equal(t, 12.0, ped.EastM)
	require.Equal(t, -3.5, ped.NorthM)
	require.InEpsilon(t, math.Hypot(12, 3.5), geo.Distance(ref, ped.Pos), 0.005, "ellipsoid vs sphere")
	require.InDelta(t, 106.3, geo.Bearing(ref, ped.Pos), 0.1, "east-south-east")
	require.True(t, ped.SpeedOK)
	require.InDelta(t, 1.4, ped.SpeedMPS, 1e-9)
	require.True(t, ped.HeadingOK)
	require.Equal(t, 90.0, ped.HeadingDeg)
	require.Equal(t, c.ReferenceTime().Add(-50*time.Millisecond), ped.At)

	car := objs[1]
	require.Equal(t, ClassVehicle, car.Class)
	require.InEpsilon(t, math.Hypot(25, 40), geo.Distance(ref, car.Pos), 0.005)
	require.InDelta(t, 13.89, car.SpeedMPS, 1e-9)
	require.Equal(t, 180.0, car.HeadingDeg)
}

func TestCPMObjectsVehicleFrame(t *testing.T) {
	c := fixtureByName(t, "cpm_maximal").decode(t).(*CPM)
	// The vehicle faces east (orientation 90°): x forward is east, y left is north.
	objs := c.Objects()
	require.Len(t, objs, 2)
	o := objs[0]
	require.InDelta(t, -1310.72, o.EastM, 1e-9, "x = -1310.72 m: behind, so west")
	require.InDelta(t, 1310.71, o.NorthM, 1e-9, "y = 1310.71 m: to the left, so north")
	require.False(t, o.SpeedOK, "y velocity 16383 is unavailable")
	require.Equal(t, ClassPedestrian, o.Class, "group of highest confidence with pedestrians")
	require.Equal(t, uint16(65535), o.ObjectID)

	p := objs[1]
	require.False(t, p.HasID)
	require.Equal(t, ClassAnimal, p.Class)
	require.True(t, p.SpeedOK)
	require.Zero(t, p.SpeedMPS)
	require.Zero(t, p.HeadingDeg)
	require.True(t, p.HeadingOK)
	require.Equal(t, 0.0, p.EastM)

	// Cartesian velocity x = -10 m/s (backwards: west), y = 10 m/s (left: north).
	cv := c.Message.PerceivedObjectContainer[0].Velocity.CartesianVelocity
	cv.XVelocity.Value, cv.YVelocity.Value = -1000, 1000
	o = c.Objects()[0]
	require.True(t, o.SpeedOK)
	require.InDelta(t, math.Hypot(10, 10), o.SpeedMPS, 1e-9)
	require.True(t, o.HeadingOK)
	require.InDelta(t, 315, o.HeadingDeg, 1e-9)

	require.Nil(t, fixtureByName(t, "cpm_minimal").decode(t).(*CPM).Objects())
}

func TestNewCPMRoundTrip(t *testing.T) {
	c := constructed()["new_cpm"].(*CPM)
	require.Equal(t, fixedTime, c.ReferenceTime())
	objs := c.Objects()
	require.Len(t, objs, 3)
	require.Equal(t, ClassPedestrian, objs[0].Class)
	require.Equal(t, 12.0, objs[0].EastM)
	require.Equal(t, -3.5, objs[0].NorthM)
	require.InDelta(t, 1.4, objs[0].SpeedMPS, 1e-9)
	require.Equal(t, 90.0, objs[0].HeadingDeg)
	require.Equal(t, ClassVehicle, objs[1].Class)
	require.True(t, objs[1].SpeedOK)
	require.False(t, objs[1].HeadingOK)
	require.Equal(t, ClassUnknown, objs[2].Class)
	require.Equal(t, 1310.71, objs[2].EastM, "clamped")
	require.False(t, objs[2].SpeedOK)
}

func TestClassOf(t *testing.T) {
	u8 := func(v uint8) *uint8 { return &v }
	cases := []struct {
		c    ObjectClassChoice
		want ObjectClass
	}{
		{ObjectClassChoice{Vehicle: u8(5)}, ClassVehicle},
		{ObjectClassChoice{Vehicle: u8(0)}, ClassVehicle},
		{ObjectClassChoice{Vehicle: u8(1)}, ClassPedestrian},
		{ObjectClassChoice{Vehicle: u8(2)}, ClassCyclist},
		{ObjectClassChoice{Vehicle: u8(12)}, ClassCyclist},
		{ObjectClassChoice{Vehicle: u8(13)}, ClassAnimal},
		{ObjectClassChoice{Vehicle: u8(15)}, ClassOther},
		{ObjectClassChoice{VRU: &VRUClass{Pedestrian: u8(0)}}, ClassPedestrian},
		{ObjectClassChoice{VRU: &VRUClass{BicyclistAndLightVRUVehicle: u8(5)}}, ClassCyclist},
		{ObjectClassChoice{VRU: &VRUClass{Motorcylist: u8(2)}}, ClassVehicle},
		{ObjectClassChoice{VRU: &VRUClass{Animal: u8(1)}}, ClassAnimal},
		{ObjectClassChoice{VRU: &VRUClass{}}, ClassUnknown},
		{ObjectClassChoice{Group: &VRUGroup{}}, ClassPedestrian},
		{ObjectClassChoice{Group: &VRUGroup{ClusterProfiles: &ClusterProfiles{Bicyclist: true}}}, ClassCyclist},
		{ObjectClassChoice{Other: u8(1)}, ClassOther},
		{ObjectClassChoice{}, ClassUnknown},
	}
	for _, c := range cases {
		require.Equal(t, c.want, ClassOf(&c.c), "%+v", c.c)
	}
	for _, cl := range []ObjectClass{ClassVehicle, ClassPedestrian, ClassCyclist, ClassAnimal, ClassOther} {
		require.Equal(t, cl, ClassOf(classChoice(cl)), cl.String())
	}
	require.Nil(t, classChoice(ClassUnknown))
	require.Equal(t, "unknown", ClassUnknown.String())
}
