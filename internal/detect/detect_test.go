package detect

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/michi-v2x/michi/internal/hazard"
)

func names(ds []Detector) []string {
	var out []string
	for _, d := range ds {
		out = append(out, d.Name())
	}
	return out
}

func TestBuild(t *testing.T) {
	store, overReports, overLDM := Build(Options{})
	require.NotNil(t, store)
	require.Equal(t, []string{NameReports, NameSlippery}, names(overReports))
	require.Equal(t, []string{NameStationary, NameWrongWay, NameEndOfQueue, NameCollision, NameHuman}, names(overLDM))
	require.Equal(t, Names(), append(names(overReports), names(overLDM)...))

	store, overReports, overLDM = Build(Options{Disable: []string{NameSlippery, NameWrongWay}})
	require.NotNil(t, store)
	require.Equal(t, []string{NameReports}, names(overReports))
	require.NotContains(t, names(overLDM), NameWrongWay)

	// Slippery owns the causes it is given; the reports detector leaves exactly those.
	store, _, _ = Build(Options{Slippery: SlipperyOptions{Causes: []uint8{6, 7, 9}}})
	require.Equal(t, []uint8{6, 7, 9}, store.o.ExcludeCauses)
}

func TestOptionsValidate(t *testing.T) {
	o := Options{Disable: []string{"nope"}, Collision: CollisionOptions{MinDistM: -1}, Human: HumanOptions{MaxAge: -1}}
	err := o.Validate()
	require.ErrorContains(t, err, `unknown detector "nope"`)
	require.ErrorContains(t, err, "collision.min_dist_m")
	require.ErrorContains(t, err, "human.max_age")
	ok := Options{Disable: []string{NameHuman}}
	require.NoError(t, ok.Validate())
}

// TestReportsAndStationaryMakeOneHazard runs detectors into a real hazard manager: a vehicle's own
// DENM, a second vehicle's report and the stationary detector all describe one broken-down car.
func TestReportsAndStationaryMakeOneHazard(t *testing.T) {
	mgr := hazard.New(hazard.Options{StationID: 4242})
	store, overReports, overLDM := Build(Options{})
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

	// 10 s stopped with traffic flowing past: the stationary detector joins, no new source.
	now = stoppedCar(m, 12*time.Second)
	for i, y := range []float64{-120, -60, 40} {
		car(m, uint32(20+i), on(90, y, 3.5), 25, 90, now)
	}
	evs = round(now)
	require.Len(t, evs, 1)
	require.Equal(t, id, evs[0].Hazard.ActionID)
	require.Equal(t, []string{"reports", "stationary"}, evs[0].Hazard.Detectors)
	require.Equal(t, uint8(2), evs[0].Hazard.InformationQuality)
	require.Equal(t, 1, mgr.Len())
}
