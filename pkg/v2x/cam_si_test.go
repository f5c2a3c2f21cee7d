package v2x

import (
	"testing"
	"time"

	"github.com/michi-v2x/michi/pkg/geo"
	"github.com/stretchr/testify/require"
)

func TestCAMAccessors(t *testing.T) {
	car := fixtureByName(t, "cam_car").decode(t).(*CAM)
	require.Equal(t, uint32(4294967295), car.StationID())
	require.Equal(t, StationPassengerCar, car.StationType())
	require.InDelta(t, 48.856614, car.Position().Lat, 1e-9)
	require.InDelta(t, 2.3522219, car.Position().Lon, 1e-9)
	v, ok := car.Speed()
	require.True(t, ok)
	require.InDelta(t, 13.89, v, 1e-9)
	h, ok := car.Heading()
	require.True(t, ok)
	require.InDelta(t, 271.5, h, 1e-9)
	require.Equal(t, time.UnixMilli(1795615200123).UTC(), car.GenerationTime(time.UnixMilli(1795615201000)))

	rsu := fixtureByName(t, "cam_rsu").decode(t).(*CAM)
	require.Equal(t, StationRoadSideUnit, rsu.StationType())
	_, ok = rsu.Speed()
	require.False(t, ok)
	_, ok = rsu.Heading()
	require.False(t, ok)

	min := fixtureByName(t, "cam_minimal").decode(t).(*CAM)
	require.False(t, min.Position().Valid(), "unavailable position")
	_, ok = min.Speed()
	require.False(t, ok)
	_, ok = min.Heading()
	require.False(t, ok)
}

func TestNewCAM(t *testing.T) {
	msgs := constructed()
	car := msgs["new_cam_car"].(*CAM)
	require.Equal(t, fixedTime.UnixMilli(), car.Timestamp)
	require.Equal(t, GenerationDeltaTime(fixedTime), car.Message.GenerationDeltaTime)
	require.Equal(t, int32(488566000), car.Message.BasicContainer.ReferencePosition.Latitude)
	require.Equal(t, int32(23522000), car.Message.BasicContainer.ReferencePosition.Longitude)
	require.Equal(t, uint16(1389), camHF(car).Speed.Value)
	require.Equal(t, uint16(2715), camHF(car).Heading.Value)
	v, _ := car.Speed()
	require.InDelta(t, 13.89, v, 0.005)

	un := msgs["new_cam_unavailable"].(*CAM)
	require.Equal(t, int32(LatitudeUnavailable), un.Message.BasicContainer.ReferencePosition.Latitude)
	require.Equal(t, int32(LongitudeUnavailable), un.Message.BasicContainer.ReferencePosition.Longitude)
	require.Equal(t, uint16(SpeedUnavailable), camHF(un).Speed.Value)
	require.Equal(t, uint16(HeadingUnavailable), camHF(un).Heading.Value)

	rsu := msgs["new_cam_rsu"].(*CAM)
	require.NotNil(t, rsu.Message.HighFrequencyContainer.RSUContainerHighFrequency)
	require.Nil(t, rsu.Message.HighFrequencyContainer.BasicVehicleContainerHighFrequency)
	require.JSONEq(t, `{}`, string(rsu.Message.HighFrequencyContainer.RSUContainerHighFrequency.appendJSON(nil)))

	now := NewCAM(CAMSpec{Pos: geo.Point{Lat: 1, Lon: 1}})
	require.InDelta(t, time.Now().UnixMilli(), now.Timestamp, 5000, "zero At means now")
}
