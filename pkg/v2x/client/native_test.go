package client_test

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/michi-v2x/michi/internal/testutil"
	"github.com/michi-v2x/michi/internal/tlsconf"
	"github.com/michi-v2x/michi/pkg/geo"
	"github.com/michi-v2x/michi/pkg/v2x"
	"github.com/michi-v2x/michi/pkg/v2x/client"
	"github.com/michi-v2x/michi/pkg/v2x/native"
)

// nativeFixture runs michi's native server with a development certificate, and dials vehicles
// to it that pin the certificate.
func nativeFixture(t *testing.T) (f *nativeEdge, conf *tls.Config, dial func(id uint32, mutate ...func(*client.Options)) (*client.Client, error)) {
	cert, err := tlsconf.DevCertificate()
	require.NoError(t, err)
	conf = &tls.Config{Certificates: []tls.Certificate{cert}}
	f = runNativeEdge(t, "127.0.0.1:0", conf)
	fp := tlsconf.Fingerprint(cert.Leaf)
	dial = func(id uint32, mutate ...func(*client.Options)) (*client.Client, error) {
		o := client.Options{URL: "quic://" + f.Addr(), StationID: id, Token: "secret",
			TLS:     client.TLS{PinnedFingerprint: fp},
			Backoff: client.Backoff{Min: 10 * time.Millisecond, Max: 200 * time.Millisecond},
			Log:     slog.New(slog.DiscardHandler)}
		for _, m := range mutate {
			m(&o)
		}
		c, err := client.Dial(context.Background(), o)
		if err == nil {
			t.Cleanup(func() { require.NoError(t, c.Close()) })
		}
		return c, err
	}
	return f, conf, dial
}

func TestNativeStateReportAndAlert(t *testing.T) {
	f, _, dial := nativeFixture(t)
	v, err := dial(61)
	require.NoError(t, err)
	require.Equal(t, client.TransportQUIC, v.Transport())
	h := f.nextHello(t)
	require.Equal(t, native.Hello{StationID: 61, StationType: v2x.StationPassengerCar, SourceUUID: "com_car_61",
		Token: "secret", ClientTimeNS: h.ClientTimeNS}, h)

	require.NoError(t, v.SendState(ctx(t), client.State{Pos: here, SpeedMPS: 12.5, HeadingDeg: 180}))
	cam := next(t, f.cams, "CAM")
	require.Equal(t, uint32(61), cam.StationID())
	require.InDelta(t, 0, geo.Distance(cam.Position(), here), 0.05)
	speed, _ := cam.Speed()
	require.InDelta(t, 12.5, speed, 0.01)

	reporter, err := dial(62)
	require.NoError(t, err)
	f.nextHello(t)
	event := geo.Destination(here, 180, 400)
	start := time.Now()
	id := report(t, reporter, client.Hazard{Cause: v2x.CauseAccident, Pos: event})
	d := next(t, f.denms, "DENM")
	require.Equal(t, id, d.ActionID())
	require.Equal(t, uint32(62), id.OriginatingStationID)

	a := nextAlert(t, v)
	require.Equal(t, id, a.ActionID)
	require.Equal(t, client.TransportQUIC, a.Transport)
	require.False(t, a.Replayed)
	require.WithinRange(t, a.Received, start, time.Now())
	// From the server's send stamp, corrected by the clock offset: on loopback a few hundred µs,
	// give or take the offset's error (up to half a round trip, so possibly a little below zero).
	require.NotZero(t, a.Latency, "measured from the server's send stamp")
	require.Greater(t, a.Latency, -time.Millisecond)
	require.Less(t, a.Latency, 5*time.Second)
	// Alert latency holds the delivery part and adds the edge's share before its send stamp,
	// measured on the server's clock alone: from the report's reference time (after start) to
	// the send (before the read). 1 ms of slack for the ms reference time.
	share := a.AlertLatency - a.Latency
	require.GreaterOrEqual(t, share, -time.Millisecond)
	require.LessOrEqual(t, share, a.Received.Sub(start)+time.Millisecond)

	// The same version again is not an alert; an update is.
	f.Alert(d)
	upd := report(t, reporter, client.Hazard{ActionID: id, Cause: v2x.CauseAccident, Pos: event, InformationQuality: 3})
	require.Equal(t, id, upd)
	d2 := next(t, f.denms, "DENM update")
	require.Equal(t, d.DetectionTime(), d2.DetectionTime(), "an update keeps the detection time")
	require.True(t, d2.ReferenceTime().After(d.ReferenceTime()),
		"an update is a later version, even within the millisecond of the previous one")
	a2 := nextAlert(t, v)
	require.Equal(t, id, a2.ActionID)
	require.Equal(t, uint8(3), a2.DENM.InformationQuality())
	require.Equal(t, uint64(2), v.Stats().AlertsDelivered)
}

