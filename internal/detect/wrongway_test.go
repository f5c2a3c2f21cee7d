package detect

import (
	"math"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/michi-v2x/michi/internal/hazard"
	"github.com/michi-v2x/michi/internal/road"
	"github.com/michi-v2x/michi/pkg/geo"
	"github.com/michi-v2x/michi/pkg/v2x"
)

// drive runs d every 200 ms for dur while station 1 drives at 25 m/s from (y0, x) on a road
// running north (heading its direction of travel) and legit traffic keeps its lanes; it returns
// every round's findings.
func drive(d Detector, y0, x, heading float64, dur time.Duration, keepRight bool, noise *rand.Rand) [][]hazard.Finding {
	m := newMap()
	side := 1.75
	if !keepRight {
		side = -side
	}
	jit := func() float64 {
		if noise == nil {
			return 0
		}
		return noise.NormFloat64() * 0.3
	}
	dir := 1.0
	if heading > 90 && heading < 270 {
		dir = -1
	}
	var rounds [][]hazard.Finding
	for at := time.Duration(0); at <= dur; at += 200 * time.Millisecond {
		now, s := t0.Add(at), at.Seconds()
		car(m, 1, north(y0+dir*25*s, x+jit()), 25, heading, now)
		for i := range 6 {
			car(m, uint32(100+i), north(-300+float64(i)*100+20*s, side+jit()), 20, math.Mod(360+jit(), 360), now)
			car(m, uint32(200+i), north(300-float64(i)*100-20*s, -side+jit()), 20, 180+jit(), now)
		}
		rounds = append(rounds, d.Detect(now, m))
	}
	return rounds
}

// flagged is the set of keys any round flagged.
func flagged(rounds [][]hazard.Finding) []string {
	seen := map[string]bool{}
	for _, fs := range rounds {
		for _, k := range keys(fs) {
			seen[k] = true
		}
	}
	var out []string
	for k := range seen {
		out = append(out, k)
	}
	return out
}

func TestWrongWay(t *testing.T) {
	tests := []struct {
		name      string
		keepRight bool
		x, head   float64
		want      bool
	}{
		{"right-hand traffic: southbound in the northbound lane", true, 1.75, 180, true},
		{"right-hand traffic: northbound in the southbound lane", true, -1.75, 0, true},
		{"right-hand traffic: keeping its lane", true, 1.75, 0, false},
		{"left-hand traffic: keeping its lane", false, 1.75, 180, false},
		{"left-hand traffic: northbound in the southbound lane", false, 1.75, 0, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			y0 := 200.0
			if tc.head == 0 {
				y0 = -200
			}
			rounds := drive(NewWrongWay(WrongWayOptions{}, taught(t, 0, tc.keepRight)), y0, tc.x, tc.head, 4*time.Second, tc.keepRight, nil)
			if !tc.want {
				require.Empty(t, flagged(rounds))
				return
			}
			require.Equal(t, []string{"station:1"}, flagged(rounds), "the driver and only the driver")
			f := only(t, rounds[len(rounds)-1])
			require.Equal(t, uint8(CauseWrongWayDriving), f.Cause)
			require.Equal(t, v2x.DirectionUpstream, f.Direction)
			require.InDelta(t, 0, geo.AngleDiff(tc.head+180, f.HeadingDeg), 0.01, "faces the traffic it drives into")
		})
	}
}

func TestWrongWayNeedsSustainedTravel(t *testing.T) {
	md := taught(t, 0, true)
	rounds := drive(NewWrongWay(WrongWayOptions{}, md), 200, 1.75, 180, 4*time.Second, true, nil)
	first := -1
	for i, fs := range rounds {
		if len(fs) > 0 && first < 0 {
			first = i
		}
		if first >= 0 {
			require.Len(t, fs, 1, "round %d: once flagged it stays flagged", i)
		}
	}
	// 40 m at 25 m/s over rounds of 200 ms: 1.6 s, the eighth round or so, and not before the
	// fifth (MinRounds).
	require.GreaterOrEqual(t, first, 5)
	require.LessOrEqual(t, first, 10)
}

func TestWrongWayHoldsBackWhereTheModelKnowsNothing(t *testing.T) {
	rounds := drive(NewWrongWay(WrongWayOptions{}, road.New(road.Options{})), 200, 1.75, 180, 4*time.Second, true, nil)
	require.Empty(t, flagged(rounds), "a fresh edge")
	// Beyond the stretch the model learned (±400 m) it says nothing either.
	rounds = drive(NewWrongWay(WrongWayOptions{}, taught(t, 0, true)), 1200, 1.75, 180, 4*time.Second, true, nil)
	require.Empty(t, flagged(rounds))
}

func TestWrongWayIgnoresJunctions(t *testing.T) {
	md := taught(t, 0, true)
	teach(t, md, 90, 100, twoWay(90, true)...) // a street crossing at base
	// A driver that goes against the northbound lane only across the junction (±12 m) is turning.
	rounds := drive(NewWrongWay(WrongWayOptions{}, md), 15, 1.75, 180, 1200*time.Millisecond, true, nil)
	require.Empty(t, flagged(rounds))
}

func TestWrongWayUnderNoise(t *testing.T) {
	md := taught(t, 0, true)
	rng := rand.New(rand.NewPCG(7, 7))
	for range 5 {
		rounds := drive(NewWrongWay(WrongWayOptions{}, md), -200, -1.75, 0, 8*time.Second, true, rng)
		require.Equal(t, []string{"station:1"}, flagged(rounds), "σ 0.3 m across, 0.3° in heading")
		rounds = drive(NewWrongWay(WrongWayOptions{}, md), -200, 1.75, 0, 8*time.Second, true, rng)
		require.Empty(t, flagged(rounds), "legit traffic under the same noise")
	}
}

func TestWrongWayClearsWithTheFlow(t *testing.T) {
	md := taught(t, 0, true)
	d := NewWrongWay(WrongWayOptions{}, md)
	m := newMap()
	now := t0
	step := func(y, heading float64) []hazard.Finding {
		now = now.Add(200 * time.Millisecond)
		car(m, 1, north(y, 1.75), 25, heading, now)
		return d.Detect(now, m)
	}
	y := 200.0
	for range 15 { // 75 m south in the northbound lane
		y -= 5
		step(y, 180)
	}
	require.Len(t, step(y, 180), 1)
	for range 11 { // it turns round: 55 m with the flow, still flagged
		y += 5
		require.Len(t, step(y, 0), 1)
	}
	y += 10
	require.Empty(t, step(y, 0), "cleared after 60 m with the flow")
}

func TestWrongWayOptionsValidate(t *testing.T) {
	o := WrongWayOptions{MinAgainstShare: 0.1, MaxAlongShare: 0.2, MinRounds: -1}
	err := o.Validate()
	require.ErrorContains(t, err, "max_along_share")
	require.ErrorContains(t, err, "min_rounds")
	ok := WrongWayOptions{}
	require.NoError(t, ok.Validate())
}

func BenchmarkWrongWay(b *testing.B) { benchDetector(b, NewWrongWay(WrongWayOptions{}, benchModel(b))) }
