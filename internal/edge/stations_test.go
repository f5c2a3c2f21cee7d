package edge_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	pahov5 "github.com/eclipse/paho.golang/paho"
	"github.com/stretchr/testify/require"

	"github.com/michi-v2x/michi/internal/auth"
	"github.com/michi-v2x/michi/internal/edge"
	"github.com/michi-v2x/michi/internal/testutil"
	"github.com/michi-v2x/michi/pkg/geo"
	"github.com/michi-v2x/michi/pkg/v2x"
	"github.com/michi-v2x/michi/pkg/v2x/native"
)

// stationCredentials writes a credentials file of three vehicles: com_car_1001 and com_car_2002
// without a list of stations (each connection pinned to its first), com_car_3003 listed for
// station 3003 only. It returns the file and the tokens by source.
func stationCredentials(t *testing.T) (string, map[string]string) {
	t.Helper()
	tk := map[string]string{"com_car_1001": auth.NewToken(), "com_car_2002": auth.NewToken(), "com_car_3003": auth.NewToken()}
	file := "credentials:\n" + auth.Entry("com_car_1001", auth.Vehicle, tk["com_car_1001"]) +
		auth.Entry("com_car_2002", auth.Vehicle, tk["com_car_2002"]) +
		auth.Entry("com_car_3003", auth.Vehicle, tk["com_car_3003"], auth.StationRange{First: 3003, Last: 3003})
	path := filepath.Join(t.TempDir(), "credentials.yaml")
	require.NoError(t, os.WriteFile(path, []byte(file), 0o600))
	return path, tk
}

// camCode publishes a CAM of station id as source at QoS 1 over MQTT v5 and returns the PUBACK's
// reason code.
func camCode(t *testing.T, c *pahov5.Client, source string, id uint32, at time.Time, p geo.Point) byte {
	t.Helper()
	r, err := c.Publish(context.Background(), &pahov5.Publish{Topic: camTopic(source, p), QoS: 1, Payload: camJSON(t, source, id, at, p, nil)})
	require.NotNil(t, r, "%v", err)
	return r.ReasonCode
}

// Item 1 of issue 14: a CAM for station 2002 from com_car_1001, dated 9 s ahead, neither moves
// 2002 in the LDM nor makes the real car's next CAMs replays: 2002 is held by its own car's live
// connection (0x87). A connection without a list of stations is pinned to its first; a listed
// credential speaks only for its list, held or not.
func TestStationHeldByAnotherCredentialIsRefused(t *testing.T) {
	path, tk := stationCredentials(t)
	n, clk := startNode(t, func(o *edge.Options) { o.Credentials = path })
	now := clk.Now()
	away := geo.Destination(here, 0, 500)

	owner, _, err := v5(t, n.MQTTAddr(), "owner", "com_car_2002", tk["com_car_2002"], nil)
	require.NoError(t, err)
	require.Zero(t, camCode(t, owner, "com_car_2002", 2002, now, here))
	thief, _, err := v5(t, n.MQTTAddr(), "thief", "com_car_1001", tk["com_car_1001"], nil)
	require.NoError(t, err)
	require.Equal(t, byte(0x87), camCode(t, thief, "com_car_1001", 2002, now.Add(9*time.Second), away))
	o, ok := n.LDM().Vehicle(2002)
	require.True(t, ok)
	require.Less(t, geo.Distance(o.Pos, here), 1.0, "2002 stays where its own car put it")
	require.Zero(t, camCode(t, owner, "com_car_2002", 2002, now.Add(time.Second), here), "the real car's next CAM is no replay")
	require.Equal(t, 1.0, metric(t, n, "michi_edge_rejected_total", "type=cam", "reason=station"))

	// Its own station, then pinned to it.
	require.Zero(t, camCode(t, thief, "com_car_1001", 1001, now, here))
	require.Equal(t, byte(0x87), camCode(t, thief, "com_car_1001", 4004, now, here), "pinned to 1001")
	// A listed credential: its list only, whether anyone holds the station or not.
	listed, _, err := v5(t, n.MQTTAddr(), "listed", "com_car_3003", tk["com_car_3003"], nil)
	require.NoError(t, err)
	require.Equal(t, byte(0x87), camCode(t, listed, "com_car_3003", 3004, now, here))
	require.Zero(t, camCode(t, listed, "com_car_3003", 3003, now, here))
	require.Equal(t, 3.0, metric(t, n, "michi_edge_rejected_total", "type=cam", "reason=station"))

	// mosquitto_pub, a fresh connection of com_car_1001, is told too; so is a DENM in 2002's name.
	out, _ := mosquittoPub(t, n.MQTTAddr(), camTopic("com_car_1001", here), camJSON(t, "com_car_1001", 2002, now.Add(2*time.Second), away, nil),
		"-u", "com_car_1001", "-P", tk["com_car_1001"])
	require.Contains(t, strings.ToLower(out), "not authori", out)
	d, err := v2x.NewDENM(v2x.DENMSpec{SourceUUID: "com_car_1001", StationID: 2002, StationType: v2x.StationPassengerCar,
		ActionID: v2x.ActionID{OriginatingStationID: 2002, SequenceNumber: 1}, Cause: v2x.CauseAccident, Pos: here, At: now}).MarshalJSON()
	require.NoError(t, err)
	second, _, err := v5(t, n.MQTTAddr(), "thief-2", "com_car_1001", tk["com_car_1001"], nil)
	require.NoError(t, err)
	r, err := second.Publish(context.Background(), &pahov5.Publish{QoS: 1, Payload: d,
		Topic: v2x.Topic{Root: "michi", Queue: v2x.InQueue, Type: v2x.TypeDENM, SourceID: "com_car_1001", Quadkey: geo.Quadkey(here, 22)}.String()})
	require.NotNil(t, r, "%v", err)
	require.Equal(t, byte(0x87), r.ReasonCode)
	require.Zero(t, n.Hazards().Len())

	// The owner reconnecting takes its station over from its old connection at once.
	again, _, err := v5(t, n.MQTTAddr(), "owner-2", "com_car_2002", tk["com_car_2002"], nil)
	require.NoError(t, err)
	require.Zero(t, camCode(t, again, "com_car_2002", 2002, now.Add(2*time.Second), here))
	require.Zero(t, camCode(t, owner, "com_car_2002", 2002, now.Add(3*time.Second), here))
}

