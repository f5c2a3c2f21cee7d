package detect

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/michi-v2x/michi/internal/ldm"
	"github.com/michi-v2x/michi/pkg/v2x"
)

// stoppedCar makes station 1 stand still at base, heading east, from t0 to t0+stopped.
func stoppedCar(m *ldm.Map, stopped time.Duration) time.Time {
	for at := time.Duration(0); at < stopped; at += time.Second {
		car(m, 1, base, 0, 90, t0.Add(at))
	}
	car(m, 1, base, 0, 90, t0.Add(stopped))
	return t0.Add(stopped)
}

func TestStationary(t *testing.T) {
	type nb struct {
		along, speed, heading float64
	}
	moving := []nb{{-100, 20, 90}, {-50, 22, 90}, {60, 18, 90}}
	tests := []struct {
		name    string
		stopped time.Duration
		nbs     []nb
		opts    StationaryOptions
		want    bool
	}{
		{"broken down, traffic flows", 12 * time.Second, moving, StationaryOptions{}, true},
		{"exactly MinStopped", 10 * time.Second, moving, StationaryOptions{}, true},
		{"not stopped long enough", 9 * time.Second, moving, StationaryOptions{}, false},
		{"waiting in a queue", 12 * time.Second, []nb{{-10, 0.5, 90}, {-20, 1, 90}, {10, 0, 90}}, StationaryOptions{}, false},
		{"mean speed exactly 3 m/s", 12 * time.Second, []nb{{-30, 2, 90}, {30, 4, 90}}, StationaryOptions{}, true},
		{"traffic only the other way", 12 * time.Second, []nb{{-100, 20, 270}, {50, 20, 270}, {80, 20, 270}}, StationaryOptions{}, false},
		{"heading 40° off still counts", 12 * time.Second, []nb{{-100, 20, 130}, {50, 20, 50}}, StationaryOptions{}, true},
		{"one moving neighbour", 12 * time.Second, moving[:1], StationaryOptions{}, false},
		{"one moving neighbour, MinNeighbours 1", 12 * time.Second, moving[:1], StationaryOptions{MinNeighbours: 1}, true},
		{"traffic beyond 200 m", 12 * time.Second, []nb{{-250, 20, 90}, {230, 20, 90}, {-210, 20, 90}}, StationaryOptions{}, false},
		{"alone on the road", 12 * time.Second, nil, StationaryOptions{}, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m := newMap()
			now := stoppedCar(m, tc.stopped)
			for i, n := range tc.nbs {
				car(m, uint32(10+i), on(90, n.along, 3.5), n.speed, n.heading, now)
			}
			fs := NewStationary(tc.opts).Detect(now, m)
			if !tc.want {
				require.Empty(t, fs)
				return
			}
			f := only(t, fs)
			require.Equal(t, "station:1", f.Key)
			require.Equal(t, uint8(CauseStationaryVehicle), f.Cause)
			require.True(t, f.HasHeading)
			require.InDelta(t, 90, f.HeadingDeg, 1e-6)
			require.Equal(t, v2x.DirectionUpstream, f.Direction)
			require.Equal(t, base, f.Pos)
			require.Equal(t, []string{"station:1"}, f.Sources)
		})
	}
}

func TestStationaryOnlySelfReporting(t *testing.T) {
	m := newMap()
	for at := time.Duration(0); at <= 12*time.Second; at += time.Second {
		m.UpdatePerceived(77, []ldm.Perceived{{ObjectID: 5, Kind: ldm.KindVehicle, Pos: base, HeadingDeg: 90, HeadingOK: true}}, t0.Add(at))
	}
	now := t0.Add(12 * time.Second)
	for i, y := range []float64{-100, -50, 60} {
		car(m, uint32(10+i), on(90, y, 3.5), 20, 90, now)
	}
	require.Empty(t, NewStationary(StationaryOptions{}).Detect(now, m), "a car only a sensor sees has no StoppedSince of its own to trust")
}

func TestStationaryOptionsValidate(t *testing.T) {
	o := StationaryOptions{RadiusM: -1, MaxHeadingDiffDeg: 200}
	err := o.Validate()
	require.ErrorContains(t, err, "radius_m")
	require.ErrorContains(t, err, "max_heading_diff_deg")
	ok := StationaryOptions{}
	require.NoError(t, ok.Validate())
	require.Equal(t, 10*time.Second, ok.MinStopped)
}

func BenchmarkStationary(b *testing.B) { benchDetector(b, NewStationary(StationaryOptions{})) }
