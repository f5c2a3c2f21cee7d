package hazard

import (
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/michi-v2x/michi/pkg/geo"
)

func TestUpdateOnlyWhenMeaningful(t *testing.T) {
	m := newManager(t, Options{})
	f := Finding{Key: "k", Cause: 94, Pos: base, HeadingDeg: 10, HasHeading: true, Sources: []string{"station:1"}}
	require.Len(t, m.Apply(t0, "d", []Finding{f}), 1)

	tests := []struct {
		name   string
		change func(f *Finding)
		update bool
	}{
		{"nothing", func(*Finding) {}, false},
		{"moved 3 m", func(f *Finding) { f.Pos = geo.Destination(base, 0, 3) }, false},
		{"moved 8 m", func(f *Finding) { f.Pos = geo.Destination(base, 0, 8) }, true},
		{"heading +10°", func(f *Finding) { f.HeadingDeg = 20 }, false},
		{"heading +30°", func(f *Finding) { f.HeadingDeg = 40 }, true},
		{"heading lost", func(f *Finding) { f.HasHeading = false }, true},
		{"sub-cause", func(f *Finding) { f.SubCause = 2 }, true},
		{"radius", func(f *Finding) { f.RadiusM = 900 }, true},
		{"validity", func(f *Finding) { f.Validity = time.Minute }, true},
		{"direction", func(f *Finding) { f.Direction = 3 }, true},
		{"same sources reordered", func(f *Finding) { f.Sources = []string{"station:1", "station:1"} }, false},
		{"a new source", func(f *Finding) { f.Sources = []string{"station:1", "sensor:9"} }, true},
	}
	now := t0
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			now = now.Add(200 * time.Millisecond)
			g := f
			tc.change(&g)
			evs := m.Apply(now, "d", []Finding{g})
			if !tc.update {
				require.Empty(t, evs)
				return
			}
			require.Equal(t, []EventKind{Updated}, kinds(evs))
			require.Equal(t, now, evs[0].Hazard.Reference)
			require.Equal(t, now, evs[0].Hazard.Detection)
			require.Equal(t, uint16(1), evs[0].Hazard.ActionID.SequenceNumber, "same action_id")
			// back to the original for the next case
			now = now.Add(200 * time.Millisecond)
			require.Len(t, m.Apply(now, "d", []Finding{f}), 1)
		})
	}
}

func TestSlowDriftIsPublishedOnceItAddsUp(t *testing.T) {
	m := newManager(t, Options{})
	m.Apply(t0, "d", []Finding{finding("k", 27, base)})
	var updates int
	for i := 1; i <= 10; i++ { // 1 m per round, published when > 5 m from the last version
		evs := m.Apply(t0.Add(time.Duration(i)*time.Second), "d", []Finding{finding("k", 27, at(0, float64(i)))})
		updates += len(evs)
		if len(evs) > 0 {
			require.InDelta(t, float64(i), geo.Distance(base, evs[0].Hazard.Pos), 0.01)
		}
	}
	require.Equal(t, 1, updates)
}

func TestMergeTwoReportsRaisesQuality(t *testing.T) {
	m := newManager(t, Options{})
	evs := m.Apply(t0, "reports", []Finding{finding("r:1", 94, base, "station:1")})
	require.Equal(t, []EventKind{Created}, kinds(evs))
	id := evs[0].Hazard.ActionID

	// A second detector sees the same event 20 m away: one hazard, two sources, quality 2.
	evs = m.Apply(t0.Add(time.Second), "stationary", []Finding{finding("station:2", 94, at(0, 20), "station:2")})
	require.Equal(t, []EventKind{Updated}, kinds(evs))
	h := evs[0].Hazard
	require.Equal(t, id, h.ActionID)
	require.Equal(t, []string{"station:1", "station:2"}, h.Sources)
	require.Equal(t, []string{"reports", "stationary"}, h.Detectors)
	require.Equal(t, uint8(2), h.InformationQuality)
	require.InDelta(t, 10, geo.Distance(base, h.Pos), 0.1, "position = mean of the keys")
	require.True(t, h.Reference.After(t0))
	require.Equal(t, 1, m.Len())

	// The same station seen by a third detector is not an independent source.
	evs = m.Apply(t0.Add(2*time.Second), "other", []Finding{finding("x", 94, at(180, 5), "station:2")})
	require.Equal(t, uint8(2), evs[0].Hazard.InformationQuality)
	require.Equal(t, []string{"other", "reports", "stationary"}, evs[0].Hazard.Detectors)
}

