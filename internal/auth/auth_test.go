package auth_test

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/michi-v2x/michi/internal/auth"
	"github.com/michi-v2x/michi/pkg/geo"
	"github.com/michi-v2x/michi/pkg/v2x"
)

func TestCheck(t *testing.T) {
	car, rsu, fleet := auth.NewToken(), auth.NewToken(), auth.NewToken()
	require.Len(t, car, 43)
	require.NotEqual(t, car, rsu)
	file := "credentials:\n" + auth.Entry("car_1", auth.Vehicle, car) + auth.Entry("rsu_1", auth.Sensor, rsu) +
		auth.Entry("*", auth.Vehicle, fleet)
	s, err := auth.Parse([]byte(file))
	require.NoError(t, err)
	require.Equal(t, 3, s.Len())

	g, err := s.Check("car_1", car)
	require.NoError(t, err)
	require.Equal(t, auth.Grant{Role: auth.Vehicle, Source: "car_1", Identity: "car_1"}, g)
	g, err = s.Check("rsu_1", rsu)
	require.NoError(t, err)
	require.Equal(t, auth.Grant{Role: auth.Sensor, Source: "rsu_1", Identity: "rsu_1"}, g)
	g, err = s.Check("car_99", fleet)
	require.NoError(t, err)
	require.Equal(t, auth.Vehicle, g.Role)
	require.Equal(t, "car_99", g.Source, "a fleet token lets any source in, as itself")
	g2, err := s.Check("car_98", fleet)
	require.NoError(t, err)
	require.NotEqual(t, g.Identity, g2.Identity, "each source of a fleet token is an identity of its own")
	require.Regexp(t, `^\*[0-9a-f]{12}/car_99$`, g.Identity)

	for _, c := range []struct{ source, token string }{
		{"car_1", rsu},       // another source's token
		{"car_1", car + "x"}, // wrong token
		{"car_2", car},       // a token for one source only
		{"car_1", ""},        // none
		{"", fleet},          // no source
		{"rsu_1", fleet},     // a source with a credential of its own
	} {
		_, err := s.Check(c.source, c.token)
		require.ErrorIs(t, err, auth.ErrRefused, "%s / %q", c.source, c.token)
	}
}

func TestParseErrorsNameTheLine(t *testing.T) {
	good := auth.Hash(auth.NewToken())
	file := `credentials:
  - source: car_1
    role: vehicle
    token_sha256: ` + good + `
  - source: car_2
    role: driver
    token_sha256: abc
  - source: "car/3"
    role: sensor
    token_sha256: ` + good + `
  - role: authority
    token_sha256: ` + auth.Hash("x") + `
`
	_, err := auth.Parse([]byte(file))
	require.Error(t, err)
	msg := err.Error()
	require.Contains(t, msg, `line 5: role "driver": want vehicle, sensor or authority`)
	require.Contains(t, msg, "line 5: token_sha256: want 64 hex digits")
	require.Contains(t, msg, `line 8: source "car/3": a single topic level`)
	require.Contains(t, msg, "line 8: the same token as line 2")
	require.Contains(t, msg, "line 11: source is empty")

	_, err = auth.Parse([]byte("credentials:\n  - source: a\n    role: vehicle\n    token: secret\n"))
	require.ErrorContains(t, err, "field token not found", "unknown keys are refused, a plain token above all")

	s, err := auth.Parse(nil)
	require.NoError(t, err, "an empty file admits no one")
	_, err = s.Check("car_1", "anything")
	require.ErrorIs(t, err, auth.ErrRefused)
}

// Item 1 of issue 14: a credential may name the station ids it speaks for.
func TestStations(t *testing.T) {
	car, fleet, old := auth.NewToken(), auth.NewToken(), auth.NewToken()
	file := "credentials:\n" + auth.Entry("car_1", auth.Vehicle, car, auth.StationRange{First: 1001, Last: 1001}) +
		auth.Entry("*", auth.Sensor, fleet, auth.StationRange{First: 5000, Last: 5999}, auth.StationRange{First: 7001, Last: 7001}) +
		auth.Entry("car_2", auth.Vehicle, old) + // written before stations existed: any, pinned by the edge
		"  - source: car_3\n    role: vehicle\n    token_sha256: " + auth.Hash("t3") + "\n    stations: [3001, \"3100-3199\"]\n" +
		"  - source: car_4\n    role: vehicle\n    token_sha256: " + auth.Hash("t4") + "\n    stations: 4001\n"
	require.Contains(t, file, `stations: "5000-5999,7001"`)
	s, err := auth.Parse([]byte(file))
	require.NoError(t, err)

	g, err := s.Check("car_1", car)
	require.NoError(t, err)
	require.True(t, g.Stations.Contains(1001))
	require.False(t, g.Stations.Contains(1002))
	g, err = s.Check("rsu_9", fleet)
	require.NoError(t, err)
	for id, ok := range map[uint32]bool{4999: false, 5000: true, 5999: true, 6000: false, 7001: true} {
		require.Equal(t, ok, g.Stations.Contains(id), "%d", id)
	}
	g, err = s.Check("car_2", old)
	require.NoError(t, err)
	require.Nil(t, g.Stations)
	g, err = s.Check("car_3", "t3")
	require.NoError(t, err)
	require.Equal(t, "3001,3100-3199", g.Stations.String())
	g, err = s.Check("car_4", "t4")
	require.NoError(t, err)
	require.Equal(t, "4001", g.Stations.String())

	for _, bad := range []string{"x", "10-1", "1-", "4294967296", ""} {
		_, err := auth.ParseStations(bad)
		require.Error(t, err, "%q", bad)
	}
	_, err = auth.Parse([]byte("credentials:\n  - source: a\n    role: vehicle\n    token_sha256: " + auth.Hash("a") + "\n    stations: []\n"))
	require.ErrorContains(t, err, "line 2: stations: an empty list")
	_, err = auth.Parse([]byte("credentials:\n  - source: a\n    role: vehicle\n    token_sha256: " + auth.Hash("a") + "\n    stations: \"12-3\"\n"))
	require.ErrorContains(t, err, `stations "12-3"`)
}

