package detect

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/michi-v2x/michi/internal/hazard"
	"github.com/michi-v2x/michi/internal/ldm"
	"github.com/michi-v2x/michi/pkg/geo"
	"github.com/michi-v2x/michi/pkg/v2x"
)

// twoWay puts traffic on a road running north at base, one lane each way (lane centres ±1.75 m),
// 8 vehicles per direction 50 m apart. mirror swaps the sides (left-hand traffic).
func twoWay(m *ldm.Map, mirror bool) {
	side := 1.0
	if mirror {
		side = -1
	}
	for i := range 8 {
		car(m, uint32(100+i), north(float64(i)*50, side*1.75), 25, 0, t0)       // northbound
		car(m, uint32(200+i), north(float64(i)*50+25, -side*1.75), 25, 180, t0) // southbound
	}
}

func TestWrongWay(t *testing.T) {
	no := false
	tests := []struct {
		name string
		fill func(m *ldm.Map)
		opts WrongWayOptions
		want []string
	}{
		{"two-way road, traffic both ways", func(m *ldm.Map) { twoWay(m, false) }, WrongWayOptions{}, nil},
		{"northbound in the southbound lane", func(m *ldm.Map) {
			twoWay(m, false)
			car(m, 1, north(190, -1.75), 25, 0, t0)
		}, WrongWayOptions{}, []string{"station:1"}},
		{"southbound in the northbound lane", func(m *ldm.Map) {
			twoWay(m, false)
			car(m, 1, north(190, 1.75), 30, 180, t0)
		}, WrongWayOptions{}, []string{"station:1"}},
		{"half a metre off the lane centre, heading 1° off", func(m *ldm.Map) {
			twoWay(m, false)
			car(m, 1, north(190, -1.25), 25, 1, t0)
		}, WrongWayOptions{}, []string{"station:1"}},
		{"a single vehicle", func(m *ldm.Map) { car(m, 1, base, 25, 0, t0) }, WrongWayOptions{}, nil},
		{"a single oncoming vehicle in the lane", func(m *ldm.Map) {
			car(m, 1, base, 25, 0, t0)
			car(m, 2, north(100, 0), 25, 180, t0)
		}, WrongWayOptions{}, nil},
		{"wrong-way driver too slow to judge", func(m *ldm.Map) {
			twoWay(m, false)
			car(m, 1, north(190, -1.75), 2, 0, t0)
		}, WrongWayOptions{}, nil},
		{"left-hand traffic", func(m *ldm.Map) { twoWay(m, true) }, WrongWayOptions{RightHandTraffic: &no}, nil},
		{"left-hand traffic, wrong-way driver", func(m *ldm.Map) {
			twoWay(m, true)
			car(m, 1, north(190, 1.75), 25, 0, t0)
		}, WrongWayOptions{RightHandTraffic: &no}, []string{"station:1"}},
		{"oncoming traffic beyond the corridor", func(m *ldm.Map) {
			car(m, 1, base, 25, 0, t0)
			car(m, 2, north(100, 20), 25, 180, t0)
			car(m, 3, north(150, 20), 25, 180, t0)
		}, WrongWayOptions{}, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m := newMap()
			tc.fill(m)
			fs := detectRounds(NewWrongWay(tc.opts), m, 5)
			require.Equal(t, tc.want, keys(fs))
			for _, f := range fs {
				require.Equal(t, uint8(CauseWrongWayDriving), f.Cause)
				require.Equal(t, v2x.DirectionUpstream, f.Direction)
				require.True(t, f.HasHeading)
			}
		})
	}
}

// bend puts traffic on a right-hand bend of radius r starting at base heading north: lane
// centres 1.75 m either side of the centre line, 10 vehicles per direction 40 m apart.
func bend(m *ldm.Map, r float64, wrongWay bool) {
	centre := geo.Destination(base, 90, r)
	at := func(s, offset float64) (geo.Point, float64) { // s metres along the centre line
		phi := s / r * 180 / math.Pi
		return geo.Destination(centre, math.Mod(270+phi, 360), r+offset), math.Mod(phi+360, 360)
	}
	for i := range 10 {
		p, h := at(float64(i)*40, -1.75) // northbound, inside of the bend
		car(m, uint32(100+i), p, 25, h, t0)
		p, h = at(float64(i)*40+20, 1.75) // southbound, outside
		car(m, uint32(200+i), p, 25, math.Mod(h+180, 360), t0)
	}
	if wrongWay {
		p, h := at(190, 1.75) // heading "north" in the southbound lane
		car(m, 1, p, 25, h, t0)
	}
}

func TestWrongWayOnABend(t *testing.T) {
	for _, r := range []float64{300, 500, 1000} {
		m := newMap()
		bend(m, r, false)
		require.Empty(t, detectRounds(NewWrongWay(WrongWayOptions{}), m, 5), "radius %g", r)
		m = newMap()
		bend(m, r, true)
		require.Equal(t, []string{"station:1"}, keys(detectRounds(NewWrongWay(WrongWayOptions{}), m, 5)), "radius %g", r)
	}
}

