package edge_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/michi-v2x/michi/internal/edge"
	"github.com/michi-v2x/michi/internal/testutil"
	"github.com/michi-v2x/michi/pkg/geo"
	"github.com/michi-v2x/michi/pkg/v2x"
	"github.com/michi-v2x/michi/pkg/v2x/native"
)

// dialAs opens a native session of station id as source with its token from tk.
func dialAs(t *testing.T, n *edge.Node, tk map[string]string, source string, id uint32) (*native.Conn, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, err := native.Dial(ctx, n.QUICAddr(), pinned(t, n.TLSFingerprint(), native.ALPN),
		native.Hello{StationID: id, StationType: v2x.StationPassengerCar, SourceUUID: source, Token: tk[source]})
	if err == nil {
		t.Cleanup(func() { c.Close() })
	}
	return c, err
}

// Issue 14: native sessions count against their credential's max_sessions, as MQTT ones do. The
// hello beyond is refused with busy and counted; a reconnecting station takes its own slot over;
// another credential's vehicle goes on being alerted; a closed session frees its slot.
func TestNativeSessionsPerCredential(t *testing.T) {
	path, tk := stationCredentials(t)
	n, clk := startNode(t, func(o *edge.Options) {
		o.Credentials, o.QUICAddr, o.Limits.MaxSessions = path, "127.0.0.1:0", 2
	})
	first, err := dialAs(t, n, tk, "com_car_1001", 1001)
	require.NoError(t, err)
	second, err := dialAs(t, n, tk, "com_car_1001", 1002)
	require.NoError(t, err)
	_, err = dialAs(t, n, tk, "com_car_1001", 1003)
	e, ok := errors.AsType[*native.Error](err)
	require.True(t, ok, "%v", err)
	require.Equal(t, native.CodeBusy, e.Code, "%v", e)
	require.Equal(t, 1.0, metric(t, n, "michi_edge_limit_refused_total", "limit=sessions"))

	// Another credential has sessions of its own, and its vehicle is alerted.
	conn, err := dialAs(t, n, tk, "com_car_2002", 2002)
	require.NoError(t, err)
	listener := &quicVehicle{id: 2002, conn: conn}
	listener.at(t, n, clk, geo.Destination(here, 180, 100), 0)
	reporter := &quicVehicle{id: 1001, conn: first}
	reporter.at(t, n, clk, here, 0)
	now := clk.Now()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	require.NoError(t, first.SendDENM(ctx, v2x.NewDENM(v2x.DENMSpec{SourceUUID: "com_car_1001", StationID: 1001,
		StationType: v2x.StationPassengerCar, ActionID: v2x.ActionID{OriginatingStationID: 1001, SequenceNumber: 1},
		Cause: v2x.CauseObstacle, Pos: geo.Destination(here, 0, 50), Detection: now, Reference: now, At: now})))
	select {
	case a := <-listener.conn.Alerts():
		c, _ := a.DENM.Cause()
		require.Equal(t, uint8(v2x.CauseObstacle), c)
	case <-time.After(5 * time.Second):
		t.Fatalf("no alert for the other credential's vehicle (%v)", listener.conn.Err())
	}

	// A station reconnecting takes its own session's slot: not refused.
	again, err := dialAs(t, n, tk, "com_car_1001", 1002)
	require.NoError(t, err)
	<-second.Done()
	require.ErrorIs(t, second.Err(), native.CodeReplaced)
	require.Equal(t, 1.0, metric(t, n, "michi_edge_limit_refused_total", "limit=sessions"))

	// A closed session frees its slot.
	require.NoError(t, again.Close())
	testutil.CheckFor(t, 5*time.Second, func() error {
		_, err := dialAs(t, n, tk, "com_car_1001", 1003)
		return err
	})
}

// Issue 14: native reports draw on its credential's publish_rate: a vehicle publishing far
// beyond it has the excess dropped and counted (reason rate_limited, as over MQTT); an honest
// vehicle of another credential is unaffected.
func TestNativePublishRatePerCredential(t *testing.T) {
	path, tk := stationCredentials(t)
	n, clk := startNode(t, func(o *edge.Options) {
		o.Credentials, o.QUICAddr = path, "127.0.0.1:0"
		o.Limits.PublishRate, o.Limits.PublishBurst = 1, 10
		o.Native.MaxBadFrames = 1000 // by default a session refused 16 times in a row is closed
	})
	flooder, err := dialAs(t, n, tk, "com_car_1001", 1001)
	require.NoError(t, err)
	honestConn, err := dialAs(t, n, tk, "com_car_2002", 2002)
	require.NoError(t, err)
	honest := &quicVehicle{id: 2002, conn: honestConn}

	// DENMs: the SDK keeps only the latest of CAMs sent faster than it can write them.
	const sent = 60
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	now := clk.Now()
	far := geo.Destination(here, 0, 20000) // nowhere near the honest vehicle
	for i := range sent {
		require.NoError(t, flooder.SendDENM(ctx, v2x.NewDENM(v2x.DENMSpec{SourceUUID: "com_car_1001", StationID: 1001,
			StationType: v2x.StationPassengerCar, ActionID: v2x.ActionID{OriginatingStationID: 1001, SequenceNumber: uint16(i + 1)},
			Cause: v2x.CauseObstacle, Pos: far, Detection: now, Reference: now, At: now})))
	}
	testutil.CheckFor(t, 10*time.Second, func() error {
		if got := metric(t, n, "michi_edge_rejected_total", "type=denm", "reason="+edge.ReasonRateLimited); got < sent-20 {
			return fmt.Errorf("%v of %d DENMs refused: %w", got, sent, errNotYet)
		}
		return nil
	})

	// The honest vehicle, at its own pace, has a bucket of its own: every CAM of it is taken.
	for i := range 3 {
		honest.at(t, n, clk, geo.Destination(here, 180, float64(100+10*i)), 0)
	}
	select {
	case <-flooder.Done():
		t.Fatalf("the flooder's session ended: %v", flooder.Err())
	default:
	}
	got := metric(t, n, "michi_edge_rejected_total", "reason="+edge.ReasonRateLimited)
	require.LessOrEqual(t, got, float64(sent-10), "at least the burst passed")
}