func TestConfirmBySecondSource(t *testing.T) {
	m := newManager(t, Options{})
	f := finding("station:1", 94, base, "station:1")
	evs := m.Apply(t0, "stationary", []Finding{f})
	require.Equal(t, uint8(1), evs[0].Hazard.InformationQuality)

	// A roadside sensor now sees the same vehicle: the same key gains a source.
	f.Sources = []string{"station:1", "station:77"}
	evs = m.Apply(t0.Add(200*time.Millisecond), "stationary", []Finding{f})
	require.Equal(t, []EventKind{Updated}, kinds(evs))
	require.Equal(t, uint8(2), evs[0].Hazard.InformationQuality)

	// And a vehicle's report of it merges in: three independent stations.
	evs = m.Apply(t0.Add(400*time.Millisecond), "reports", []Finding{finding("r:5/1", 94, at(270, 30), "station:5")})
	require.Equal(t, []EventKind{Updated}, kinds(evs))
	require.Equal(t, []string{"station:1", "station:5", "station:77"}, evs[0].Hazard.Sources)
	require.Equal(t, uint8(3), evs[0].Hazard.InformationQuality)
}

func TestMergeInOneRound(t *testing.T) {
	m := newManager(t, Options{})
	var fs []Finding
	for i := range 9 {
		fs = append(fs, finding(fmt.Sprint(i), 94, at(float64(i*40), 10), fmt.Sprint("station:", i)))
	}
	evs := m.Apply(t0, "reports", fs)
	require.Equal(t, []EventKind{Created}, kinds(evs), "one hazard, created once with everything")
	require.Len(t, evs[0].Hazard.Sources, 9)
	require.Equal(t, uint8(7), evs[0].Hazard.InformationQuality, "capped at 7")
}

func TestNoMerge(t *testing.T) {
	tests := []struct {
		name string
		a, b Finding
	}{
		{"other cause", finding("a", 94, base), finding("b", 91, at(0, 5))},
		{"beyond merge radius", finding("a", 94, base), finding("b", 94, at(0, 60))},
		{"collision risks 15 m apart", finding("a", 97, base), finding("b", 97, at(0, 15))},
		{"opposite carriageways",
			Finding{Key: "a", Cause: 94, Pos: base, HeadingDeg: 0, HasHeading: true},
			Finding{Key: "b", Cause: 94, Pos: at(90, 12), HeadingDeg: 180, HasHeading: true}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m := newManager(t, Options{})
			require.Len(t, m.Apply(t0, "d", []Finding{tc.a}), 1)
			evs := m.Apply(t0, "e", []Finding{tc.b})
			require.Equal(t, []EventKind{Created}, kinds(evs))
			require.Equal(t, uint16(2), evs[0].Hazard.ActionID.SequenceNumber)
			require.Equal(t, 2, m.Len())
		})
	}
}

// One event on an undivided road seen from both sides is one hazard: a stopped car (heading
// north) and an oncoming driver's report of it (heading south) 3 m across and 10 m along.
func TestMergeBothDirectionsOfAnUndividedRoad(t *testing.T) {
	m := newManager(t, Options{})
	a := Finding{Key: "a", Cause: 94, Pos: base, HeadingDeg: 0, HasHeading: true}
	b := Finding{Key: "b", Cause: 94, Pos: geo.Destination(at(90, 3), 0, 10), HeadingDeg: 180, HasHeading: true}
	require.Len(t, m.Apply(t0, "d", []Finding{a}), 1)
	evs := m.Apply(t0, "e", []Finding{b})
	require.Equal(t, []EventKind{Updated}, kinds(evs))
	require.Equal(t, 1, m.Len())
	require.False(t, evs[0].Hazard.HasHeading, "traffic from either side is concerned")

	// The rule off: two hazards, as on a divided road.
	m = newManager(t, Options{MaxOppositeLateralM: -1})
	require.Len(t, m.Apply(t0, "d", []Finding{a}), 1)
	require.Equal(t, []EventKind{Created}, kinds(m.Apply(t0, "e", []Finding{b})))
}
