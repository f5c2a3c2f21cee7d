package uplink

import (
	"math"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestRecordValidate(t *testing.T) {
	for _, ok := range []Record{hazardRecord(1), trafficRecord(1), healthRecord(1)} {
		require.NoError(t, ok.Validate(), ok.Kind.String())
	}
	nan := hazardRecord(1)
	nan.Hazard.Lat = math.NaN()
	for name, bad := range map[string]Record{
		"zero":              {},
		"unknown kind":      {Kind: 4, Health: &Health{}},
		"missing payload":   {Kind: KindTraffic},
		"wrong payload":     {Kind: KindHazard, Traffic: &TrafficAggregate{}},
		"two payloads":      {Kind: KindHealth, Health: &Health{}, Traffic: &TrafficAggregate{}},
		"hazard not finite": nan,
	} {
		require.ErrorIs(t, bad.Validate(), ErrBadRecord, name)
	}
	require.Equal(t, "hazard", KindHazard.String())
	require.Equal(t, "health", KindHealth.String())
	require.Equal(t, "kind(9)", Kind(9).String())
}

func TestAuthorityHazardValidate(t *testing.T) {
	ok := AuthorityHazard{ID: "rw", Cause: 3, Lat: 48, Lon: 11, RadiusM: 100, Start: t0, Validity: time.Hour}
	require.NoError(t, ok.Validate())
	for name, mutate := range map[string]func(h *AuthorityHazard){
		"no id":             func(h *AuthorityHazard) { h.ID = "" },
		"latitude":          func(h *AuthorityHazard) { h.Lat = 91 },
		"NaN":               func(h *AuthorityHazard) { h.Lon = math.NaN() },
		"negative radius":   func(h *AuthorityHazard) { h.RadiusM = -1 },
		"negative validity": func(h *AuthorityHazard) { h.Validity = -time.Second },
	} {
		h := ok
		mutate(&h)
		require.ErrorIs(t, h.Validate(), ErrBadRecord, name)
	}
}

func TestProtocolErrorText(t *testing.T) {
	require.Equal(t, "uplink: identity refused (0x3, local): nope", protoErr(CodeIdentity, "nope").Error())
	require.Equal(t, "uplink: going away (0x1, remote)", (&ProtocolError{Code: CodeGoingAway, Remote: true}).Error())
	require.Contains(t, (&ProtocolError{Code: 0x99}).Error(), "unknown")
	require.Nil(t, asProtocolError(ErrClosed))
}