// Item 1: over the native protocol a hello for a station another credential holds is refused
// with forbidden, and the holder's session goes on (it was closed with replaced, and the two then
// took the session from each other); the holder reconnecting takes it over. Holding is the same
// across transports.
func TestNativeStationTakeoverOnlyBySameCredential(t *testing.T) {
	path, tk := stationCredentials(t)
	n, clk := startNode(t, func(o *edge.Options) { o.Credentials, o.QUICAddr = path, "127.0.0.1:0" })
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	conf := pinned(t, n.TLSFingerprint(), native.ALPN)
	hello := func(source string, id uint32) native.Hello {
		return native.Hello{StationID: id, StationType: v2x.StationPassengerCar, SourceUUID: source, Token: tk[source]}
	}
	forbidden := func(h native.Hello) {
		t.Helper()
		_, err := native.Dial(ctx, n.QUICAddr(), conf, h)
		e, ok := errors.AsType[*native.Error](err)
		require.True(t, ok, "%v", err)
		require.Equal(t, native.CodeForbidden, e.Code, "%v", e)
	}

	owner, err := native.Dial(ctx, n.QUICAddr(), conf, hello("com_car_2002", 2002))
	require.NoError(t, err)
	defer owner.Close()
	forbidden(hello("com_car_1001", 2002))
	forbidden(hello("com_car_3003", 3004)) // not in its list
	select {
	case <-owner.Done():
		t.Fatalf("the holder's session ended: %v", owner.Err())
	default:
	}
	require.NoError(t, owner.SendCAM(v2x.NewCAM(v2x.CAMSpec{SourceUUID: "com_car_2002", StationID: 2002,
		StationType: v2x.StationPassengerCar, Pos: here, SpeedMPS: 10, HeadingDeg: 90, At: clk.Now()})))
	tracked(t, n, 2002)

	// An MQTT connection of another credential cannot speak for the native session's station.
	thief, _, err := v5(t, n.MQTTAddr(), "thief", "com_car_1001", tk["com_car_1001"], nil)
	require.NoError(t, err)
	require.Equal(t, byte(0x87), camCode(t, thief, "com_car_1001", 2002, clk.Now().Add(9*time.Second), here))

	// The owner's reconnection replaces its old session; once it has gone, the station is free.
	again, err := native.Dial(ctx, n.QUICAddr(), conf, hello("com_car_2002", 2002))
	require.NoError(t, err)
	<-owner.Done()
	require.ErrorIs(t, owner.Err(), native.CodeReplaced)
	require.NoError(t, again.Close())
	testutil.CheckFor(t, 5*time.Second, func() error {
		if metric(t, n, "michi_edge_stations_held") != 0 {
			return errNotYet
		}
		return nil
	})
}
