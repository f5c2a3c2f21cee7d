package detect

import (
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/michi-v2x/michi/internal/hazard"
	"github.com/michi-v2x/michi/internal/ldm"
	"github.com/michi-v2x/michi/internal/road"
	"github.com/michi-v2x/michi/pkg/v2x"
)

// eastLanes is an eastbound road through base with two lanes each way, keeping right.
var eastLanes = []laneSpec{{1.75, 90}, {5.25, 90}, {-1.75, 270}, {-5.25, 270}}

// stoppedCar makes station 1 stand still in the right-hand lane of an eastbound road at base from
// t0 to t0+stopped.
func stoppedCar(m *ldm.Map, stopped time.Duration) time.Time {
	for at := time.Duration(0); at < stopped; at += time.Second {
		car(m, 1, on(90, 0, 1.75), 0, 90, t0.Add(at))
	}
	car(m, 1, on(90, 0, 1.75), 0, 90, t0.Add(stopped))
	return t0.Add(stopped)
}

// mover is a vehicle that drives by at constant velocity on the eastbound road's frame: at t0 it
// is along metres east of base and lat metres to the right of the road's centre line. One with a
// start stands there until then.
type mover struct {
	along, lat, vAlong, vLat, heading float64
	start                             time.Duration
}

// standWith runs d every 200 ms while station 1 stands for dur in the right-hand lane of the
// eastbound road at base and the movers drive; it returns the last round's findings.
func standWith(d Detector, dur time.Duration, ms ...mover) []hazard.Finding {
	m := newMap()
	var fs []hazard.Finding
	for at := time.Duration(0); at <= dur; at += 200 * time.Millisecond {
		now := t0.Add(at)
		car(m, 1, on(90, 0, 1.75), 0, 90, now)
		for i, v := range ms {
			s := max(at-v.start, 0).Seconds()
			speed := 0.0
			if (v.vAlong != 0 || v.vLat != 0) && at >= v.start {
				speed = 12
			}
			car(m, uint32(10+i), on(90, v.along+v.vAlong*s, v.lat+v.vLat*s), speed, v.heading, now)
		}
		fs = d.Detect(now, m)
	}
	return fs
}

// teachStops makes vehicles stand at the place of station 1 and drive on, in two episodes a
// minute apart: a routine stop there.
func teachStops(md *road.Model, dwell time.Duration) {
	m := newMap()
	at := t0.Add(-30 * time.Minute)
	for ep := range 2 {
		id := uint32(2_000_000 + ep)
		car(m, id, on(90, -30, 1.75), 10, 90, at)
		md.Learn(at, m)
		for s := time.Duration(0); s <= dwell; s += time.Second {
			car(m, id, on(90, 0, 1.75), 0, 90, at.Add(time.Second+s))
			md.Learn(at.Add(time.Second+s), m)
		}
		at = at.Add(dwell + 2*time.Second)
		car(m, id, on(90, 5, 1.75), 5, 90, at)
		md.Learn(at, m)
		at = at.Add(time.Minute)
	}
}

