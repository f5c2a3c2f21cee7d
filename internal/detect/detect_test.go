package detect

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/michi-v2x/michi/internal/hazard"
	"github.com/michi-v2x/michi/internal/ldm"
	"github.com/michi-v2x/michi/internal/road"
	"github.com/michi-v2x/michi/pkg/geo"
)

func names(ds []Detector) []string {
	var out []string
	for _, d := range ds {
		out = append(out, d.Name())
	}
	return out
}

func TestBuild(t *testing.T) {
	store, overReports, overLDM := Build(Options{}, nil)
	require.NotNil(t, store)
	require.Equal(t, []string{NameReports, NameSlippery}, names(overReports))
	require.Equal(t, []string{NameStationary, NameWrongWay, NameEndOfQueue, NameHuman}, names(overLDM), "collision is off by default")

	_, overReports, overLDM = Build(Options{Enable: []string{NameCollision}}, nil)
	require.Equal(t, Names(), append(names(overReports), names(overLDM)...))

	store, overReports, overLDM = Build(Options{Disable: []string{NameSlippery, NameWrongWay}}, nil)
	require.NotNil(t, store)
	require.Equal(t, []string{NameReports}, names(overReports))
	require.NotContains(t, names(overLDM), NameWrongWay)

	// Slippery owns the causes it is given; the reports detector leaves exactly those.
	store, _, _ = Build(Options{Slippery: SlipperyOptions{Causes: []uint8{6, 7, 9}}}, nil)
	require.Equal(t, []uint8{6, 7, 9}, store.o.ExcludeCauses)
}

func TestOptionsValidate(t *testing.T) {
	o := Options{Disable: []string{"nope"}, Enable: []string{"neither"}, Collision: CollisionOptions{MinDistM: -1}, Human: HumanOptions{MaxAge: -1}}
	err := o.Validate()
	require.ErrorContains(t, err, `unknown detector "nope"`)
	require.ErrorContains(t, err, `unknown detector "neither"`)
	require.ErrorContains(t, err, "collision.min_dist_m")
	require.ErrorContains(t, err, "human.max_age")
	ok := Options{Disable: []string{NameHuman}}
	require.NoError(t, ok.Validate())
}

// TestReportsAndStationaryMakeOneHazard runs detectors into a real hazard manager: a vehicle's own
// DENM, a second vehicle's report and the stationary detector all describe one broken-down car.
func TestReportsAndStationaryMakeOneHazard(t *testing.T) {
	mgr := hazard.New(hazard.Options{StationID: 4242})
	md := road.New(road.Options{})
	teach(t, md, 90, 400, eastLanes...)
	store, overReports, overLDM := Build(Options{}, md)
	m := newMap()
	round := func(now time.Time) []hazard.Event {
		var evs []hazard.Event
		for _, d := range append(overReports, overLDM...) {
			evs = append(evs, mgr.Apply(now, d.Name(), d.Detect(now, m))...)
		}
		return append(evs, mgr.Tick(now)...)
	}

	// The car stops and reports itself.
	now := stoppedCar(m, 2*time.Second)
	store.Add(now, report(1, 1, CauseStationaryVehicle, base, now))
	evs := round(now)
	require.Len(t, evs, 1)
	require.Equal(t, hazard.Created, evs[0].Kind)
	id := evs[0].Hazard.ActionID
	require.Equal(t, uint8(1), evs[0].Hazard.InformationQuality)

	// A passing car confirms it: same hazard, quality 2.
	now = now.Add(time.Second)
	store.Add(now, report(2, 9, CauseStationaryVehicle, on(90, -15, 0), now))
	evs = round(now)
	require.Len(t, evs, 1)
	require.Equal(t, hazard.Updated, evs[0].Kind)
	require.Equal(t, id, evs[0].Hazard.ActionID)
	require.Equal(t, []string{"station:1", "station:2"}, evs[0].Hazard.Sources)
	require.Equal(t, uint8(2), evs[0].Hazard.InformationQuality)

	// 10 s stopped with traffic going past (or on open road the model long knew, as here): the
	// stationary detector joins once, no new source.
	now = stoppedCar(m, 12*time.Second)
	car(m, 20, on(90, -60, 5.25), 25, 90, now)
	evs = round(now)
	now = now.Add(3 * time.Second)
	stoppedCar(m, 15*time.Second)
	car(m, 20, on(90, 15, 5.25), 25, 90, now)
	evs = append(evs, round(now)...)
	require.Len(t, evs, 1)
	require.Equal(t, id, evs[0].Hazard.ActionID)
	require.Equal(t, []string{"reports", "stationary"}, evs[0].Hazard.Detectors)
	require.Equal(t, uint8(2), evs[0].Hazard.InformationQuality)
	require.Equal(t, 1, mgr.Len())
}

// BenchmarkDetectionRound is one detection round of the edge at 5,000 tracked vehicles on 10 km
// of a six-lane road: the road model learns the round's moves, then every default detector over
// the LDM runs (DESIGN: ≤ 20 ms).
func BenchmarkDetectionRound(b *testing.B) {
	md := benchModel(b)
	_, _, overLDM := Build(Options{}, md)
	m := highway(b, 5000, 10000)
	var vs []ldm.VehicleState
	now := t0
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		b.StopTimer()
		now = now.Add(200 * time.Millisecond)
		vs = vs[:0]
		m.Each(func(o *ldm.Object) bool {
			if o.StationID != 0 {
				vs = append(vs, ldm.VehicleState{StationID: o.StationID, StationType: 5, SpeedMPS: o.SpeedMPS,
					HeadingDeg: o.HeadingDeg, HeadingOK: o.HeadingOK, At: now,
					Pos: geo.Destination(o.Pos, o.HeadingDeg, o.SpeedMPS*0.2)})
			}
			return true
		})
		for _, v := range vs {
			m.UpdateVehicle(v)
		}
		b.StartTimer()
		md.Learn(now, m)
		for _, d := range overLDM {
			d.Detect(now, m)
		}
	}
}
