package client_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/michi-v2x/michi/internal/testutil"
	"github.com/michi-v2x/michi/pkg/geo"
	"github.com/michi-v2x/michi/pkg/v2x"
	"github.com/michi-v2x/michi/pkg/v2x/client"
)

func TestAlertReachesVehiclesInItsAreaOncePerVersion(t *testing.T) {
	for _, tr := range allTransports {
		t.Run(tr.name, func(t *testing.T) {
			n := startEdge(t, tr)
			event := geo.Destination(here, 90, 300)
			far := geo.Destination(here, 0, 20_000)
			near := dialVehicle(t, n, tr, 11)
			at(t, near, here)
			farV := dialVehicle(t, n, tr, 12)
			at(t, farV, far)
			reporter := dialVehicle(t, n, tr, 13)

			start := time.Now()
			report(t, reporter, client.Hazard{Cause: v2x.CauseAccident, Pos: event})
			a := nextAlert(t, near)
			cause, _ := a.DENM.Cause()
			require.Equal(t, uint8(v2x.CauseAccident), cause)
			require.InDelta(t, 0, geo.Distance(a.DENM.EventPosition(), event), 0.05)
			require.Equal(t, a.DENM.ActionID(), a.ActionID)
			require.Equal(t, uint32(777), a.ActionID.OriginatingStationID, "the edge originates the hazard")
			require.Equal(t, tr.name, a.Transport)
			require.False(t, a.Replayed, "a live alert")
			require.False(t, a.Terminated())
			require.WithinRange(t, a.Received, start, time.Now())
			if tr.mqtt() {
				// Same host, same clock: Received minus the ms-truncated send stamp is never negative.
				require.GreaterOrEqual(t, a.Latency, time.Duration(0))
			} else {
				// The server's µs send stamp, corrected by an estimated clock offset (0 ± noise here).
				require.Greater(t, a.Latency, -time.Millisecond)
			}
			require.Less(t, a.Latency, 5*time.Second)
			// Alert latency runs from the edge accepting the report (after start) to the read and
			// holds the delivery part. What it adds is the edge's share before its send stamp,
			// on the edge's clock alone (no clock offset in it): from the accept, after start, to
			// the send, before the read. 1 ms of slack for the ms reference time.
			share := a.AlertLatency - a.Latency
			require.GreaterOrEqual(t, share, -time.Millisecond)
			require.LessOrEqual(t, share, a.Received.Sub(start)+time.Millisecond)

			// Over MQTT the hazard covers several of near's nine tiles, so several copies arrive.
			// Barrier: a second hazard published after them; it must be near's very next alert.
			copies := 1
			if tr.mqtt() {
				radius, ok := a.DENM.AwarenessRadius()
				require.True(t, ok)
				copies = overlap(geo.TilesCoveringCircle(event, radius, 16), append(geo.QuadkeyNeighbours(geo.Quadkey(here, 16)), geo.Quadkey(here, 16)))
				require.Greater(t, copies, 1, "test geometry: the hazard must cover several subscribed tiles")
			}
			barrier := geo.Destination(here, 180, 200)
			report(t, reporter, client.Hazard{Cause: v2x.CauseObstacle, Pos: barrier})
			require.Empty(t, describe(until(t, near, isHazard(v2x.CauseObstacle, barrier))), "one alert per version")
			st := near.Stats()
			require.Equal(t, uint64(2), st.AlertsDelivered)
			require.GreaterOrEqual(t, st.AlertsDuplicate, uint64(copies-1))
			require.Zero(t, st.AlertsMalformed)
			require.Zero(t, st.AlertsDropped)

			// The far vehicle got neither: its first alert is a hazard reported next to it.
			report(t, reporter, client.Hazard{Cause: v2x.CauseAnimal, Pos: far})
			require.Empty(t, describe(until(t, farV, isHazard(v2x.CauseAnimal, far))), "far vehicle received hazards 20 km away")
		})
	}
}

func overlap(a, b []string) int {
	n := 0
	for _, x := range a {
		for _, y := range b {
			if x == y {
				n++
			}
		}
	}
	return n
}

