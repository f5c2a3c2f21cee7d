package detect

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/michi-v2x/michi/internal/ldm"
	"github.com/michi-v2x/michi/internal/road"
	"github.com/michi-v2x/michi/pkg/geo"
	"github.com/michi-v2x/michi/pkg/v2x"
)

// queue puts slow northbound vehicles (stations 1…) at the given distances north of base.
func queue(m *ldm.Map, at time.Time, ys ...float64) {
	for i, y := range ys {
		car(m, uint32(1+i), north(y, 1.75), 0.5, 0, at)
	}
}

func TestEndOfQueue(t *testing.T) {
	type veh struct{ y, x, speed, heading float64 }
	q := []float64{400, 410, 425, 440}
	tests := []struct {
		name  string
		queue []float64
		other []veh
		want  bool
	}{
		{"fast car behind the tail", q, []veh{{100, 1.75, 25, 0}}, true},
		{"fast car in the next lane", q, []veh{{300, 5.25, 24, 0}}, true},
		{"exactly ApproachSpeed", q, []veh{{100, 1.75, 22, 0}}, true},
		{"urban speed: a routine approach", q, []veh{{100, 1.75, 15, 0}}, false},
		{"nobody approaching", q, nil, false},
		{"approaching slowly", q, []veh{{100, 1.75, 10, 0}}, false},
		{"too far behind", q, []veh{{-110, 1.75, 30, 0}}, false},
		{"ahead of the queue", q, []veh{{600, 1.75, 30, 0}}, false},
		{"beside the queue", q, []veh{{420, 5.25, 30, 0}}, false},
		{"opposite carriageway", q, []veh{{100, -8, 30, 180}}, false},
		{"on a parallel road 60 m away", q, []veh{{300, 60, 30, 0}}, false},
		{"two slow cars are no queue", q[:2], []veh{{100, 1.75, 25, 0}}, false},
		{"gaps over 100 m", []float64{400, 510, 620}, []veh{{100, 1.75, 25, 0}}, false},
		{"gaps just under 100 m", []float64{400, 499, 598}, []veh{{100, 1.75, 25, 0}}, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m := newMap()
			queue(m, t0, tc.queue...)
			for i, v := range tc.other {
				car(m, uint32(100+i), north(v.y, v.x), v.speed, v.heading, t0)
			}
			fs := NewEndOfQueue(EndOfQueueOptions{}, northRoad(t)).Detect(t0, m)
			if !tc.want {
				require.Empty(t, fs)
				return
			}
			f := only(t, fs)
			require.Equal(t, uint8(CauseDangerousEndOfQueue), f.Cause)
			require.InDelta(t, 0, geo.Distance(f.Pos, north(tc.queue[0], 1.75)), 0.01, "at the tail")
			require.True(t, f.HasHeading)
			require.InDelta(t, 0, geo.AngleDiff(0, f.HeadingDeg), 0.01)
			require.Equal(t, v2x.DirectionUpstream, f.Direction)
			require.Equal(t, []string{"station:1", "station:2", "station:3"}, f.Sources, "the rearmost MinQueue vehicles")
		})
	}
}

func TestEndOfQueueKeyFollowsTheQueue(t *testing.T) {
	d := NewEndOfQueue(EndOfQueueOptions{}, northRoad(t))
	m := newMap()
	queue(m, t0, 400, 410, 425)
	car(m, 100, north(100, 1.75), 25, 0, t0)
	key := only(t, d.Detect(t0, m)).Key

	// Vehicles join at the tail, the head drives off: still the same queue.
	now := t0.Add(time.Second)
	car(m, 1, north(400, 1.75), 0.5, 0, now)
	car(m, 2, north(410, 1.75), 0.5, 0, now)
	car(m, 3, north(425, 1.75), 8, 0, now) // leaving
	car(m, 4, north(392, 1.75), 1, 0, now)
	car(m, 5, north(385, 1.75), 1, 0, now)
	car(m, 100, north(130, 1.75), 25, 0, now)
	f := only(t, d.Detect(now, m))
	require.Equal(t, key, f.Key)
	require.InDelta(t, 0, geo.Distance(f.Pos, north(385, 1.75)), 0.01)

	// A second queue elsewhere gets its own key.
	now = now.Add(time.Second)
	for i, y := range []float64{2000, 2010, 2020} {
		car(m, uint32(50+i), north(y, 1.75), 0, 0, now)
	}
	car(m, 101, north(1700, 1.75), 30, 0, now)
	for _, s := range []uint32{1, 2, 4, 5} {
		o, _ := m.Vehicle(s)
		car(m, s, o.Pos, 0.5, 0, now)
	}
	car(m, 100, north(160, 1.75), 25, 0, now)
	fs := d.Detect(now, m)
	require.Len(t, fs, 2)
	require.Contains(t, keys(fs), key)
	require.NotEqual(t, fs[0].Key, fs[1].Key)
}

func TestEndOfQueueOptionsValidate(t *testing.T) {
	o := EndOfQueueOptions{MinQueue: 1, ApproachSpeedMPS: 2}
	err := o.Validate()
	require.ErrorContains(t, err, "min_queue")
	require.ErrorContains(t, err, "approach_speed_mps")
	ok := EndOfQueueOptions{}
	require.NoError(t, ok.Validate())
}

// northRoad is a model that knows a road running north through base, two lanes each way, ±2.5 km.
func northRoad(t testing.TB) *road.Model {
	md := road.New(road.Options{})
	teach(t, md, 0, 2500, laneSpec{1.75, 0}, laneSpec{5.25, 0}, laneSpec{-1.75, 180}, laneSpec{-5.25, 180})
	return md
}

func TestEndOfQueueLeavesRoutineQueuesAlone(t *testing.T) {
	q := []float64{400, 410, 425, 440}
	junction := func(t *testing.T) *road.Model {
		md := northRoad(t)
		teach(t, md, 90, 100, laneSpec{-451.75, 90}, laneSpec{-448.25, 270}) // a street crossing at y = 450
		return md
	}
	for _, tc := range []struct {
		name  string
		model func(*testing.T) *road.Model
		cross bool
	}{
		{"fresh edge: nothing learned", func(*testing.T) *road.Model { return road.New(road.Options{}) }, false},
		{"learned, but only for five minutes", func(t *testing.T) *road.Model {
			md := road.New(road.Options{})
			m, at := newMap(), t0.Add(-5*time.Minute)
			for wave := range 8 {
				for y := -100.0; y <= 600; y += 4 {
					car(m, uint32(3_000_000+wave), north(y, 1.75), 16, 0, at)
					md.Learn(at, m)
					at = at.Add(time.Millisecond)
				}
			}
			return md
		}, false},
		{"head waits before a junction the model knows", junction, false},
		{"crossing traffic moves in front of the head", func(t *testing.T) *road.Model { return northRoad(t) }, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := newMap()
			queue(m, t0, q...)
			car(m, 100, north(100, 1.75), 25, 0, t0)
			if tc.cross {
				car(m, 101, north(455, 20), 12, 270, t0)
			}
			require.Empty(t, NewEndOfQueue(EndOfQueueOptions{}, tc.model(t)).Detect(t0, m))
		})
	}
}

func BenchmarkEndOfQueue(b *testing.B) {
	benchDetector(b, NewEndOfQueue(EndOfQueueOptions{}, benchModel(b)))
}