func TestWrongWayFindingFacesTheFlow(t *testing.T) {
	m := newMap()
	twoWay(m, false)
	car(m, 1, north(190, -1.75), 25, 0, t0)
	f := only(t, NewWrongWay(WrongWayOptions{MinRounds: 1}).Detect(t0, m))
	require.InDelta(t, 180, f.HeadingDeg, 1e-9, "the traffic it drives into")
	require.Equal(t, north(190, -1.75), f.Pos)
	require.Equal(t, []string{"station:1"}, f.Sources)
}

// detectRounds runs d n times over m and returns the last round.
func detectRounds(d Detector, m *ldm.Map, n int) []hazard.Finding {
	var fs []hazard.Finding
	for i := range n {
		fs = d.Detect(t0.Add(time.Duration(i)*200*time.Millisecond), m)
	}
	return fs
}

// motorway puts traffic on a 3+3-lane motorway running north (lane centres 1.75, 5.25, 8.75 m
// either side of the median), 6 vehicles per lane 60 m apart.
func motorway(m *ldm.Map) {
	for lane := range 3 {
		x := 1.75 + float64(lane)*3.5
		for i := range 6 {
			car(m, uint32(100+lane*10+i), north(float64(i)*60+float64(lane)*20, x), 30, 0, t0)
			car(m, uint32(200+lane*10+i), north(float64(i)*60+float64(lane)*20+30, -x), 30, 180, t0)
		}
	}
}

func TestWrongWayOnAMotorway(t *testing.T) {
	for _, x := range []float64{-1.75, -5.25, -8.75} { // median-side, middle and outer lane
		m := newMap()
		motorway(m)
		require.Empty(t, detectRounds(NewWrongWay(WrongWayOptions{}), m, 5))
		car(m, 1, north(150, x), 30, 0, t0)
		require.Equal(t, []string{"station:1"}, keys(detectRounds(NewWrongWay(WrongWayOptions{}), m, 5)), "lane at %g m", x)
	}
}

func TestWrongWayNeedsConsecutiveRounds(t *testing.T) {
	m := newMap()
	twoWay(m, false)
	car(m, 1, north(190, -1.75), 25, 0, t0)
	d := NewWrongWay(WrongWayOptions{MinRounds: 3})
	require.Empty(t, d.Detect(t0, m))
	require.Empty(t, d.Detect(t0.Add(200*time.Millisecond), m))
	require.Len(t, d.Detect(t0.Add(400*time.Millisecond), m), 1)

	car(m, 1, north(195, 1.75), 25, 0, t0.Add(500*time.Millisecond)) // back in its lane: the count restarts
	require.Empty(t, d.Detect(t0.Add(600*time.Millisecond), m))
	car(m, 1, north(200, -1.75), 25, 0, t0.Add(700*time.Millisecond))
	require.Empty(t, d.Detect(t0.Add(800*time.Millisecond), m))
	require.Empty(t, d.Detect(t0.Add(time.Second), m))
	require.Len(t, d.Detect(t0.Add(1200*time.Millisecond), m), 1)
}

// TestWrongWayUnderNoise moves two-lane two-way traffic and a wrong-way driver for 20 s with
// noise in every CAM (σ across the road, σ in heading): the wrong-way driver is found while it
// meets traffic, nobody else ever is.
func TestWrongWayUnderNoise(t *testing.T) {
	for _, tc := range []struct{ posSigma, headSigma float64 }{{0.3, 1}, {0.5, 2}, {1, 1}} {
		t.Run(fmt.Sprintf("σ %gm %g°", tc.posSigma, tc.headSigma), func(t *testing.T) {
			wrongWayUnderNoise(t, tc.posSigma, tc.headSigma)
		})
	}
}

func wrongWayUnderNoise(t *testing.T, posSigma, headSigma float64) {
	rng := rand.New(rand.NewPCG(7, 8))
	m := newMap()
	d := NewWrongWay(WrongWayOptions{})
	flagged := 0
	for r := range 100 {
		now := t0.Add(time.Duration(r) * 200 * time.Millisecond)
		s := float64(r) * 0.2 * 25 // metres driven
		put := func(id uint32, y, x, heading float64) {
			car(m, id, north(y, x+rng.NormFloat64()*posSigma), 25, math.Mod(heading+rng.NormFloat64()*headSigma+360, 360), now)
		}
		for i := range 12 {
			put(uint32(100+i), float64(i)*45+s, 1.75, 0)
			put(uint32(200+i), float64(i)*45+20-s+500, -1.75, 180)
		}
		put(1, 100+s, -1.75, 0)
		fs := d.Detect(now, m)
		for _, k := range keys(fs) {
			require.Equal(t, "station:1", k, "round %d", r)
		}
		flagged += len(fs)
	}
	require.Greater(t, flagged, 10, "found (for 2 s or more) while it meets traffic")
}

func TestWrongWayOptionsValidate(t *testing.T) {
	o := WrongWayOptions{SameDirDeg: 160, MinVotes: -1, LaneWidthM: -2}
	err := o.Validate()
	require.ErrorContains(t, err, "same_dir_deg")
	require.ErrorContains(t, err, "min_votes")
	require.ErrorContains(t, err, "lane_width_m")
	ok := WrongWayOptions{}
	require.NoError(t, ok.Validate())
	require.True(t, *ok.RightHandTraffic)
}

func BenchmarkWrongWay(b *testing.B) { benchDetector(b, NewWrongWay(WrongWayOptions{})) }
