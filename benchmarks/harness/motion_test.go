package harness

import (
	"math/rand/v2"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/michi-v2x/michi/pkg/geo"
	"github.com/michi-v2x/michi/pkg/v2x/client"
)

// motions draws n vehicles' movements round one place.
func motions(n int) []motion {
	rng := rand.New(rand.NewPCG(1, 2))
	out := make([]motion, n)
	for i := range out {
		out[i] = newMotion(lyon, rng)
	}
	return out
}

// The closed form is a drive: over each 100 ms the vehicle covers its speed's distance, heads
// where it goes, stays on its loop round its place, and stands a while once a lap, never as
// long as the edge's stationary-vehicle detector waits (10 s).
func TestMotionIsConsistent(t *testing.T) {
	for _, m := range motions(50) {
		prev := m.at(0)
		require.InEpsilon(t, m.radius, geo.Distance(lyon, prev.Pos), 0.01)
		stood, stops := time.Duration(0), 0
		for e := 100 * time.Millisecond; e <= 120*time.Second; e += 100 * time.Millisecond {
			cur := m.at(e)
			d := geo.Distance(prev.Pos, cur.Pos)
			require.InDelta(t, (prev.SpeedMPS+cur.SpeedMPS)/2*0.1, d, 0.05, "distance over 100 ms at %s", e)
			require.InEpsilon(t, m.radius, geo.Distance(lyon, cur.Pos), 0.01, "on its loop (geodesic against projected distance)")
			if d > 0.5 {
				require.InDelta(t, 0, geo.AngleDiff(geo.Bearing(prev.Pos, cur.Pos), cur.HeadingDeg), 3, "heading along the path")
			}
			require.GreaterOrEqual(t, cur.SpeedMPS, 0.0)
			require.LessOrEqual(t, cur.SpeedMPS, cruiseMaxMPS)
			if cur.SpeedMPS == 0 {
				if stood == 0 {
					stops++
				}
				stood += 100 * time.Millisecond
				require.Less(t, stood, 10*time.Second, "a stop the stationary detector would flag")
			} else {
				stood = 0
			}
			prev = cur
		}
		require.GreaterOrEqual(t, stops, 1, "a light per lap")
	}
}

// The ETSI rules over the realistic traffic, on a fake clock: the fleet sends at a few Hz on
// average, every vehicle between 1 and 10 Hz.
func TestMotionUnderETSIRules(t *testing.T) {
	ms := motions(200)
	const d = 60 * time.Second
	t0 := time.Date(2026, 12, 8, 3, 0, 0, 0, time.UTC)
	total := 0
	for _, m := range ms {
		var g client.CAMGenerator
		n := 0
		for e := time.Duration(0); e < d; e += client.TCheckCamGen {
			if g.Check(t0.Add(e), m.at(e)) != client.CAMNotDue {
				n++
			}
		}
		rate := float64(n) / d.Seconds()
		require.LessOrEqual(t, rate, 10.0)
		require.GreaterOrEqual(t, rate, 1.0)
		total += n
	}
	mean := float64(total) / float64(len(ms)) / d.Seconds()
	t.Logf("mean CAM rate %.2f Hz per vehicle", mean)
	require.Greater(t, mean, 1.5)
	require.Less(t, mean, 4.0)
}
