package sim

import (
	"errors"
	"fmt"
	"hash/fnv"
	"math"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/michi-v2x/michi/pkg/geo"
)

var lyon = geo.Point{Lat: 45.76, Lon: 4.83}

func highway(vehicles int, hazards ...HazardSpec) Config {
	return Config{Origin: lyon, Seed: 7, Roads: []RoadSpec{{Highway: &HighwaySpec{LengthM: 3000, Lanes: 2}}},
		Traffic: Traffic{Vehicles: vehicles}, Hazards: hazards}
}

func run(t *testing.T, e *Engine, d time.Duration, each func(r *StepResult)) {
	t.Helper()
	for e.Now() < d {
		r := e.Step()
		if each != nil {
			each(r)
		}
	}
}

func fingerprint(e *Engine) uint64 {
	h := fnv.New64a()
	for _, v := range e.Vehicles {
		fmt.Fprintf(h, "%d %v %.6f %.6f %.6f %v|", v.ID, v.Connected, v.Pos.X, v.Pos.Y, v.Speed, v.Active)
	}
	return h.Sum64()
}

func TestHighwayFlowsWithoutOverlap(t *testing.T) {
	e, err := New(highway(200))
	require.NoError(t, err)
	require.Len(t, e.Net.Lanes, 4)
	require.Len(t, e.Vehicles, 200)
	run(t, e, 60*time.Second, func(*StepResult) {
		e.sortLanes()
		for li, ids := range e.lanes {
			for k := 1; k < len(ids); k++ {
				gap := e.Vehicles[ids[k]].S - e.Vehicles[ids[k-1]].S
				require.Greater(t, gap, 0.0, "lane %d", li)
			}
		}
	})
	mean := 0.0
	for _, v := range e.Vehicles {
		mean += v.Speed
	}
	mean /= float64(len(e.Vehicles))
	require.InDelta(t, 30, mean, 5, "free-flowing highway traffic near the 33 m/s limit")
}

func TestDeterministic(t *testing.T) {
	cfg := func(seed uint64) Config {
		c := highway(100,
			HazardSpec{Kind: StoppedVehicle, At: XY(200, -1.75), Start: 5 * time.Second},
			HazardSpec{Kind: Obstacle, At: XY(-500, 5), Start: 2 * time.Second})
		c.Seed = seed
		c.Sensors = []SensorSpec{{At: XY(0, 0), RangeM: 300}}
		return c
	}
	trace := func(seed uint64) (uint64, int, string) {
		e, err := New(cfg(seed))
		require.NoError(t, err)
		reports, objs := 0, ""
		run(t, e, 30*time.Second, func(r *StepResult) {
			reports += len(r.Reports)
			for _, rd := range r.Readings {
				for _, o := range rd.Objects {
					objs += fmt.Sprintf("%d:%.3f,%.3f ", o.ObjectID, o.Pos.X, o.Pos.Y)
				}
			}
		})
		return fingerprint(e), reports, fmt.Sprint(fnv64(objs))
	}
	a1, r1, o1 := trace(1)
	a2, r2, o2 := trace(1)
	b, _, ob := trace(2)
	require.Equal(t, a1, a2)
	require.Equal(t, r1, r2)
	require.Equal(t, o1, o2)
	require.NotEqual(t, a1, b)
	require.NotEqual(t, o1, ob)
}

func fnv64(s string) uint64 {
	h := fnv.New64a()
	h.Write([]byte(s))
	return h.Sum64()
}

func TestStoppedVehicleIsPassedOnTheOtherLane(t *testing.T) {
	e, err := New(highway(120, HazardSpec{Kind: StoppedVehicle, At: XY(0, -5.25), Start: time.Second}))
	require.NoError(t, err)
	hz := &e.Hazards[0]
	actor := &e.Vehicles[hz.Actor]
	require.True(t, actor.Connected)
	require.False(t, actor.Active)
	require.Equal(t, 0, e.Net.Lanes[hz.Lane].Index, "y=-5.25 is the outer eastbound lane")
	run(t, e, 90*time.Second, nil)
	require.True(t, actor.Active)
	require.Equal(t, 0.0, actor.Speed)
	moving := 0
	for _, v := range e.Vehicles {
		if v.Lane == hz.Lane && v.ID != actor.ID && v.S < hz.S && hz.S-v.S < 200 && v.Speed < 1 {
			continue
		}
		if v.Speed > 10 {
			moving++
		}
	}
	require.Greater(t, moving, 100, "traffic keeps moving: the blocked lane is left")
	for _, v := range e.Vehicles {
		if v.Lane == hz.Lane && v.ID != actor.ID {
			require.False(t, math.Abs(v.S-hz.S) < 3, "nobody drives through the stopped car")
		}
	}
}

