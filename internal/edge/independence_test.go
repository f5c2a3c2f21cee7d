package edge_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	pahov5 "github.com/eclipse/paho.golang/paho"
	"github.com/stretchr/testify/require"

	"github.com/michi-v2x/michi/internal/auth"
	"github.com/michi-v2x/michi/internal/edge"
	"github.com/michi-v2x/michi/internal/testutil"
	"github.com/michi-v2x/michi/pkg/geo"
	"github.com/michi-v2x/michi/pkg/v2x"
)

// reportCode publishes a DENM of its own event (station id, the cause as sequence number) over
// MQTT v5 at QoS 1 and returns the PUBACK's reason code.
func reportCode(t *testing.T, c *pahov5.Client, source string, id uint32, typ v2x.StationType, cause uint8, p geo.Point, at time.Time) byte {
	t.Helper()
	d, err := v2x.NewDENM(v2x.DENMSpec{SourceUUID: source, StationID: id, StationType: typ,
		ActionID: v2x.ActionID{OriginatingStationID: id, SequenceNumber: uint16(cause)}, Cause: cause, Pos: p, At: at}).MarshalJSON()
	require.NoError(t, err)
	r, err := c.Publish(context.Background(), &pahov5.Publish{QoS: 1, Payload: d,
		Topic: v2x.Topic{Root: "michi", Queue: v2x.InQueue, Type: v2x.TypeDENM, SourceID: source, Quadkey: geo.Quadkey(p, 22)}.String()})
	require.NotNil(t, r, "%v", err)
	return r.ReasonCode
}

// Item 2 of issue 14: independence is counted per credential, not per claimed station id.
// Eight slippery-road reports from one vehicle credential under station ids 7001–7008 (eight
// connections, each pinned to its own) made a hazard of quality 7 with eight sources; now they
// confirm nothing, and a second credential's report confirms them with two sources. A fleet
// token's sources are reporters of their own; a sensor's credential is trusted alone, a vehicle
// claiming a roadside station type is not.
func TestIndependenceIsCountedPerCredential(t *testing.T) {
	tk := map[string]string{}
	file := "credentials:\n"
	for _, c := range []struct {
		source string
		role   auth.Role
	}{{"com_car_1", auth.Vehicle}, {"com_car_2", auth.Vehicle}, {"com_rsu_1", auth.Sensor}, {"*", auth.Vehicle}} {
		tk[c.source] = auth.NewToken()
		file += auth.Entry(c.source, c.role, tk[c.source])
	}
	path := filepath.Join(t.TempDir(), "credentials.yaml")
	require.NoError(t, os.WriteFile(path, []byte(file), 0o600))
	n, clk := startNode(t, func(o *edge.Options) { o.Credentials, o.Limits.MaxSessions = path, 16 })
	now := clk.Now()
	conn := func(source, token string, i int) *pahov5.Client {
		c, _, err := v5(t, n.MQTTAddr(), fmt.Sprintf("%s-%d", source, i), source, token, nil)
		require.NoError(t, err)
		return c
	}

	icy := here
	for i := range 8 {
		c := conn("com_car_1", tk["com_car_1"], i)
		require.Zero(t, reportCode(t, c, "com_car_1", uint32(7001+i), v2x.StationPassengerCar, v2x.CauseAdhesion,
			geo.Destination(icy, 0, float64(5*i)), now))
	}
	n.DetectOnce()
	require.Zero(t, n.Hazards().Len(), "one credential under eight station ids is one reporter")

	c2 := conn("com_car_2", tk["com_car_2"], 0)
	require.Zero(t, reportCode(t, c2, "com_car_2", 2, v2x.StationPassengerCar, v2x.CauseAdhesion, icy, now))
	waitActive(t, n, 1)
	h := n.Hazards().Active()[0]
	require.Equal(t, []string{"station:2", "station:7001"}, h.Sources)
	require.Equal(t, uint8(2), h.InformationQuality)

	// A vehicle claiming station type 15 (roadside) is a vehicle; a sensor's credential confirms alone.
	far := geo.Destination(here, 90, 2000)
	car2 := conn("com_car_2", tk["com_car_2"], 1) // pinned to station 2 too: the same identity holds it
	require.Zero(t, reportCode(t, car2, "com_car_2", 2, v2x.StationRoadSideUnit, v2x.CauseSurfaceCondition, far, now.Add(time.Second)))
	n.DetectOnce()
	require.Equal(t, 1, n.Hazards().Len())
	rsu := conn("com_rsu_1", tk["com_rsu_1"], 0)
	require.Zero(t, reportCode(t, rsu, "com_rsu_1", 9001, v2x.StationRoadSideUnit, v2x.CauseSurfaceCondition, far, now))
	waitActive(t, n, 2)

	// Two sources of a fleet token are two reporters (one per connection).
	farther := geo.Destination(here, 180, 2000)
	for i, src := range []string{"com_van_1", "com_van_2"} {
		require.Zero(t, reportCode(t, conn(src, tk["*"], i), src, uint32(8001+i), v2x.StationPassengerCar, v2x.CauseAdhesion, farther, now))
	}
	waitActive(t, n, 3)

	// A report accepted on its own (an accident) under eight station ids of one credential: quality 1.
	crash := geo.Destination(here, 270, 2000)
	for i := range 8 {
		c := conn("com_car_1", tk["com_car_1"], i+10)
		require.Zero(t, reportCode(t, c, "com_car_1", uint32(7101+i), v2x.StationPassengerCar, v2x.CauseAccident, crash, now))
	}
	testutil.CheckFor(t, 5*time.Second, func() error {
		for _, h := range n.Hazards().Active() {
			if h.Cause == v2x.CauseAccident && h.InformationQuality == 1 && len(h.Sources) == 1 {
				return nil
			}
		}
		return fmt.Errorf("no accident of quality 1 among %+v", n.Hazards().Active())
	})
}
