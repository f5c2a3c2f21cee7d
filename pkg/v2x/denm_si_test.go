package v2x

import (
	"testing"
	"time"

	"github.com/michi-v2x/michi/pkg/geo"
	"github.com/stretchr/testify/require"
)

func TestDENMAccessors(t *testing.T) {
	d := fixtureByName(t, "denm_accident").decode(t).(*DENM)
	require.Equal(t, ActionID{OriginatingStationID: 4294967295, SequenceNumber: 7}, d.ActionID())
	require.Equal(t, "4294967295/7", d.ActionID().String())
	require.Equal(t, uint32(4294967295), d.StationID())
	require.Equal(t, StationPassengerCar, d.StationType())
	require.InDelta(t, 48.856614, d.EventPosition().Lat, 1e-9)
	c, s := d.Cause()
	require.Equal(t, uint8(CauseAccident), c)
	require.Equal(t, uint8(1), s)
	ref := time.UnixMilli(1795615200123).UTC()
	require.Equal(t, ref, d.ReferenceTime())
	require.Equal(t, ref.Add(-2*time.Second), d.DetectionTime())
	require.Equal(t, 900*time.Second, d.Validity())
	require.Equal(t, ref.Add(-2*time.Second+900*time.Second), d.Expiry())
	_, ok := d.Termination()
	require.False(t, ok)
	h, ok := d.EventHeading()
	require.True(t, ok)
	require.InDelta(t, 271.5, h, 1e-9)
	r, ok := d.AwarenessRadius()
	require.True(t, ok)
	require.Equal(t, 200.0, r)
	dir, ok := d.TrafficDirection()
	require.True(t, ok)
	require.Equal(t, DirectionUpstream, dir)
	require.Equal(t, uint8(4), d.InformationQuality())

	term := fixtureByName(t, "denm_termination").decode(t).(*DENM)
	tt, ok := term.Termination()
	require.True(t, ok)
	require.Equal(t, TerminationCancellation, tt)

	min := fixtureByName(t, "denm_minimal").decode(t).(*DENM)
	require.Equal(t, DefaultValidity, min.Validity())
	require.Equal(t, TimeFromIts(0).Add(DefaultValidity), min.Expiry())
	c, s = min.Cause()
	require.Zero(t, c)
	require.Zero(t, s)
	_, ok = min.EventHeading()
	require.False(t, ok)
	_, ok = min.AwarenessRadius()
	require.False(t, ok)
	_, ok = min.TrafficDirection()
	require.False(t, ok)
	require.Zero(t, min.InformationQuality())
	require.False(t, min.EventPosition().Valid())
}

func TestNewDENM(t *testing.T) {
	d := constructed()["new_denm"].(*DENM)
	require.Equal(t, ActionID{OriginatingStationID: 9, SequenceNumber: 3}, d.ActionID())
	c, s := d.Cause()
	require.Equal(t, uint8(CauseStationaryVehicle), c)
	require.Equal(t, uint8(2), s)
	require.Equal(t, fixedTime.Add(-time.Minute), d.DetectionTime())
	require.Equal(t, fixedTime, d.ReferenceTime())
	require.Equal(t, 120*time.Second, d.Validity())
	require.Equal(t, fixedTime.Add(time.Minute), d.Expiry())
	r, _ := d.AwarenessRadius()
	require.Equal(t, 500.0, r, "300 m needs lessThan500m")
	h, ok := d.EventHeading()
	require.True(t, ok)
	require.Equal(t, 90.0, h)
	dir, _ := d.TrafficDirection()
	require.Equal(t, DirectionUpstream, dir)
	require.Equal(t, uint8(3), d.InformationQuality())
	require.InDelta(t, 48.8566, d.EventPosition().Lat, 1e-7)
	_, ok = d.Termination()
	require.False(t, ok)

	n := constructed()["new_denm_negation"].(*DENM)
	tt, ok := n.Termination()
	require.True(t, ok)
	require.Equal(t, TerminationNegation, tt)
	require.Equal(t, DefaultValidity, n.Validity())
	_, ok = n.EventHeading()
	require.False(t, ok)
	_, ok = n.AwarenessRadius()
	require.False(t, ok)

	long := NewDENM(DENMSpec{Pos: geo.Point{}, Validity: 48 * time.Hour, InformationQuality: 9, At: fixedTime})
	require.Equal(t, 86400*time.Second, long.Validity())
	require.Equal(t, uint8(7), long.InformationQuality())
	require.NoError(t, long.Validate())
}

func TestAwarenessDistance(t *testing.T) {
	for c := range uint8(8) {
		r, ok := AwarenessRadiusM(c)
		require.True(t, ok)
		require.Equal(t, c, AwarenessDistance(r), "inverse of the class bound")
		require.GreaterOrEqual(t, r, []float64{50, 100, 200, 500, 1000, 5000, 10000, 20000}[c])
	}
	_, ok := AwarenessRadiusM(8)
	require.False(t, ok)
	require.Equal(t, uint8(0), AwarenessDistance(10))
	require.Equal(t, uint8(1), AwarenessDistance(50.1))
	require.Equal(t, uint8(7), AwarenessDistance(1e6))
}
