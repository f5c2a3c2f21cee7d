package detect

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/michi-v2x/michi/internal/ldm"
)

// road teaches the map a road running north through base: cars driving it every 5 m.
func paveRoad(m *ldm.Map) {
	for i := range 41 {
		car(m, 1, north(float64(i*5-100), 0), 15, 0, t0.Add(time.Duration(i)*333*time.Millisecond))
		car(m, 2, north(float64(100-i*5), -3.5), 15, 180, t0.Add(time.Duration(i)*333*time.Millisecond))
	}
}

func TestHuman(t *testing.T) {
	now := t0.Add(15 * time.Second)
	tests := []struct {
		name string
		obj  ldm.Perceived
		at   time.Time
		want bool
	}{
		{"pedestrian on the road", ldm.Perceived{ObjectID: 1, Kind: ldm.KindPedestrian, Pos: north(30, -1), SpeedMPS: 1.2, HeadingDeg: 90, HeadingOK: true}, now, true},
		{"standing still on the road", ldm.Perceived{ObjectID: 1, Kind: ldm.KindPedestrian, Pos: north(-40, -2)}, now, true},
		{"pedestrian in a field", ldm.Perceived{ObjectID: 1, Kind: ldm.KindPedestrian, Pos: north(30, 40)}, now, false},
		{"a stale track", ldm.Perceived{ObjectID: 1, Kind: ldm.KindPedestrian, Pos: north(30, -1)}, now.Add(-3 * time.Second), false},
		{"a cyclist is not a pedestrian", ldm.Perceived{ObjectID: 1, Kind: ldm.KindCyclist, Pos: north(30, -1)}, now, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m := newMap()
			paveRoad(m)
			m.UpdatePerceived(77, []ldm.Perceived{tc.obj}, tc.at)
			fs := NewHuman(HumanOptions{}).Detect(now, m)
			if !tc.want {
				require.Empty(t, fs)
				return
			}
			f := only(t, fs)
			require.Equal(t, uint8(CauseHumanPresenceOnTheRoad), f.Cause)
			require.Equal(t, tc.obj.Pos, f.Pos)
			require.Regexp(t, `^obj:\d+$`, f.Key)
			require.Equal(t, []string{"station:77"}, f.Sources)
			require.False(t, f.HasHeading)
		})
	}
}

func TestHumanKeyIsTheTrack(t *testing.T) {
	m := newMap()
	paveRoad(m)
	now := t0.Add(15 * time.Second)
	d := NewHuman(HumanOptions{})
	m.UpdatePerceived(77, []ldm.Perceived{{ObjectID: 1, Kind: ldm.KindPedestrian, Pos: north(30, -1)}}, now)
	k1 := only(t, d.Detect(now, m)).Key
	now = now.Add(200 * time.Millisecond)
	m.UpdatePerceived(77, []ldm.Perceived{{ObjectID: 1, Kind: ldm.KindPedestrian, Pos: north(30, -1.3)}}, now)
	require.Equal(t, k1, only(t, d.Detect(now, m)).Key, "a walking pedestrian keeps its key")
}

func TestHumanOptionsValidate(t *testing.T) {
	o := HumanOptions{MaxAge: -1}
	require.Error(t, o.Validate())
	ok := HumanOptions{}
	require.NoError(t, ok.Validate())
	require.Equal(t, 2*time.Second, ok.MaxAge)
}

func BenchmarkHuman(b *testing.B) { benchDetector(b, NewHuman(HumanOptions{})) }