func TestLoad(t *testing.T) {
	path := filepath.Join(t.TempDir(), "credentials.yaml")
	tok := auth.NewToken()
	require.NoError(t, os.WriteFile(path, []byte("credentials:\n"+auth.Entry("car_1", auth.Vehicle, tok)), 0o600))
	s, err := auth.Load(path)
	require.NoError(t, err)
	_, err = s.Check("car_1", tok)
	require.NoError(t, err)

	require.NoError(t, os.WriteFile(path, []byte("credentials:\n  - source: car_1\n    role: pilot\n"), 0o600))
	_, err = auth.Load(path)
	require.ErrorContains(t, err, "credentials "+path+": line 2: role")
	_, err = auth.Load(filepath.Join(t.TempDir(), "missing.yaml"))
	require.ErrorIs(t, err, os.ErrNotExist)
}

func TestMayPublish(t *testing.T) {
	pos := geo.Point{Lat: 48.85, Lon: 2.35}
	cam := v2x.NewCAM(v2x.CAMSpec{SourceUUID: "car_1", StationID: 1, StationType: v2x.StationPassengerCar, Pos: pos, SpeedMPS: 10, HeadingDeg: 90})
	cpm := v2x.NewCPM(v2x.CPMSpec{SourceUUID: "rsu_1", StationID: 2, Pos: pos})
	denm := func(cause uint8) *v2x.DENM {
		return v2x.NewDENM(v2x.DENMSpec{SourceUUID: "car_1", StationID: 1, StationType: v2x.StationPassengerCar,
			ActionID: v2x.ActionID{OriginatingStationID: 1, SequenceNumber: 1}, Cause: cause, Pos: pos})
	}
	stationary, roadworks, closure := denm(v2x.CauseStationaryVehicle), denm(v2x.CauseRoadworks), denm(v2x.CauseImpassability)
	for _, c := range []struct {
		role auth.Role
		m    v2x.Message
		ok   bool
	}{
		{auth.Vehicle, cam, true},
		{auth.Vehicle, stationary, true},
		{auth.Vehicle, cpm, false},
		{auth.Vehicle, roadworks, false},
		{auth.Vehicle, closure, false},
		{auth.Sensor, cam, true},
		{auth.Sensor, cpm, true},
		{auth.Sensor, stationary, true},
		{auth.Sensor, roadworks, false},
		{auth.Authority, cpm, true},
		{auth.Authority, roadworks, true},
		{auth.Authority, closure, true},
		{"", cpm, true}, // an edge without credentials
		{"", roadworks, true},
	} {
		err := c.role.MayPublish(c.m)
		if c.ok {
			require.NoError(t, err, "%s %s", c.role, c.m.Type())
		} else {
			require.Error(t, err, "%s %s", c.role, c.m.Type())
		}
	}
	require.EqualError(t, auth.Vehicle.MayPublish(roadworks), "a vehicle may not publish a DENM of cause 3 (roadworks): only authorities do")
}

// A credentials file of any bytes is refused with an error or loaded; a loaded one admits only
// what it lists.
func FuzzParse(f *testing.F) {
	tok := "fixed-token-for-the-seed"
	f.Add([]byte("credentials:\n" + auth.Entry("car_1", auth.Vehicle, tok)))
	f.Add([]byte("credentials:\n  - source: \"*\"\n    role: sensor\n    token_sha256: " + auth.Hash(tok) + "\n"))
	f.Add([]byte("credentials: [oops"))
	f.Fuzz(func(t *testing.T, b []byte) {
		s, err := auth.Parse(b)
		if err != nil {
			return
		}
		if _, err := s.Check("car_1", "not "+tok); err == nil {
			t.Fatal("a token whose hash no entry holds was admitted")
		}
	})
}

// Thousands of vehicles reconnect at once after an outage: a check must cost next to nothing.
func BenchmarkCheck(b *testing.B) {
	var file strings.Builder
	file.WriteString("credentials:\n")
	var tok string
	for i := range 10_000 {
		tok = auth.NewToken()
		file.WriteString(auth.Entry(fmt.Sprintf("car_%d", i), auth.Vehicle, tok))
	}
	s, err := auth.Parse([]byte(file.String()))
	require.NoError(b, err)
	for b.Loop() {
		if _, err := s.Check("car_9999", tok); err != nil {
			b.Fatal(err)
		}
	}
}