func TestNativeReconnectsWithANewHello(t *testing.T) {
	f, conf, dial := nativeFixture(t)
	v, err := dial(71)
	require.NoError(t, err)
	f.nextHello(t)
	require.NoError(t, v.SendState(ctx(t), client.State{Pos: here}))

	addr := f.Addr() // a new server on the same address, with the same certificate
	f.stop()
	testutil.CheckFor(t, 10*time.Second, func() error {
		if v.Connected() {
			return errNotYet
		}
		return nil
	})
	require.ErrorIs(t, v.SendState(ctx(t), client.State{Pos: here}), client.ErrNotConnected)

	f2 := runNativeEdge(t, addr, conf)
	require.Equal(t, uint32(71), f2.nextHello(t).StationID, "a new hello after the restart")
	testutil.CheckFor(t, 10*time.Second, func() error {
		if s := v.Stats(); s.Connects < 2 {
			return fmt.Errorf("connects %d", s.Connects)
		}
		return nil
	})
	require.NoError(t, v.SendState(ctx(t), client.State{Pos: here}))
	require.Equal(t, uint32(71), next(t, f2.cams, "CAM after reconnect").StationID())
	f2.Alert(v2x.NewDENM(v2x.DENMSpec{SourceUUID: "michi_fake", StationID: 9, StationType: v2x.StationRoadSideUnit,
		ActionID: v2x.ActionID{OriginatingStationID: 9, SequenceNumber: 1}, Cause: v2x.CauseRoadworks, Pos: here}))
	a := nextAlert(t, v)
	require.Equal(t, uint32(9), a.ActionID.OriginatingStationID)
}

func TestNativeRefusal(t *testing.T) {
	f, conf, dial := nativeFixture(t)
	f.refuse.Store(uint32(native.CodeUnauthorized))
	_, err := dial(81)
	var ce *client.ConnectError
	require.ErrorAs(t, err, &ce)
	require.ErrorIs(t, err, client.ErrRefused)
	require.Equal(t, int(native.CodeUnauthorized), ce.Code)
	require.False(t, ce.Retryable())
	require.ErrorIs(t, err, native.CodeUnauthorized)

	// Busy is worth retrying: a client that meets it while reconnecting keeps trying; one
	// refused as unauthorised while reconnecting gives up and says why.
	f.refuse.Store(0)
	v, err := dial(82)
	require.NoError(t, err)
	f.nextHello(t)
	addr := f.Addr()
	f.stop()
	f2 := runNativeEdge(t, addr, conf, native.CodeBusy)
	testutil.CheckFor(t, 10*time.Second, func() error {
		if f2.refused.Load() < 2 {
			return errNotYet
		}
		return nil
	})
	require.NoError(t, v.Err(), "still trying")
	f2.refuse.Store(uint32(native.CodeUnauthorized))
	select {
	case <-v.Done():
	case <-time.After(10 * time.Second):
		t.Fatal("client kept retrying an unauthorised hello")
	}
	require.ErrorAs(t, v.Err(), &ce)
	require.ErrorIs(t, v.Err(), native.CodeUnauthorized)
	require.True(t, errors.Is(v.Err(), client.ErrRefused))
}

func TestNativeWrongPin(t *testing.T) {
	_, _, dial := nativeFixture(t)
	other, err := tlsconf.DevCertificate()
	require.NoError(t, err)
	_, err = dial(91, func(o *client.Options) { o.TLS.PinnedFingerprint = tlsconf.Fingerprint(other.Leaf) })
	var ce *client.ConnectError
	require.ErrorAs(t, err, &ce)
	require.NotErrorIs(t, err, client.ErrRefused)
}
