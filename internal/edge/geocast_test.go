package edge_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/michi-v2x/michi/internal/edge"
	"github.com/michi-v2x/michi/internal/hazard"
	"github.com/michi-v2x/michi/internal/testutil"
	"github.com/michi-v2x/michi/pkg/geo"
	"github.com/michi-v2x/michi/pkg/v2x"
	"github.com/michi-v2x/michi/pkg/v2x/native"
)

// quicVehicle is a vehicle on michi's native protocol.
type quicVehicle struct {
	id   uint32
	conn *native.Conn
}

func dialNative(t *testing.T, n *edge.Node, id uint32) *quicVehicle {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, err := native.Dial(ctx, n.QUICAddr(), pinned(t, n.TLSFingerprint(), native.ALPN),
		native.Hello{StationID: id, StationType: v2x.StationPassengerCar, SourceUUID: fmt.Sprintf("com_car_%d", id)})
	require.NoError(t, err)
	t.Cleanup(func() { c.Close() })
	return &quicVehicle{id: id, conn: c}
}

// at sends the vehicle's state and waits until the edge tracks it there.
func (v *quicVehicle) at(t *testing.T, n *edge.Node, clk *clock, p geo.Point, heading float64) {
	t.Helper()
	now := clk.Add(100 * time.Millisecond) // every CAM newer than the last
	require.NoError(t, v.conn.SendCAM(v2x.NewCAM(v2x.CAMSpec{SourceUUID: fmt.Sprintf("com_car_%d", v.id), StationID: v.id,
		StationType: v2x.StationPassengerCar, Pos: p, SpeedMPS: 20, HeadingDeg: heading, At: now})))
	testutil.CheckFor(t, 5*time.Second, func() error {
		if o, ok := n.LDM().Vehicle(v.id); !ok || geo.Distance(o.Pos, p) > 0.5 {
			return fmt.Errorf("vehicle %d not tracked at its position yet", v.id)
		}
		return nil
	})
}

// alertsUntil collects the causes of alerts until one of cause barrier arrives.
func (v *quicVehicle) alertsUntil(t *testing.T, barrier uint8) []uint8 {
	t.Helper()
	var got []uint8
	for {
		select {
		case a, ok := <-v.conn.Alerts():
			require.True(t, ok, "vehicle %d: connection ended: %v", v.id, v.conn.Err())
			c, _ := a.DENM.Cause()
			if c == barrier {
				return got
			}
			got = append(got, c)
		case <-time.After(5 * time.Second):
			t.Fatalf("vehicle %d: no barrier alert within 5s (got %v)", v.id, got)
		}
	}
}

func TestNativeGeocastReachesExactlyTheRelevantVehicles(t *testing.T) {
	n, clk := startNode(t, func(o *edge.Options) {
		o.QUICAddr = "127.0.0.1:0"
		o.Hazards.Causes = map[uint8]hazard.CauseDefaults{v2x.CauseAnimal: {RadiusM: 1500}}
	})
	event := here
	west := func(m float64) geo.Point { return geo.Destination(event, 270, m) }
	east := func(m float64) geo.Point { return geo.Destination(event, 90, m) }

	type placed struct {
		v       *quicVehicle
		want    bool
		why     string
		pos     geo.Point
		heading float64
	}
	cars := []placed{
		{dialNative(t, n, 1), true, "200 m before, driving towards it with the traffic", west(200), 90},
		{dialNative(t, n, 2), false, "200 m before, driving away", west(200), 270},
		{dialNative(t, n, 3), false, "200 m past it, driving on", east(200), 90},
		{dialNative(t, n, 4), false, "200 m past, driving towards it against the affected traffic", east(200), 270},
		{dialNative(t, n, 5), false, "1200 m before: outside the accident's 1 km area", west(1200), 90},
	}
	for _, c := range cars {
		c.v.at(t, n, clk, c.pos, c.heading)
	}

	// An accident affecting eastbound traffic, reported over MQTT.
	now := clk.Now()
	newVehicle(t, n, 90).denm(t, v2x.DENMSpec{Cause: v2x.CauseAccident, Pos: event, HeadingDeg: 90, HasHeading: true,
		Detection: now, Reference: now, At: now})

	// A vehicle that connects after the hazard began, in its area: it is offered the hazard.
	late := dialNative(t, n, 6)
	late.at(t, n, clk, west(300), 90)
	// A vehicle that drives into the area.
	driveIn := dialNative(t, n, 7)
	driveIn.at(t, n, clk, west(1100), 90)
	driveIn.at(t, n, clk, west(900), 90)

	// Barrier: an animal on the road, no direction, 1.5 km around (configured below), reaches everyone.
	now = clk.Add(time.Second)
	newVehicle(t, n, 91).denm(t, v2x.DENMSpec{Cause: v2x.CauseAnimal, Pos: event, Detection: now, Reference: now, At: now})

	for _, c := range cars {
		got := c.v.alertsUntil(t, v2x.CauseAnimal)
		if c.want {
			require.Equal(t, []uint8{v2x.CauseAccident}, got, "vehicle %d: %s", c.v.id, c.why)
		} else {
			require.Empty(t, got, "vehicle %d: %s", c.v.id, c.why)
		}
	}
	require.Equal(t, []uint8{v2x.CauseAccident}, late.alertsUntil(t, v2x.CauseAnimal), "late joiner")
	require.Equal(t, []uint8{v2x.CauseAccident}, driveIn.alertsUntil(t, v2x.CauseAnimal), "drive-in")
}

func TestNativeVehicleReportsAndIsAlerted(t *testing.T) {
	n, clk := startNode(t, func(o *edge.Options) { o.QUICAddr = "127.0.0.1:0" })
	reporter, listener := dialNative(t, n, 11), dialNative(t, n, 12)
	reporter.at(t, n, clk, here, 0)
	listener.at(t, n, clk, geo.Destination(here, 180, 100), 0)
	now := clk.Now()
	d := v2x.NewDENM(v2x.DENMSpec{SourceUUID: "com_car_11", StationID: 11, StationType: v2x.StationPassengerCar,
		ActionID: v2x.ActionID{OriginatingStationID: 11, SequenceNumber: 1}, Cause: v2x.CauseObstacle,
		Pos: geo.Destination(here, 0, 50), Detection: now, Reference: now, At: now})
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	require.NoError(t, reporter.conn.SendDENM(ctx, d))
	select {
	case a := <-listener.conn.Alerts():
		c, _ := a.DENM.Cause()
		require.Equal(t, uint8(v2x.CauseObstacle), c)
		require.Equal(t, uint32(777), a.ActionID().OriginatingStationID)
		require.Less(t, a.Latency(), time.Second)
	case <-time.After(5 * time.Second):
		t.Fatal("no alert")
	}

	// A session may not speak for another station's source.
	bad := v2x.NewDENM(v2x.DENMSpec{SourceUUID: "com_car_99", StationID: 11, StationType: v2x.StationPassengerCar,
		ActionID: v2x.ActionID{OriginatingStationID: 11, SequenceNumber: 2}, Cause: v2x.CauseObstacle,
		Pos: here, Detection: now, Reference: now, At: now})
	require.NoError(t, reporter.conn.SendDENM(ctx, bad))
	testutil.CheckFor(t, 5*time.Second, func() error {
		if metric(t, n, "michi_edge_rejected_total", "reason="+edge.ReasonImpersonation) != 1 {
			return errNotYet
		}
		return nil
	})
}
