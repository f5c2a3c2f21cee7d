package sumo

import (
	"context"
	"errors"
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/michi-v2x/michi/pkg/geo"
	"github.com/michi-v2x/michi/sim/sumo/sumotest"
)

// The fixture is real SUMO output: the grid of ../scenarios/sumo projected on this origin,
// 60 s at 0.5 s steps, written with --fcd-output.geo.
var origin = geo.Point{Lat: 45.7578, Lon: 4.832}

const fixture = "../testdata/grid.fcd.xml"

func TestReaderOnFixture(t *testing.T) {
	f, err := os.Open(fixture)
	require.NoError(t, err)
	defer f.Close()
	rd := NewReader(f)
	frames, vehicles := 0, 0
	last := -1.0
	for {
		fr, err := rd.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		require.NoError(t, err)
		require.Greater(t, fr.Time, last)
		last = fr.Time
		frames++
		for _, v := range fr.Vehicles {
			vehicles++
			p := geo.Point{Lat: v.Y, Lon: v.X}
			require.True(t, p.Valid())
			require.Less(t, geo.Distance(p, origin), 1500.0, "the grid lies by the origin")
			require.GreaterOrEqual(t, v.Speed, 0.0)
		}
	}
	require.Equal(t, 120, frames, "0 … 59.5 s at 0.5 s")
	require.Greater(t, vehicles, 1000)
}

func TestReaderErrors(t *testing.T) {
	_, err := NewReader(strings.NewReader(`<fcd-export><timestep time="x"></timestep></fcd-export>`)).Next()
	require.ErrorContains(t, err, "timestep without a valid time")
	_, err = NewReader(strings.NewReader(`<fcd-export><timestep time="1"><vehicle id="a" x="1"/></timestep>`)).Next()
	require.ErrorContains(t, err, "without id, x or y")
	_, err = NewReader(strings.NewReader(`<fcd-export><timestep time="1"><vehicle id="a" x="1" y="2"/>`)).Next()
	require.ErrorContains(t, err, "unexpected EOF")
}

func TestSourcePacesByTimestep(t *testing.T) {
	fcd := `<fcd-export>
<timestep time="10.0"><vehicle id="a" x="0" y="0" angle="90" speed="10"/></timestep>
<timestep time="11.0"><vehicle id="a" x="10" y="0" angle="90" speed="10"/><vehicle id="b" x="0" y="100" angle="0" speed="5"/></timestep>
<timestep time="12.0"><vehicle id="b" x="0" y="105" angle="0" speed="5"/><person id="p" x="1" y="1"/></timestep>
</fcd-export>`
	s := NewSource(NewReader(strings.NewReader(fcd)), false, origin, 10*time.Second)
	st, ok, err := s.Next(0)
	require.NoError(t, err)
	require.True(t, ok)
	require.Len(t, st, 1)
	st, _, _ = s.Next(500 * time.Millisecond)
	require.Len(t, st, 1, "still the 10.0 step")
	st, _, _ = s.Next(time.Second)
	require.Len(t, st, 2)
	e, n := geo.NewProjection(origin).ToLocal(st[0].Pos)
	require.InDelta(t, 10, e, 0.01, "x metres east of the origin")
	require.InDelta(t, 0, n, 0.01)
	st, ok, _ = s.Next(2 * time.Second)
	require.Len(t, st, 1, "persons are left out")
	require.False(t, ok, "the FCD has ended")
}

// SUMO writes its live FCD to a socket: the source reads it at the pace it is asked for.
func TestListenSocket(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := ln.Addr().String()
	ln.Close()
	go func() {
		var c net.Conn
		for range 100 {
			var derr error
			if c, derr = net.Dial("tcp", addr); derr == nil {
				break
			}
			time.Sleep(20 * time.Millisecond)
		}
		if c == nil {
			return
		}
		defer c.Close()
		io.WriteString(c, `<fcd-export><timestep time="0"><vehicle id="a" x="4.832" y="45.7578" angle="1" speed="2"/></timestep>`)
		time.Sleep(100 * time.Millisecond)
		io.WriteString(c, `<timestep time="1"><vehicle id="a" x="4.833" y="45.7578" angle="1" speed="2"/></timestep></fcd-export>`)
	}()
	s, err := Open(context.Background(), Spec{Listen: addr, AcceptTimeout: 5 * time.Second}, ".", origin, 1)
	require.NoError(t, err)
	defer s.Close()
	st, ok, err := s.Next(0)
	require.NoError(t, err)
	require.True(t, ok)
	require.Equal(t, 4.832, st[0].Pos.Lon)
	st, _, err = s.Next(time.Second)
	require.NoError(t, err)
	require.Equal(t, 4.833, st[0].Pos.Lon)
}

func TestSpecErrors(t *testing.T) {
	s := Spec{FCD: "nope.xml", Listen: "x"}
	err := s.Validate(".")
	require.ErrorContains(t, err, "sumo.fcd: give exactly one")
	require.ErrorContains(t, err, "sumo.listen")
	s = Spec{Net: "../scenarios/sumo/grid.net.xml"}
	require.ErrorContains(t, s.Validate("."), "sumo.routes: a net needs routes")
}

// TestRunSUMO runs real SUMO on the netgenerate grid (no projection: Open projects it on the
// origin) and reads its live FCD over a socket.
func TestRunSUMO(t *testing.T) {
	sumotest.Require(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	s, err := Open(ctx, Spec{Net: "grid.net.xml", Routes: "grid.rou.xml", Args: []string{"--end", "20"}},
		filepath.Join("..", "scenarios", "sumo"), origin, 6)
	require.NoError(t, err)
	defer s.Close()
	seen := map[string]bool{}
	for i := 0; ; i++ {
		st, ok, err := s.Next(time.Duration(i) * 100 * time.Millisecond)
		require.NoError(t, err)
		if !ok {
			break
		}
		for _, v := range st {
			seen[v.ID] = true
			require.Less(t, geo.Distance(v.Pos, origin), 1500.0, "projected onto the origin")
		}
	}
	require.Greater(t, len(seen), 10)
}