func TestStationary(t *testing.T) {
	passNext := mover{along: -100, lat: 5.25, vAlong: 15, heading: 90}
	passLane := mover{along: -80, lat: 1.75, vAlong: 12, heading: 90}
	known := func(t *testing.T) *road.Model {
		md := road.New(road.Options{})
		teach(t, md, 90, 400, eastLanes...)
		return md
	}
	// learning: the model knows the road, but for less than lone_model_age
	learning := func(t *testing.T) *road.Model {
		md := road.New(road.Options{})
		teachAt(t, md, t0.Add(-5*time.Minute), 90, 400, eastLanes...)
		return md
	}
	withJunction := func(t *testing.T) *road.Model {
		md := known(t)
		teach(t, md, 0, 100, laneSpec{41.75, 0}, laneSpec{38.25, 180}) // a street crossing 40 m ahead
		return md
	}
	withStops := func(t *testing.T) *road.Model {
		md := known(t)
		teachStops(md, 30*time.Second)
		return md
	}
	tests := []struct {
		name  string
		model func(*testing.T) *road.Model
		stood time.Duration
		ms    []mover
		want  bool
	}{
		{"broken down, traffic passes in the next lane", known, 12 * time.Second, []mover{passNext}, true},
		{"at the side of its lane, traffic passes through", known, 12 * time.Second, []mover{passLane}, true},
		{"not stood long enough", known, 9 * time.Second, []mover{passNext}, false},
		{"nobody passes: the car behind waits", known, 12 * time.Second, []mover{{along: -10, lat: 1.75, heading: 90}}, false},
		{"nobody passes on open road the model has long known", known, 10 * time.Second, nil, true},
		{"nobody passes on open road the model has known for 5 min", learning, 12 * time.Second, nil, false},
		{"nobody passes, a junction 40 m ahead", withJunction, 12 * time.Second, nil, false},
		{"nobody passes, a routine stop zone", withStops, 40 * time.Second, nil, false},
		// (the car ahead, passed while a car waits behind it, is the one that broke down)
		{"in a queue: a car stands right ahead", known, 12 * time.Second, []mover{{along: 10, lat: 1.75, heading: 90}, passNext}, false},
		// where not every car is connected, the ones between it and a car standing ahead may be
		// an unseen queue, until a queue's start could have reached it
		{"in a queue until the car right ahead left, then passed in the next lane", known, 20 * time.Second,
			[]mover{{along: 8, lat: 1.75, vAlong: 12, heading: 90, start: 10 * time.Second}, passNext}, false},
		{"in a queue until the car right ahead left, then three of its lane got past", known, 30 * time.Second,
			[]mover{{along: 8, lat: 1.75, vAlong: 12, heading: 90, start: 10 * time.Second},
				{along: -80, lat: 1.75, vAlong: 12, heading: 90, start: 10 * time.Second},
				{along: -110, lat: 1.75, vAlong: 12, heading: 90, start: 10 * time.Second},
				{along: -140, lat: 1.75, vAlong: 12, heading: 90, start: 10 * time.Second}}, true},
		{"a car stands 60 m ahead in its lane", known, 12 * time.Second, []mover{{along: 60, lat: 1.75, heading: 90}, passNext}, false},
		{"the car 60 m ahead left 10 s ago", known, 20 * time.Second, []mover{{along: 60, lat: 1.75, vAlong: 12, heading: 90, start: 10 * time.Second}, passNext}, false},
		{"the car 60 m ahead left 20 s ago", known, 30 * time.Second, []mover{{along: 60, lat: 1.75, vAlong: 12, heading: 90, start: 10 * time.Second}, passNext}, true},
		{"a car stands 60 m ahead in the next lane", known, 12 * time.Second, []mover{{along: 60, lat: 5.25, heading: 90}, passNext}, true},
		{"a car that passed it stands 60 m ahead", known, 12 * time.Second, []mover{{along: -100, lat: 1.75, vAlong: 40, heading: 90}, passNext}, true},
		{"crossing traffic close by: waiting at a junction", known, 12 * time.Second,
			[]mover{passNext, {along: 20, lat: -60, vLat: 12, heading: 180}}, false},
		{"traffic only the other way", learning, 12 * time.Second, []mover{{along: 100, lat: -1.75, vAlong: -15, heading: 270}}, false},
		{"fresh edge: the model knows nothing yet", func(*testing.T) *road.Model { return road.New(road.Options{}) }, 12 * time.Second, []mover{passNext}, false},
		{"before a junction, passed only in the next lane", withJunction, 12 * time.Second, []mover{passNext}, false},
		{"before a junction, passed within its lane", withJunction, 12 * time.Second, []mover{passLane}, true},
		{"routine stop zone, within its dwell", withStops, 20 * time.Second, []mover{passLane}, false},
		{"routine stop zone, far beyond its dwell", withStops, 40 * time.Second, []mover{passLane}, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			fs := standWith(NewStationary(StationaryOptions{}, tc.model(t)), tc.stood, tc.ms...)
			if !tc.want {
				require.NotContains(t, keys(fs), "station:1")
				return
			}
			i := slices.IndexFunc(fs, func(f hazard.Finding) bool { return f.Key == "station:1" })
			require.GreaterOrEqual(t, i, 0, "station 1 flagged")
			f := fs[i]
			require.Equal(t, uint8(CauseStationaryVehicle), f.Cause)
			require.Equal(t, v2x.DirectionUpstream, f.Direction)
			require.True(t, f.HasHeading)
			require.InDelta(t, 90, f.HeadingDeg, 0.01)
			require.Equal(t, []string{"station:1"}, f.Sources)
		})
	}
}

func TestStationaryOnlySelfReporting(t *testing.T) {
	md := road.New(road.Options{})
	teach(t, md, 90, 400, eastLanes...)
	m := newMap()
	// A sensor-only object standing in the lane is no stationary vehicle of this detector.
	for at := time.Duration(0); at <= 12*time.Second; at += time.Second {
		m.UpdatePerceived(77, []ldm.Perceived{{ObjectID: 1, Kind: ldm.KindVehicle, Pos: on(90, 0, 1.75), HeadingOK: true, HeadingDeg: 90}}, t0.Add(at))
	}
	car(m, 10, on(90, 30, 5.25), 15, 90, t0.Add(12*time.Second))
	require.Empty(t, NewStationary(StationaryOptions{}, md).Detect(t0.Add(12*time.Second), m))
}

func TestStationaryOptionsValidate(t *testing.T) {
	o := StationaryOptions{MinStopped: -1, BehindM: -1, MinPassers: -1}
	err := o.Validate()
	require.ErrorContains(t, err, "behind_m")
	require.ErrorContains(t, err, "min_passers")
	ok := StationaryOptions{}
	require.NoError(t, ok.Validate())
}

func BenchmarkStationary(b *testing.B) {
	benchDetector(b, NewStationary(StationaryOptions{}, benchModel(b)))
}