func TestNewVersionsAndTerminationPassOnce(t *testing.T) {
	for _, tr := range []transport{tcp, ws, quic} {
		t.Run(tr.name, func(t *testing.T) {
			n := startEdge(t, tr)
			event := geo.Destination(here, 45, 250)
			v := dialVehicle(t, n, tr, 21)
			at(t, v, here)
			a, b := dialVehicle(t, n, tr, 22), dialVehicle(t, n, tr, 23)

			idA := report(t, a, client.Hazard{Cause: v2x.CauseStationaryVehicle, Pos: event})
			require.Equal(t, uint32(22), idA.OriginatingStationID)
			first := nextAlert(t, v)
			// An independent confirmation: the edge publishes a newer version of its hazard.
			idB := report(t, b, client.Hazard{Cause: v2x.CauseStationaryVehicle, Pos: geo.Destination(event, 180, 10)})
			second := nextAlert(t, v)
			require.Equal(t, first.ActionID, second.ActionID)
			require.True(t, second.DENM.ReferenceTime().After(first.DENM.ReferenceTime()))
			require.Greater(t, second.DENM.InformationQuality(), first.DENM.InformationQuality())

			// Both reporters cancel: the edge terminates the hazard.
			cancelled := v2x.Termination(0)
			_, err := a.Report(ctx(t), client.Hazard{ActionID: idA, Cause: v2x.CauseStationaryVehicle, Pos: event, Termination: &cancelled})
			require.NoError(t, err)
			_, err = b.Report(ctx(t), client.Hazard{ActionID: idB, Cause: v2x.CauseStationaryVehicle, Pos: geo.Destination(event, 180, 10), Termination: &cancelled})
			require.NoError(t, err)
			rest := until(t, v, client.Alert.Terminated)
			versions := append([]client.Alert{first, second}, rest...)
			for i := 1; i < len(versions); i++ {
				require.Equal(t, first.ActionID, versions[i].ActionID)
				require.True(t, versions[i].DENM.ReferenceTime().After(versions[i-1].DENM.ReferenceTime()),
					"every alert is a newer version: %v", describe(versions))
			}

			if !tr.mqtt() {
				return
			}
			// Re-subscribing (a move away and back) replays the retained termination: a duplicate.
			before := v.Stats()
			at(t, v, geo.Destination(here, 0, 30_000))
			at(t, v, here)
			barrier := geo.Destination(here, 270, 300)
			report(t, a, client.Hazard{Cause: v2x.CauseAnimal, Pos: barrier})
			require.Empty(t, describe(until(t, v, isHazard(v2x.CauseAnimal, barrier))))
			require.Greater(t, v.Stats().AlertsDuplicate, before.AlertsDuplicate)
		})
	}
}

// Over MQTT the client moves its subscriptions; over native QUIC the edge sees the vehicle move
// and offers it the active hazards of its new area. Either way a vehicle driving into an area
// gets the hazards active there, and no longer those of the area it left.
func TestTileChangeMovesSubscriptions(t *testing.T) {
	for _, tr := range []transport{tcp, ws, quic} {
		t.Run(tr.name, func(t *testing.T) {
			n := startEdge(t, tr)
			there := geo.Destination(here, 0, 20_000)
			v := dialVehicle(t, n, tr, 31)
			at(t, v, here)
			reporter := dialVehicle(t, n, tr, 32)
			report(t, reporter, client.Hazard{Cause: v2x.CauseRoadworks, Pos: there})
			// Barrier: a hazard here, reported after it, is the vehicle's first alert.
			nearby := geo.Destination(here, 90, 100)
			report(t, reporter, client.Hazard{Cause: v2x.CauseAnimal, Pos: nearby})
			require.Empty(t, describe(until(t, v, isHazard(v2x.CauseAnimal, nearby))), "hazard 20 km away arrived")

			// Driving there subscribes the new tiles: the active hazard arrives as a replay,
			// which proves it had not arrived before (a second copy would be a duplicate).
			at(t, v, there)
			a := nextAlert(t, v)
			require.True(t, isHazard(v2x.CauseRoadworks, there)(a), "%v", describe([]client.Alert{a}))
			require.Equal(t, tr.mqtt(), a.Replayed, "retained hazard replayed on subscription (MQTT)")

			// The old tiles were left: a hazard back here does not reach the vehicle, one there does.
			report(t, reporter, client.Hazard{Cause: v2x.CauseObstacle, Pos: here})
			report(t, reporter, client.Hazard{Cause: v2x.CauseAccident, Pos: there})
			require.Empty(t, describe(until(t, v, isHazard(v2x.CauseAccident, there))), "alert from a tile the vehicle left")
		})
	}
}

