package detect

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/michi-v2x/michi/internal/ldm"
	"github.com/michi-v2x/michi/pkg/geo"
)

func TestCollision(t *testing.T) {
	type obj struct {
		ped         bool
		y, x        float64 // metres north / east of base
		speed, head float64
	}
	tests := []struct {
		name string
		objs []obj
		sub  uint8 // 0 = no finding
		meet geo.Point
	}{
		{"crossing, both at the junction in 2 s", []obj{{y: 0, x: -30, speed: 15, head: 90}, {y: -20, x: 0, speed: 10, head: 0}},
			SubCauseCrossing, base},
		{"crossing, one a second later", []obj{{y: 0, x: -30, speed: 15, head: 90}, {y: -30, x: 0, speed: 10, head: 0}}, 0, base},
		{"crossing, meeting in 4 s", []obj{{y: 0, x: -60, speed: 15, head: 90}, {y: -40, x: 0, speed: 10, head: 0}}, 0, base},
		{"rear-end in 2 s", []obj{{y: -20, x: 0, speed: 20, head: 0}, {y: 0, x: 0, speed: 10, head: 0}},
			SubCauseLongitudinal, north(20, 0)},
		{"following at the same speed", []obj{{y: -10, x: 0, speed: 20, head: 0}, {y: 0, x: 0, speed: 20, head: 0}}, 0, base},
		{"oncoming in the next lane", []obj{{y: -30, x: 1.75, speed: 15, head: 0}, {y: 30, x: -1.75, speed: 15, head: 180}}, 0, base},
		{"head-on in one lane", []obj{{y: -30, x: 0, speed: 15, head: 0}, {y: 30, x: 0, speed: 15, head: 180}},
			SubCauseLongitudinal, base},
		{"moving apart", []obj{{y: 0, x: 0, speed: 15, head: 0}, {y: -10, x: 0, speed: 15, head: 180}}, 0, base},
		{"pedestrian standing in the lane", []obj{{y: -30, x: 0, speed: 15, head: 0}, {ped: true, y: 0, x: 0}},
			SubCauseVRU, base},
		{"pedestrian on the pavement", []obj{{y: -30, x: 0, speed: 15, head: 0}, {ped: true, y: 0, x: 6}}, 0, base},
		{"two standing objects", []obj{{y: 0, x: 0}, {ped: true, y: 1, x: 0}}, 0, base},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m := newMap()
			var peds []ldm.Perceived
			for i, o := range tc.objs {
				if o.ped {
					peds = append(peds, ldm.Perceived{ObjectID: uint16(i + 1), Kind: ldm.KindPedestrian, Pos: north(o.y, o.x),
						SpeedMPS: o.speed, HeadingDeg: o.head, HeadingOK: true})
					continue
				}
				car(m, uint32(i+1), north(o.y, o.x), o.speed, o.head, t0)
			}
			if peds != nil {
				m.UpdatePerceived(77, peds, t0)
			}
			fs := NewCollision(CollisionOptions{}).Detect(t0, m)
			if tc.sub == 0 {
				require.Empty(t, fs)
				return
			}
			f := only(t, fs)
			require.Equal(t, uint8(CauseCollisionRisk), f.Cause)
			require.Equal(t, tc.sub, f.SubCause)
			require.False(t, f.HasHeading)
			require.Less(t, geo.Distance(f.Pos, tc.meet), 1.0)
			require.Contains(t, f.Key, "|")
		})
	}
}

func TestCollisionKeyIsTheSortedPair(t *testing.T) {
	m := newMap()
	car(m, 9, north(0, -30), 15, 90, t0)
	car(m, 3, north(-20, 0), 10, 0, t0)
	f := only(t, NewCollision(CollisionOptions{}).Detect(t0, m))
	require.Equal(t, "station:3|station:9", f.Key)
	require.Equal(t, []string{"station:3", "station:9"}, f.Sources)
}

func TestCollisionThresholds(t *testing.T) {
	m := newMap()
	car(m, 1, north(0, -30), 15, 90, t0)
	car(m, 2, north(-20, 2.5), 10, 0, t0) // closest approach ≈ 1.4 m in ≈ 2.1 s
	require.Len(t, NewCollision(CollisionOptions{}).Detect(t0, m), 1)
	require.Empty(t, NewCollision(CollisionOptions{MinDistM: 1.2}).Detect(t0, m))
	require.Empty(t, NewCollision(CollisionOptions{MaxTTC: 1500 * time.Millisecond}).Detect(t0, m))
}

func TestCollisionOptionsValidate(t *testing.T) {
	o := CollisionOptions{MinDistM: -1, MaxSpeedMPS: 0.1}
	err := o.Validate()
	require.ErrorContains(t, err, "min_dist_m")
	require.ErrorContains(t, err, "max_speed_mps")
	ok := CollisionOptions{}
	require.NoError(t, ok.Validate())
}

func BenchmarkCollision(b *testing.B) { benchDetector(b, NewCollision(CollisionOptions{})) }