func TestObstacleAndSlipperyReports(t *testing.T) {
	e, err := New(highway(200,
		HazardSpec{Kind: Obstacle, At: XY(0, -1.75), Start: time.Second, Reporters: 3},
		HazardSpec{Kind: SlipperyRoad, At: XY(500, 0), Start: time.Second}))
	require.NoError(t, err)
	got := map[int][]Report{}
	run(t, e, 60*time.Second, func(r *StepResult) {
		for _, rep := range r.Reports {
			got[rep.Hazard] = append(got[rep.Hazard], rep)
		}
	})
	require.Len(t, got[0], 3)
	require.Len(t, got[1], 2, "two vehicles report a slippery road")
	for _, rep := range got[0] {
		v := e.Vehicles[rep.Vehicle]
		require.True(t, v.Connected)
		require.EqualValues(t, 10, rep.Cause)
		require.Less(t, angleDiff(rep.Heading, 90), 1.0, "only eastbound vehicles see the eastbound obstacle")
	}
	require.NotEqual(t, got[1][0].Vehicle, got[1][1].Vehicle)
}

func TestRoadWorksAuthorityReports(t *testing.T) {
	e, err := New(highway(10, HazardSpec{Kind: RoadWorks, At: XY(100, 5), Start: 2 * time.Second, Duration: 3 * time.Second, CloseLane: true}))
	require.NoError(t, err)
	var reps []Report
	var started, ended []time.Duration
	run(t, e, 10*time.Second, func(r *StepResult) {
		reps = append(reps, r.Reports...)
		if len(r.Started) > 0 {
			started = append(started, r.T)
		}
		if len(r.Ended) > 0 {
			ended = append(ended, r.T)
		}
	})
	require.Len(t, reps, 2)
	require.Equal(t, -1, reps[0].Vehicle)
	require.False(t, reps[0].Terminate)
	require.True(t, reps[1].Terminate)
	require.Equal(t, []time.Duration{2 * time.Second}, started)
	require.Equal(t, []time.Duration{5 * time.Second}, ended)
}

func TestWrongWayDriverMovesAgainstTraffic(t *testing.T) {
	e, err := New(highway(50, HazardSpec{Kind: WrongWay, At: XY(1000, -1.75), Start: time.Second, Duration: 30 * time.Second}))
	require.NoError(t, err)
	hz := &e.Hazards[0]
	run(t, e, 11*time.Second, nil)
	v := e.Vehicles[hz.Actor]
	require.True(t, v.Active)
	require.InDelta(t, 270, v.Heading, 0.01)
	require.InDelta(t, 1000-250, v.Pos.X, 5, "25 m/s westbound for 10 s")
	require.InDelta(t, 90, hz.Heading, 0.01, "the affected traffic drives east")
	require.True(t, hz.Reached(Vec{v.Pos.X - 10, -5.25}, 90, 20))
	require.False(t, hz.Reached(Vec{v.Pos.X - 10, 5.25}, 270, 20), "the other carriageway is not concerned")
}

func TestPedestrianSeenBySensor(t *testing.T) {
	c := highway(20, HazardSpec{Kind: Pedestrian, At: XY(0, -3.5), Start: time.Second})
	c.Sensors = []SensorSpec{{At: XY(30, 10), RangeM: 100, Hz: 10}}
	e, err := New(c)
	require.NoError(t, err)
	peds := 0
	run(t, e, 5*time.Second, func(r *StepResult) {
		for _, rd := range r.Readings {
			for _, o := range rd.Objects {
				require.LessOrEqual(t, o.Pos.Dist(rd.Pos), 100+5.0)
				if o.Class == ClassPedestrian {
					peds++
					require.Less(t, o.Pos.Dist(e.Hazards[0].Pos), 3.0, "noise 0.5 m")
				}
			}
		}
	})
	require.Equal(t, 41, peds, "10 Hz from 1 s to 5 s")
}

