package sumo

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/michi-v2x/michi/pkg/geo"
	"github.com/michi-v2x/michi/sim"
	"github.com/michi-v2x/michi/sim/sumo/sumotest"
)

const gridDir = "../scenarios/sumo"

func TestReadNet(t *testing.T) {
	n, err := ReadNet(filepath.Join(gridDir, "grid.net.xml"))
	require.NoError(t, err)
	require.False(t, n.LeftHand)
	require.Equal(t, "!", n.Location.Proj, "netgenerate writes no projection")
	e, l, ok := n.Lane("B1C1_0")
	require.True(t, ok)
	require.Equal(t, "B1C1", e.ID)
	require.False(t, e.Internal())
	require.InDelta(t, 135.6, l.Length, 0.01)
	require.InDelta(t, 13.89, l.Speed, 0.01)
	_, _, ok = n.Lane("B1C1_7")
	require.False(t, ok)
	_, err = ReadNet(filepath.Join(gridDir, "grid.rou.xml"))
	require.ErrorContains(t, err, "no edges")
}

func TestIncidentValidation(t *testing.T) {
	s := Spec{Net: "grid.net.xml", Routes: "grid.rou.xml", Incidents: []Incident{
		{Kind: Breakdown, Lane: "B1C1_0", PosM: 70, Start: 5 * time.Second},
		{ID: "x", Kind: "meteor", Lane: "Z9_0", PosM: 1},
		{ID: "x", Kind: Breakdown, Lane: "B1C1_0", PosM: 134, Start: -time.Second},
	}}
	err := s.Validate(gridDir)
	require.Error(t, err)
	for _, want := range []string{
		`sumo.incidents[1].kind: "meteor": want breakdown`,
		`sumo.incidents[1].lane: "Z9_0": no such lane in the net`,
		`sumo.incidents[2].id: "x" is used twice`,
		`sumo.incidents[2].pos_m: 134: want 5 … 130.6 m along the 135.6 m lane`,
		`sumo.incidents[2].start: start must not be negative`,
	} {
		require.ErrorContains(t, err, want)
	}
	in := s.Incidents[0]
	require.Equal(t, "breakdown-0", in.ID)
	require.Equal(t, 90*time.Second, in.Duration, "default")
	require.True(t, *in.Parking, "the only lane of its edge: it stands beside it")

	s = Spec{FCD: "../testdata/grid.fcd.xml", Incidents: []Incident{{Kind: Breakdown, Lane: "B1C1_0", PosM: 70}}}
	require.ErrorContains(t, s.Validate("."), "sumo.incidents: incidents need a SUMO run on a net and routes")
}

func TestWriteRoutes(t *testing.T) {
	no := false
	s := Spec{Net: "grid.net.xml", Routes: "grid.rou.xml", Begin: 30 * time.Second, Incidents: []Incident{
		{ID: "late", Kind: Breakdown, Lane: "A0A1_0", PosM: 100, Start: 40 * time.Second, Duration: 20 * time.Second, Parking: &no},
		{ID: "early", Kind: Breakdown, Lane: "B1C1_0", PosM: 70, Start: 10 * time.Second},
	}}
	require.NoError(t, s.Validate(gridDir))
	var b strings.Builder
	require.NoError(t, WriteRoutes(&b, s.Incidents, s.Begin))
	// It enters its edge early enough to be there at begin + start at 60 % of the speed limit.
	early := 40 - (70/(0.6*13.89) + 1)
	late := 70 - (100/(0.6*13.89) + 1)
	require.Equal(t, fmt.Sprintf(`<routes>
    <vehicle id="michi-incident-early" depart="%.2f" departLane="0" departPos="0" departSpeed="max">
        <route edges="B1C1"/>
        <stop lane="B1C1_0" endPos="70.00" duration="90.00" parking="true"/>
    </vehicle>
    <vehicle id="michi-incident-late" depart="%.2f" departLane="0" departPos="0" departSpeed="max">
        <route edges="A0A1"/>
        <stop lane="A0A1_0" endPos="100.00" duration="20.00" parking="false"/>
    </vehicle>
</routes>
`, early, late), b.String(), "sorted by departure")
}

// fcdFrame is one FCD timestep with the incident vehicle (and another) at lane positions.
func fcdFrame(t float64, vs ...Vehicle) Frame {
	return Frame{Time: t, Vehicles: append([]Vehicle{{ID: "other", X: 4.83, Y: 45.76, Lane: "A0A1_0", Speed: 10}}, vs...)}
}

func at(lanePos, speed float64, lane string) Vehicle {
	p := geo.Destination(origin, 90, lanePos)
	return Vehicle{ID: IncidentPrefix + "bd", X: p.Lon, Y: p.Lat, Angle: 90, Speed: speed, Lane: lane, LanePos: lanePos}
}

