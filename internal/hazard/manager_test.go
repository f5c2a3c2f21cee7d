package hazard

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/michi-v2x/michi/pkg/geo"
	"github.com/michi-v2x/michi/pkg/v2x"
)

const edgeID = 4242

var (
	t0   = time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)
	base = geo.Point{Lat: 48.8566, Lon: 2.3522}
)

// at is a point distM from base on the given bearing.
func at(bearing, distM float64) geo.Point { return geo.Destination(base, bearing, distM) }

func newManager(t testing.TB, o Options) *Manager {
	t.Helper()
	if o.StationID == 0 {
		o.StationID = edgeID
	}
	require.NoError(t, o.Validate())
	return New(o)
}

func finding(key string, cause uint8, p geo.Point, sources ...string) Finding {
	return Finding{Key: key, Cause: cause, Pos: p, Sources: sources}
}

func kinds(evs []Event) []EventKind {
	out := make([]EventKind, len(evs))
	for i, e := range evs {
		out[i] = e.Kind
	}
	return out
}

func TestCreate(t *testing.T) {
	m := newManager(t, Options{})
	evs := m.Apply(t0, "stationary", []Finding{{
		Key: "station:7", Cause: 94, Pos: base, HeadingDeg: 90, HasHeading: true, Sources: []string{"station:7"},
	}})
	require.Equal(t, []EventKind{Created}, kinds(evs))
	h := evs[0].Hazard
	require.Equal(t, v2x.ActionID{OriginatingStationID: edgeID, SequenceNumber: 1}, h.ActionID)
	require.Equal(t, uint8(94), h.Cause)
	require.Equal(t, base, h.Pos)
	require.True(t, h.HasHeading)
	require.InDelta(t, 90, h.HeadingDeg, 1e-9)
	require.Equal(t, 500.0, h.RadiusM, "table radius of 94")
	require.Equal(t, v2x.DirectionUpstream, h.Direction, "table direction of 94")
	require.Equal(t, 600*time.Second, h.Validity)
	require.Equal(t, uint8(1), h.InformationQuality)
	require.Equal(t, []string{"station:7"}, h.Sources)
	require.Equal(t, []string{"stationary"}, h.Detectors)
	require.Equal(t, StateActive, h.State)
	require.Equal(t, t0, h.Detection)
	require.Equal(t, t0, h.Reference)
	require.Equal(t, t0, h.FirstDetected)
	require.Equal(t, t0.Add(600*time.Second), h.Expiry())

	got, ok := m.Get(h.ActionID)
	require.True(t, ok)
	require.Equal(t, h, got)
	require.Equal(t, []Hazard{h}, m.Active())
	require.Equal(t, 1, m.Len())
}

func TestFindingDefaultsAndOverrides(t *testing.T) {
	m := newManager(t, Options{DefaultValidity: 300 * time.Second})
	evs := m.Apply(t0, "d", []Finding{
		{Key: "a", Cause: 97, Pos: base},         // table: 200 m, 10 s
		{Key: "b", Cause: 200, Pos: at(0, 1000)}, // unknown cause: 500 m, options validity
		{Key: "c", Cause: 94, Pos: at(90, 1000), RadiusM: 42, Validity: time.Minute, Direction: 3}, // finding wins
	})
	require.Len(t, evs, 3)
	a, b, c := evs[0].Hazard, evs[1].Hazard, evs[2].Hazard
	require.Equal(t, 200.0, a.RadiusM)
	require.Equal(t, 10*time.Second, a.Validity)
	require.Equal(t, []string{"detector:d"}, a.Sources, "no sources = the detector itself")
	require.Equal(t, float64(DefaultRadiusM), b.RadiusM)
	require.Equal(t, 300*time.Second, b.Validity)
	require.Equal(t, v2x.DirectionAll, b.Direction)
	require.Equal(t, 42.0, c.RadiusM)
	require.Equal(t, time.Minute, c.Validity)
	require.Equal(t, v2x.TrafficDirection(3), c.Direction)

	m2 := newManager(t, Options{Causes: map[uint8]CauseDefaults{97: {RadiusM: 77}}})
	evs = m2.Apply(t0, "d", []Finding{{Key: "a", Cause: 97, Pos: base}})
	require.Equal(t, 77.0, evs[0].Hazard.RadiusM, "Options.Causes replaces the table entry")
	require.Equal(t, 600*time.Second, evs[0].Hazard.Validity, "replaced entry's zero validity = options default")
}

func TestWithinNearestFirst(t *testing.T) {
	m := newManager(t, Options{})
	m.Apply(t0, "d", []Finding{finding("far", 94, at(0, 300)), finding("near", 91, at(90, 100)), finding("out", 94, at(0, 2000))})
	hs := m.Within(base, 500)
	require.Len(t, hs, 2)
	require.Equal(t, uint8(91), hs[0].Cause)
	require.Equal(t, uint8(94), hs[1].Cause)
}

func TestIgnoredFindings(t *testing.T) {
	m := newManager(t, Options{})
	require.Empty(t, m.Apply(t0, "d", []Finding{
		{Key: "", Cause: 94, Pos: base},
		{Key: "nan", Cause: 94, Pos: geo.Point{Lat: 91, Lon: 0}},
	}))
	require.Zero(t, m.Len())
}

func TestReturnedHazardsAreCopies(t *testing.T) {
	m := newManager(t, Options{})
	src := []string{"station:1"}
	evs := m.Apply(t0, "d", []Finding{finding("k", 94, base, src...)})
	src[0] = "mutated"
	evs[0].Hazard.Sources[0] = "mutated too"
	h := m.Active()[0]
	require.Equal(t, []string{"station:1"}, h.Sources)
}

func TestConcurrentUse(t *testing.T) {
	m := newManager(t, Options{ClearAfter: 50 * time.Millisecond})
	var wg sync.WaitGroup
	for d := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			det := fmt.Sprint("det", d)
			for i := range 300 {
				now := t0.Add(time.Duration(i) * 10 * time.Millisecond)
				var fs []Finding
				for k := range 5 {
					if (i/20+k)%3 != 0 {
						fs = append(fs, finding(fmt.Sprint(k), 94, at(float64(k*70), float64(30*d+k*200)),
							fmt.Sprint("station:", d*10+k)))
					}
				}
				m.Apply(now, det, fs)
			}
		}()
	}
	wg.Add(1)
	go func() {
		defer wg.Done()
		for i := range 300 {
			now := t0.Add(time.Duration(i) * 10 * time.Millisecond)
			m.Tick(now)
			for _, h := range m.Within(base, 2000) {
				_, _ = m.Get(h.ActionID)
			}
			_ = m.Active()
			_ = m.Recent()
		}
	}()
	wg.Wait()
	m.Tick(t0.Add(time.Hour))
	require.Zero(t, m.Len())
	require.Empty(t, m.byDet["det0"])
}

func BenchmarkApply(b *testing.B) {
	m := newManager(b, Options{})
	fs := make([]Finding, 200)
	for i := range fs {
		fs[i] = finding(fmt.Sprint(i), 94, at(float64(i), float64(i)*100), "station:1")
	}
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		m.Apply(t0.Add(time.Duration(i)*200*time.Millisecond), "d", fs)
	}
}
