package edge

import (
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/michi-v2x/michi/internal/hazard"
	"github.com/michi-v2x/michi/internal/testutil"
	"github.com/michi-v2x/michi/pkg/geo"
	"github.com/michi-v2x/michi/pkg/v2x"
)

// A connection's vehicle is known from its CAMs, and the vehicles the LDM has inside a hazard's
// relevance area are those whose connections the broker writes to first.
func TestFanOutPicksVehiclesInside(t *testing.T) {
	n, err := New(Options{MQTTAddr: "127.0.0.1:0", WSAddr: Off, HTTPAddr: Off, MQTTQUICAddr: Off, QUICAddr: Off, DetectInterval: time.Hour})
	require.NoError(t, err)
	testutil.Start(t, n)

	center := geo.Point{Lat: 45.76, Lon: 4.84}
	sessions := make([]*mqttSession, 40)
	for i := range sessions {
		s := &mqttSession{id: fmt.Sprintf("c%d", i)}
		sessions[i] = s
		if i%4 != 0 { // every fourth vehicle reports its position, the others never sent a CAM
			continue
		}
		at := time.Now().Add(time.Duration(i) * time.Millisecond)
		p := geo.Destination(center, 90, float64(i)*20) // 0 … 780 m east
		source := fmt.Sprintf("com_car_%d", i)
		cam, err := v2x.NewCAM(v2x.CAMSpec{SourceUUID: source, StationID: uint32(1000 + i), StationType: v2x.StationPassengerCar, Pos: p, SpeedMPS: 10, HeadingDeg: 90, At: at}).MarshalJSON()
		require.NoError(t, err)
		topic := v2x.Topic{Root: "michi", Queue: v2x.InQueue, Type: v2x.TypeCAM, SourceID: source, Quadkey: geo.Quadkey(p, 22)}.String()
		require.NoError(t, n.ingest(s, topic, cam))
		require.Equal(t, uint32(1000+i), s.station.Load())
	}
	near := n.stationsNear(hazard.Hazard{Pos: center, RadiusM: 300}) // stations 1000 … 1012: 0 … 240 m
	require.Len(t, near, 4)
	for i, s := range sessions {
		inside := i%4 == 0 && i*20 <= 300
		require.Equal(t, inside, near[s.station.Load()], "vehicle %d", i)
	}
}