// The ground truth follows the FCD: the breakdown begins when its vehicle stands at its stop,
// and ends when it drives off or leaves; one that never stood there did not happen.
func TestTruthFromFCD(t *testing.T) {
	in := []Incident{{ID: "bd", Kind: Breakdown, Lane: "B1C1_0", PosM: 70}}
	pos := func(v Vehicle) geo.Point { return geo.Point{Lat: v.Y, Lon: v.X} }
	type step struct {
		f    Frame
		want []sim.ExtEvent
	}
	for _, tc := range []struct {
		name   string
		steps  []step
		final  []sim.ExtEvent
		reason string
	}{
		{name: "stands, then drives off", steps: []step{
			{fcdFrame(1), nil},
			{fcdFrame(2, at(30, 12, "B1C1_0")), nil},
			{fcdFrame(3, at(65, 2, "B1C1_0")), nil},
			{fcdFrame(4, at(70, 0.05, "B1C1_0")), []sim.ExtEvent{sim.IncidentBegan}},
			{fcdFrame(5, at(70, 0, "B1C1_0")), nil},
			{fcdFrame(6, at(70.3, 0.6, "B1C1_0")), nil}, // pulling away, still at its stop
			{fcdFrame(7, at(71.5, 1.5, "B1C1_0")), []sim.ExtEvent{sim.IncidentEnded}},
			{fcdFrame(8), nil},
		}},
		{name: "crawls just before its stop: it has not arrived yet", steps: []step{
			{fcdFrame(1, at(67.5, 0.09, "B1C1_0")), nil},
			{fcdFrame(2, at(68, 0.53, "B1C1_0")), nil},
			{fcdFrame(3, at(69.4, 0.3, "B1C1_0")), nil},
			{fcdFrame(4, at(70, 0.07, "B1C1_0")), []sim.ExtEvent{sim.IncidentBegan}},
			{fcdFrame(5, at(70, 0, "B1C1_0")), nil},
		}},
		{name: "stands until it leaves the FCD", steps: []step{
			{fcdFrame(1, at(70, 0, "B1C1_0")), []sim.ExtEvent{sim.IncidentBegan}},
			{fcdFrame(2), []sim.ExtEvent{sim.IncidentEnded}},
		}},
		{name: "still standing when the run ends", steps: []step{
			{fcdFrame(1, at(70, 0, "B1C1_0")), []sim.ExtEvent{sim.IncidentBegan}},
		}},
		{name: "held up in a queue before its stop, then gone: not happened", steps: []step{
			{fcdFrame(1, at(20, 0, "B1C1_0")), nil},
			{fcdFrame(2), []sim.ExtEvent{sim.IncidentNotHappened}},
		}, reason: "did not stand at B1C1_0 70 m before it left"},
		{name: "standing on another lane is not the breakdown", steps: []step{
			{fcdFrame(1, at(70, 0, "B1C1_1")), nil},
		}, final: []sim.ExtEvent{sim.IncidentNotHappened}, reason: "before the run ended"},
		{name: "never inserted", steps: []step{{fcdFrame(1), nil}},
			final: []sim.ExtEvent{sim.IncidentNotHappened}, reason: "never inserted"},
		{name: "teleported past its stop", steps: []step{
			{fcdFrame(1, at(10, 5, "B1C1_0")), nil},
			{fcdFrame(2, at(400, 5, "C1D1_0")), nil},
		}, final: []sim.ExtEvent{sim.IncidentNotHappened}, reason: "(SUMO teleported it)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tr := newTruth(in)
			var reasons []string
			events := func(evs []sim.ExtIncident) []sim.ExtEvent {
				var out []sim.ExtEvent
				for _, e := range evs {
					require.Equal(t, "bd", e.ID)
					require.Equal(t, sim.StoppedVehicle, e.Kind)
					out = append(out, e.Event)
					reasons = append(reasons, e.Reason)
					if e.Event == sim.IncidentBegan {
						require.InDelta(t, 90, e.HeadingDeg, 0.01)
						require.Less(t, geo.Distance(e.Pos, origin), 80.0)
					}
				}
				return out
			}
			for i, st := range tc.steps {
				tr.frame(&st.f, pos)
				require.Equal(t, st.want, events(tr.take()), "step %d", i)
			}
			tr.finish()
			require.Equal(t, tc.final, events(tr.take()), "at the end")
			if tc.reason != "" {
				require.Contains(t, strings.Join(reasons, ""), tc.reason)
			}
		})
	}
}

// Real SUMO stops the breakdown vehicle on the committed grid; the source reads it standing
// from the FCD, as a connected vehicle.
func TestRunSUMOBreakdown(t *testing.T) {
	sumotest.Require(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	s, err := Open(ctx, Spec{Net: "grid.net.xml", Routes: "grid.rou.xml", Begin: 5 * time.Second, Args: []string{"--end", "40"},
		Incidents: []Incident{{ID: "bd", Kind: Breakdown, Lane: "B1C1_0", PosM: 70, Start: 5 * time.Second, Duration: 10 * time.Second}}},
		gridDir, origin, 6)
	require.NoError(t, err)
	defer s.Close()
	var events []sim.ExtIncident
	connected := false
	for i := 0; ; i++ {
		st, ok, err := s.Next(time.Duration(i) * 100 * time.Millisecond)
		require.NoError(t, err)
		if !ok {
			break
		}
		for _, v := range st {
			connected = connected || (v.ID == IncidentPrefix+"bd" && v.Connect)
		}
		events = append(events, s.Incidents(false)...)
	}
	events = append(events, s.Incidents(true)...)
	require.True(t, connected, "the breakdown's vehicle is always a client")
	require.Len(t, events, 2, "%+v", events)
	require.Equal(t, sim.IncidentBegan, events[0].Event)
	require.Equal(t, sim.IncidentEnded, events[1].Event)
	require.Less(t, geo.Distance(events[0].Pos, events[1].Pos), 20.0)
}

// SUMO's stderr arrives in arbitrary chunks: teleports are counted per line.
func TestSUMOLogCountsTeleports(t *testing.T) {
	var l sumoLog
	for _, chunk := range []string{"Warning: Teleporting veh", "icle '36'; collision\nWarning: Vehicle '36' ends teleporting\n",
		"Warning: Teleporting vehicle '7'; waited too long (jam)\n"} {
		n, err := l.Write([]byte(chunk))
		require.NoError(t, err)
		require.Equal(t, len(chunk), n)
	}
	require.Equal(t, 2, l.Teleports())
	require.Contains(t, l.String(), "waited too long")
}
