package worlds

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/michi-v2x/michi/sim/sumo"
	"github.com/michi-v2x/michi/sim/sumo/sumotest"
)

// requireTools skips without the tools a world is made with.
func requireTools(t *testing.T) {
	t.Helper()
	sumotest.Require(t, "netgenerate", "netconvert", "duarouter", "python3")
}

func TestSuite(t *testing.T) {
	s := Suite()
	require.Len(t, s, 24)
	names := map[string]bool{}
	for i, w := range s {
		require.NoError(t, w.Validate())
		names[w.Name()] = true
		if i < 16 {
			require.Equal(t, 1.0, w.Connected, "every vehicle connected")
		} else {
			require.Equal(t, HalfConnected, w.Connected, "half the vehicles connected")
			require.Equal(t, Rush, w.Demand)
		}
		require.Equal(t, 60*time.Second, w.Begin)
		require.Equal(t, 150*time.Second, w.Duration)
	}
	require.Len(t, names, 24, "distinct names")
	require.True(t, names["motorway-lefthand-rush"])
	require.True(t, names["roundabout-lefthand-rush-connected50"])
	third := WithConnected(s, 0.3)
	require.Len(t, third, 16, "the half-connected worlds repeat the rush worlds at 30 %")
	require.Equal(t, "spider-righthand-quiet-connected30", third[0].Name())
	short := Short()
	require.Len(t, short, 3)
	require.Equal(t, "grid-tls-lefthand-rush", short[0].Name())
	require.Equal(t, "spider-righthand-quiet", short[1].Name())
	require.Equal(t, "grid-tls-righthand-rush-connected50", short[2].Name())
	for _, w := range short {
		require.NoError(t, w.Validate())
		require.Less(t, w.Duration, 150*time.Second)
		require.Less(t, w.IncidentAt+w.Stand, w.Duration, "the breakdown ends within the run")
	}
	got, err := Select(s, "spider-righthand-quiet, motorway-lefthand-rush")
	require.NoError(t, err)
	require.Equal(t, []string{"spider-righthand-quiet", "motorway-lefthand-rush"}, []string{got[0].Name(), got[1].Name()})
	_, err = Select(s, "atlantis-rush")
	require.ErrorContains(t, err, "no world atlantis-rush; the suite has spider-righthand-quiet")

	bad := Spec{Kind: "maze", Demand: "chaos", Lanes: 9, Connected: 2, IncidentAt: time.Hour}
	err = bad.Validate()
	for _, want := range []string{`kind "maze"`, `demand "chaos"`, "lanes 9", "connected 2", "must start before the run ends"} {
		require.ErrorContains(t, err, want)
	}
	require.Equal(t, "grid-tls-righthand-rush-connected50", Spec{Kind: GridTLS, Demand: Rush, Connected: 0.5}.Name())
}

// Every kind on both sides: SUMO's tools write a network with the driving side asked for, the
// roundabouts or traffic lights of its kind, routes, and a scenario whose breakdown stands
// mid-edge on a lane traffic uses.
func TestGenerate(t *testing.T) {
	requireTools(t)
	for _, kind := range Kinds {
		for _, left := range []bool{false, true} {
			spec := Spec{Kind: kind, LeftHand: left}
			t.Run(spec.Name(), func(t *testing.T) {
				t.Parallel()
				dir := t.TempDir()
				sc, err := Generate(context.Background(), spec, dir)
				require.NoError(t, err)
				for _, f := range []string{NetFile, RoutesFile, ScenarioFile} {
					require.FileExists(t, filepath.Join(dir, f))
				}
				net, err := sumo.ReadNet(filepath.Join(dir, NetFile))
				require.NoError(t, err)
				require.Equal(t, left, net.LeftHand)
				raw, err := os.ReadFile(filepath.Join(dir, NetFile))
				require.NoError(t, err)
				require.Equal(t, left, strings.Contains(string(raw), `lefthand="true"`))
				tls := 0
				for _, j := range net.Junctions {
					if j.Type == "traffic_light" {
						tls++
					}
				}
				switch kind {
				case Roundabout:
					require.Len(t, net.Roundabouts, 2, "netconvert made both roundabouts")
					require.Contains(t, string(raw), "<roundabout ")
				case GridTLS:
					require.Positive(t, tls, "a grid with traffic lights")
				case Motorway:
					e, _, ok := net.Lane("eb2_eb3_0")
					require.True(t, ok)
					require.GreaterOrEqual(t, len(e.Lanes), 3, "three lanes each way")
				}
				if kind != GridTLS {
					require.Zero(t, tls, "no traffic lights")
				}

				require.Equal(t, spec.Name(), sc.Name)
				require.NotNil(t, sc.SUMO)
				require.Equal(t, 60*time.Second, sc.SUMO.Begin)
				require.Equal(t, 1.0, *sc.Traffic.Connected)
				require.Empty(t, sc.Edges, "the edge runs its default configuration")
				require.Len(t, sc.SUMO.Incidents, 1)
				in := sc.SUMO.Incidents[0]
				require.Equal(t, sumo.Breakdown, in.Kind)
				require.Equal(t, 50*time.Second, in.Start)
				require.Equal(t, 90*time.Second, in.Duration)
				e, l, ok := net.Lane(in.Lane)
				require.True(t, ok, "the breakdown's lane %s is in the net", in.Lane)
				require.False(t, e.Internal())
				require.Zero(t, l.Index, "the outermost lane")
				require.GreaterOrEqual(t, l.Length, float64(minEdgeM))
				require.GreaterOrEqual(t, in.PosM, float64(endGapM))
				require.LessOrEqual(t, in.PosM, l.Length-endGapM)
				require.Equal(t, len(e.Lanes) == 1, *in.Parking, "beside a single lane, in lane 0 of a wider road")
				use, err := edgeUse(filepath.Join(dir, RoutesFile), 110)
				require.NoError(t, err)
				require.Positive(t, use[e.ID], "traffic uses its edge")
			})
		}
	}
}

// The same spec gives the same world; another seed, another place for the breakdown.
func TestGenerateDeterministic(t *testing.T) {
	requireTools(t)
	spec := Spec{Kind: Spider, Demand: Rush}
	a, err := Generate(context.Background(), spec, t.TempDir())
	require.NoError(t, err)
	b, err := Generate(context.Background(), spec, t.TempDir())
	require.NoError(t, err)
	require.Equal(t, a.SUMO.Incidents, b.SUMO.Incidents)
	spec.Seed = 7
	c, err := Generate(context.Background(), spec, t.TempDir())
	require.NoError(t, err)
	require.NotEqual(t, a.SUMO.Incidents[0].PosM, c.SUMO.Incidents[0].PosM)
}