func TestGridVehiclesTurn(t *testing.T) {
	e, err := New(Config{Origin: lyon, Seed: 3, Roads: []RoadSpec{{Grid: &GridSpec{Cols: 3, Rows: 3, BlockM: 150}}}, Traffic: Traffic{Vehicles: 30}})
	require.NoError(t, err)
	require.Len(t, e.Net.Lanes, 24)
	for _, l := range e.Net.Lanes {
		require.NotEmpty(t, l.Next)
		for _, n := range l.Next {
			require.Less(t, e.Net.Lanes[n].A.Dist(l.B), 10.0, "successors start where the lane ends")
			require.Less(t, angleDiff(e.Net.Lanes[n].Heading, l.Heading), 179.0, "no U-turn")
		}
	}
	lanes := map[int]bool{}
	run(t, e, 120*time.Second, func(*StepResult) {
		for _, v := range e.Vehicles {
			lanes[v.Lane] = true
		}
	})
	require.Greater(t, len(lanes), 20, "vehicles spread over the grid")
}

func TestExternalVehicles(t *testing.T) {
	share := 0.5
	e, err := New(Config{Origin: lyon, External: true, Traffic: Traffic{Connected: &share},
		Hazards: []HazardSpec{{Kind: StoppedVehicle, At: LatLon(45.761, 4.831), HeadingDeg: ptr(90.0)}}})
	require.NoError(t, err)
	e.SetExternal([]ExtState{{ID: "a", Pos: lyon, HeadingDeg: 90, SpeedMPS: 10}, {ID: "b", Pos: lyon}})
	e.Step()
	require.Len(t, e.Vehicles, 3)
	require.True(t, e.Vehicles[1].Active)
	e.SetExternal([]ExtState{{ID: "b", Pos: geo.Destination(lyon, 0, 100)}})
	require.False(t, e.Vehicles[1].Active)
	require.InDelta(t, 100, e.Vehicles[2].Pos.Y, 0.1)
	require.True(t, e.Vehicles[0].Static)
	require.True(t, e.Vehicles[0].Active)
}

func ptr[T any](v T) *T { return &v }

func TestConfigErrorsNameTheField(t *testing.T) {
	c := highway(10, HazardSpec{Kind: "meteor", At: XY(0, 0)}, HazardSpec{Kind: Obstacle, At: XY(0, 500)})
	c.Sensors = []SensorSpec{{At: XY(0, 0), RangeM: 5000}}
	_, err := New(c)
	require.Error(t, err)
	require.True(t, errors.Is(err, ErrConfig))
	require.ErrorContains(t, err, `hazards[0].kind: "meteor"`)
	require.ErrorContains(t, err, "sensors[0].range_m")
	c.Hazards = c.Hazards[1:]
	c.Sensors = nil
	_, err = New(c)
	require.ErrorContains(t, err, "hazards[0].at: 495 m from the nearest lane")
}

func TestWarnedVehicleSlowsDown(t *testing.T) {
	e, err := New(highway(2))
	require.NoError(t, err)
	run(t, e, 30*time.Second, nil)
	v := &e.Vehicles[0]
	free := v.Speed
	ahead := e.Point(v.Pos.Add(unit(v.Heading).Scale(1500)))
	behind := e.Point(v.Pos.Add(unit(v.Heading).Scale(-500)))
	require.False(t, e.Warn(v.ID, behind), "a hazard behind is ignored")
	require.True(t, e.Warn(v.ID, ahead))
	require.True(t, e.Warned(v.ID))
	run(t, e, 45*time.Second, nil)
	require.InDelta(t, free*e.Config().Traffic.ReactFactor, v.Speed, 3, "slowed to the react factor")
	e.Unwarn(v.ID)
	run(t, e, 75*time.Second, nil)
	require.InDelta(t, free, v.Speed, 2, "back to its desired speed")
}