func TestReconnectsAfterEdgeRestart(t *testing.T) {
	for _, tr := range allTransports {
		t.Run(tr.name, func(t *testing.T) {
			opts := edgeOpts(t, tr)
			n1, stop1 := runEdge(t, opts)
			v := dialVehicle(t, n1, tr, 41)
			at(t, v, here)

			stop1()
			testutil.CheckFor(t, 10*time.Second, func() error {
				if v.Connected() {
					return errors.New("still connected")
				}
				return nil
			})
			require.ErrorIs(t, v.SendState(ctx(t), client.State{Pos: here}), client.ErrNotConnected)
			short, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
			_, err := v.Report(short, client.Hazard{Cause: v2x.CauseAccident, Pos: here})
			cancel()
			require.ErrorIs(t, err, client.ErrNotConnected, "Report waits for the connection until its ctx ends")
			require.ErrorIs(t, err, context.DeadlineExceeded)

			// A new node on the same address (and certificate).
			*tr.addr(&opts) = tr.bound(n1)
			n2, _ := runEdge(t, opts)
			testutil.CheckFor(t, 10*time.Second, func() error {
				if s := v.Stats(); s.Connects < 2 {
					return fmt.Errorf("connects %d, failures %d", s.Connects, s.ConnectFailures)
				}
				return nil
			})
			require.True(t, v.Connected())

			// Subscriptions were restored (MQTT; the state leaves them as they are), the new
			// node knows the vehicle (native): a hazard reported to it reaches the vehicle.
			at(t, v, here)
			event := geo.Destination(here, 90, 200)
			report(t, dialVehicle(t, n2, tr, 42), client.Hazard{Cause: v2x.CauseAccident, Pos: event})
			a := nextAlert(t, v)
			require.True(t, isHazard(v2x.CauseAccident, event)(a), "%v", describe([]client.Alert{a}))
		})
	}
}

func TestContextEndsTheClient(t *testing.T) {
	n := startEdge(t, tcp)
	c, cancel := context.WithCancel(context.Background())
	v, err := client.Dial(c, vehicleOpts(n, tcp, 51))
	require.NoError(t, err)
	at(t, v, here)
	require.True(t, v.Connected())
	require.NoError(t, v.Err())

	cancel()
	select {
	case <-v.Done():
	case <-time.After(5 * time.Second):
		t.Fatal("client did not end with its context")
	}
	require.ErrorIs(t, v.Err(), context.Canceled)
	_, open := <-v.Alerts()
	require.False(t, open, "Alerts is closed")
	require.False(t, v.Connected())
	require.ErrorIs(t, v.SendState(ctx(t), client.State{Pos: here}), client.ErrClosed)
	_, err = v.Report(ctx(t), client.Hazard{Cause: v2x.CauseAccident, Pos: here})
	require.ErrorIs(t, err, client.ErrClosed)
	require.NoError(t, v.Close(), "Close after the context ended")
	require.ErrorIs(t, v.Err(), context.Canceled)
	clientsGone(t, n, 0) // the client left the broker
}

func TestCloseIsIdempotent(t *testing.T) {
	n := startEdge(t, ws)
	v, err := client.Dial(context.Background(), vehicleOpts(n, ws, 52))
	require.NoError(t, err)
	require.NoError(t, v.Close())
	require.NoError(t, v.Close())
	require.ErrorIs(t, v.Err(), client.ErrClosed)
	<-v.Done()
	clientsGone(t, n, 0)
}

func TestDialFailures(t *testing.T) {
	n := startEdge(t, tcp)
	nq := startEdge(t, mqttQUIC)

	_, err := client.Dial(context.Background(), client.Options{})
	var oe *client.OptionsError
	require.ErrorAs(t, err, &oe)
	require.ErrorIs(t, err, client.ErrInvalidOptions)
	require.Len(t, oe.Problems, 2, "every problem at once: %v", oe.Problems)

	_, err = client.Dial(context.Background(), client.Options{URL: "mqtt+quic://" + nq.MQTTQUICAddr(), StationID: 1})
	require.ErrorIs(t, err, client.ErrInvalidOptions, "TLS transport without a way to verify the server")
	_, err = client.Dial(context.Background(), client.Options{URL: "tcp://" + n.MQTTAddr(), StationID: 1, TLS: client.TLS{Insecure: true}})
	require.ErrorIs(t, err, client.ErrInvalidOptions, "TLS options on a plaintext URL")

	// Nothing listens: a ConnectError that is not a refusal.
	o := vehicleOpts(n, tcp, 1)
	o.URL = "tcp://" + closedPort(t)
	_, err = client.Dial(context.Background(), o)
	var ce *client.ConnectError
	require.ErrorAs(t, err, &ce)
	require.Equal(t, client.TransportMQTTTCP, ce.Transport)
	require.NotErrorIs(t, err, client.ErrRefused)

	// A wrong pin over QUIC fails the handshake.
	o = vehicleOpts(nq, mqttQUIC, 1)
	o.TLS.PinnedFingerprint = "00" + nq.TLSFingerprint()[2:]
	if o.TLS.PinnedFingerprint == nq.TLSFingerprint() {
		o.TLS.PinnedFingerprint = "11" + nq.TLSFingerprint()[2:]
	}
	_, err = client.Dial(context.Background(), o)
	require.ErrorAs(t, err, &ce)
	require.Equal(t, client.TransportMQTTQUIC, ce.Transport)

	// The Dial context bounds the first attempt.
	c, cancel := context.WithCancel(context.Background())
	cancel()
	_, err = client.Dial(c, vehicleOpts(n, tcp, 1))
	require.ErrorIs(t, err, context.Canceled)
}
