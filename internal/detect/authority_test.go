package detect

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/michi-v2x/michi/internal/hazard"
)

func roadworks(id string, start time.Time, validity time.Duration) Authority {
	return Authority{ID: id, Cause: 3, SubCause: 4, Pos: north(300, 0), RadiusM: 400, HeadingDeg: 90, HasHeading: true,
		Start: start, Validity: validity}
}

func TestAuthorityFindingsCarryTheHubsHazard(t *testing.T) {
	a := NewAuthorities()
	require.True(t, a.Upsert(roadworks("auth-1", t0.Add(-30*time.Minute), time.Hour)))
	fs := a.Detect(t0, nil)
	require.Equal(t, []hazard.Finding{{
		Key: "auth-1", Cause: 3, SubCause: 4, Pos: north(300, 0), HeadingDeg: 90, HasHeading: true, RadiusM: 400,
		Sources: []string{"authority:auth-1"}, Validity: 30 * time.Minute, // what is left of it: the edge's DENM ends with it
	}}, fs)

	// The validity stays fixed while the hazard lasts, so repeated rounds are no change.
	fs = a.Detect(t0.Add(10*time.Minute), nil)
	require.Len(t, fs, 1)
	require.Equal(t, 30*time.Minute, fs[0].Validity)

	// The hub resending the same hazard (after a reconnect) changes nothing.
	require.True(t, a.Upsert(roadworks("auth-1", t0.Add(-30*time.Minute), time.Hour)))
	require.Equal(t, 30*time.Minute, a.Detect(t0.Add(11*time.Minute), nil)[0].Validity)

	// An update moves it and extends it.
	moved := roadworks("auth-1", t0.Add(-30*time.Minute), 2*time.Hour)
	moved.Pos = north(500, 0)
	require.True(t, a.Upsert(moved))
	fs = a.Detect(t0.Add(20*time.Minute), nil)
	require.Len(t, fs, 1)
	require.Equal(t, north(500, 0), fs[0].Pos)
	require.Equal(t, 70*time.Minute, fs[0].Validity)
	require.Equal(t, 1, a.Len())
}

func TestAuthorityTerminationAndExpiry(t *testing.T) {
	a := NewAuthorities()
	require.True(t, a.Upsert(roadworks("a", t0, time.Hour)))
	require.True(t, a.Upsert(roadworks("b", t0, time.Minute)))
	require.Equal(t, []string{"a", "b"}, keys(a.Detect(t0, nil)))

	a.Terminate("a")
	fs := a.Detect(t0.Add(time.Second), nil)
	require.Equal(t, []string{"a"}, terminated(fs), "a termination is yielded at once")
	require.Equal(t, []string{"b"}, keys(fs))
	require.Empty(t, terminated(a.Detect(t0.Add(2*time.Second), nil)), "once")

	fs = a.Detect(t0.Add(time.Minute), nil)
	require.Equal(t, []string{"b"}, terminated(fs), "at start+validity")
	require.Empty(t, keys(fs))
	require.Zero(t, a.Len())
}

func TestAuthorityNotYetStarted(t *testing.T) {
	a := NewAuthorities()
	require.True(t, a.Upsert(roadworks("later", t0.Add(time.Hour), time.Hour)))
	require.Empty(t, a.Detect(t0, nil), "road works that begin in an hour")
	fs := a.Detect(t0.Add(time.Hour), nil)
	require.Equal(t, []string{"later"}, keys(fs))
	require.Equal(t, time.Hour, fs[0].Validity)

	// Postponed after it began: withdrawn until the new start.
	require.True(t, a.Upsert(roadworks("later", t0.Add(3*time.Hour), time.Hour)))
	require.Equal(t, []string{"later"}, terminated(a.Detect(t0.Add(time.Hour+time.Minute), nil)))
	require.Empty(t, a.Detect(t0.Add(time.Hour+2*time.Minute), nil))
}

func TestAuthorityRefusesBadHazards(t *testing.T) {
	a := NewAuthorities()
	require.False(t, a.Upsert(Authority{Pos: base}), "no id")
	bad := roadworks("x", t0, time.Hour)
	bad.Pos.Lat = 91
	require.False(t, a.Upsert(bad))
	noValidity := roadworks("v", t0, 0)
	require.True(t, a.Upsert(noValidity))
	require.Equal(t, DefaultAuthorityValidity, a.Detect(t0, nil)[0].Validity)
}

// TestAuthorityThroughTheManager: the detector's findings become one hazard per authority
// hazard, with its source, and its termination ends the hazard at once.
func TestAuthorityThroughTheManager(t *testing.T) {
	a := NewAuthorities()
	m := hazard.New(hazard.Options{StationID: 7})
	require.True(t, a.Upsert(roadworks("auth-9", t0, 2*time.Hour)))
	evs := m.Apply(t0, a.Name(), a.Detect(t0, nil))
	require.Len(t, evs, 1)
	require.Equal(t, hazard.Created, evs[0].Kind)
	require.Equal(t, []string{"authority:auth-9"}, evs[0].Hazard.Sources)
	require.Equal(t, 2*time.Hour, evs[0].Hazard.Validity)
	require.Equal(t, 400.0, evs[0].Hazard.RadiusM)

	require.Empty(t, m.Apply(t0.Add(time.Second), a.Name(), a.Detect(t0.Add(time.Second), nil)), "a repeated round changes nothing")
	a.Terminate("auth-9")
	evs = m.Apply(t0.Add(2*time.Second), a.Name(), a.Detect(t0.Add(2*time.Second), nil))
	require.Len(t, evs, 1)
	require.Equal(t, hazard.Terminated, evs[0].Kind)
}
