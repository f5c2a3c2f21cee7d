package detect

import (
	"math/rand/v2"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/michi-v2x/michi/pkg/geo"
	"github.com/michi-v2x/michi/pkg/v2x"
)

func report(station uint32, seq uint16, cause uint8, p geo.Point, ref time.Time) Report {
	return Report{
		From:      v2x.ActionID{OriginatingStationID: station, SequenceNumber: seq},
		StationID: station, StationType: 5, Cause: cause, Pos: p,
		Detection: ref, Reference: ref, Validity: time.Minute,
	}
}

func TestReportsAcceptedOnFirstReport(t *testing.T) {
	r := NewReports(ReportsOptions{})
	rep := report(1, 7, 91, base, t0)
	rep.SubCause, rep.HeadingDeg, rep.HasHeading = 2, 45, true
	r.Add(t0, rep)
	f := only(t, r.Detect(t0, nil))
	require.Equal(t, "r:1/7", f.Key)
	require.Equal(t, uint8(91), f.Cause)
	require.Equal(t, uint8(2), f.SubCause)
	require.Equal(t, base, f.Pos)
	require.True(t, f.HasHeading)
	require.InDelta(t, 45, f.HeadingDeg, 1e-9)
	require.Equal(t, time.Minute, f.Validity)
	require.Equal(t, []string{"station:1"}, f.Sources)
}

func TestReportsClustering(t *testing.T) {
	tests := []struct {
		name    string
		reports []Report
		sources [][]string // per finding, in order of cause, then detection time
	}{
		{"two vehicles, one event", []Report{report(1, 1, 94, base, t0), report(2, 1, 94, north(40, 0), t0)},
			[][]string{{"station:1", "station:2"}}},
		{"one vehicle reporting twice", []Report{report(1, 1, 94, base, t0), report(1, 2, 94, north(10, 0), t0)},
			[][]string{{"station:1"}}},
		{"a roadside station counts", []Report{report(1, 1, 94, base, t0), rsu(report(9, 1, 94, north(10, 0), t0))},
			[][]string{{"station:1", "station:9"}}},
		{"300 m apart", []Report{report(1, 1, 94, base, t0), report(2, 1, 94, north(300, 0), t0)},
			[][]string{{"station:1"}, {"station:2"}}},
		{"other cause", []Report{report(1, 1, 94, base, t0), report(2, 1, 91, base, t0)},
			[][]string{{"station:2"}, {"station:1"}}}, // by cause
		{"opposite carriageways", []Report{heading(report(1, 1, 94, base, t0), 0), heading(report(2, 1, 94, north(0, -10), t0), 180)},
			[][]string{{"station:1"}, {"station:2"}}},
		{"one without heading joins", []Report{heading(report(1, 1, 94, base, t0), 0), report(2, 1, 94, north(0, -10), t0)},
			[][]string{{"station:1", "station:2"}}},
		{"slippery is not ours", []Report{report(1, 1, 6, base, t0), report(2, 1, 9, base, t0)}, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := NewReports(ReportsOptions{})
			for _, rep := range tc.reports {
				r.Add(t0, rep)
			}
			fs := r.Detect(t0, nil)
			require.Len(t, fs, len(tc.sources))
			for i := range fs {
				require.Equal(t, tc.sources[i], fs[i].Sources)
			}
		})
	}
}

func rsu(r Report) Report { r.StationType = stationTypeRSU; return r }

// Issue 14, item 2: one credential is one source however many station ids it reports under, and
// its action ids are its own: another credential's report of the same action_id neither updates
// nor cancels it.
func TestReportsCountCredentials(t *testing.T) {
	r := NewReports(ReportsOptions{})
	for _, rep := range fromOne("car_1", 7001, 8) {
		rep.Cause = 94
		r.Add(t0, rep)
	}
	f := only(t, r.Detect(t0, nil))
	require.Equal(t, []string{"station:7001"}, f.Sources, "eight station ids, one credential")

	r = NewReports(ReportsOptions{})
	r.Add(t0, by(report(1, 1, 94, base, t0), "car_1", false))
	forged := by(report(1, 1, 94, base, t0.Add(time.Second)), "car_2", false) // car_1's action id
	forged.Terminated = true
	r.Add(t0.Add(time.Second), forged)
	require.Equal(t, 1, r.Len())
	f = only(t, r.Detect(t0.Add(time.Second), nil))
	require.Equal(t, []string{"station:1"}, f.Sources)
	r.Add(t0.Add(time.Second), by(report(2, 1, 94, north(30, 0), t0.Add(time.Second)), "car_2", false))
	f = only(t, r.Detect(t0.Add(time.Second), nil))
	require.Equal(t, []string{"station:1", "station:2"}, f.Sources)
	require.Equal(t, 2, r.Len())
}

func heading(r Report, deg float64) Report { r.HeadingDeg, r.HasHeading = deg, true; return r }

func TestReportsLifecycle(t *testing.T) {
	r := NewReports(ReportsOptions{})
	r.Add(t0, report(1, 1, 94, base, t0))
	key := only(t, r.Detect(t0, nil)).Key

	// An update moves the event; an older version arriving late changes nothing.
	r.Add(t0, report(1, 1, 94, north(20, 0), t0.Add(2*time.Second)))
	r.Add(t0, report(1, 1, 94, north(90, 0), t0.Add(time.Second)))
	f := only(t, r.Detect(t0.Add(3*time.Second), nil))
	require.Equal(t, key, f.Key)
	require.InDelta(t, 0, geo.Distance(f.Pos, north(20, 0)), 0.01)

	// A second reporter joins: same key. The first cancels: still the same key.
	r.Add(t0, report(2, 5, 94, north(30, 0), t0.Add(3*time.Second)))
	require.Equal(t, []string{key}, keys(r.Detect(t0.Add(3*time.Second), nil)))
	cancel := report(1, 1, 94, north(20, 0), t0.Add(4*time.Second))
	cancel.Terminated = true
	r.Add(t0.Add(4*time.Second), cancel)
	f = only(t, r.Detect(t0.Add(4*time.Second), nil))
	require.Equal(t, key, f.Key)
	require.Equal(t, []string{"station:2"}, f.Sources)

	// The cancelled report cannot come back with an older version.
	r.Add(t0.Add(5*time.Second), report(1, 1, 94, north(20, 0), t0.Add(3500*time.Millisecond)))
	require.Equal(t, 1, r.Len())

	// The second report expires (detection + 60 s): the event is over at once.
	fs := r.Detect(t0.Add(63*time.Second), nil)
	require.Empty(t, keys(fs))
	require.Equal(t, []string{key}, terminated(fs))
	require.Empty(t, r.Detect(t0.Add(64*time.Second), nil), "a termination is said once")
	require.Zero(t, r.Len())
}

func TestReportsDropsExpiredAndInvalid(t *testing.T) {
	r := NewReports(ReportsOptions{})
	r.Add(t0.Add(time.Hour), report(1, 1, 94, base, t0)) // expired on arrival
	r.Add(t0, report(2, 1, 94, geo.Point{Lat: 100}, t0))
	noValidity := report(3, 1, 94, base, t0)
	noValidity.Validity = 0
	r.Add(t0, noValidity)
	require.Equal(t, 1, r.Len())
	require.Len(t, r.Detect(t0.Add(599*time.Second), nil), 1, "default validity 600 s")
	require.Empty(t, keys(r.Detect(t0.Add(600*time.Second), nil)))
}

func TestReportsBounded(t *testing.T) {
	r := NewReports(ReportsOptions{MaxReports: 3})
	for i := range 5 {
		rep := report(uint32(i+1), 1, 94, north(float64(i)*500, 0), t0)
		rep.Validity = time.Duration(10-i) * time.Minute // the first expires last
		r.Add(t0, rep)
	}
	require.Equal(t, 3, r.Len())
	var got []string
	for _, f := range r.Detect(t0, nil) {
		got = append(got, f.Sources...)
	}
	require.ElementsMatch(t, []string{"station:1", "station:2", "station:5"}, got, "the ones expiring first made room")
}

func TestReportsOptionsValidate(t *testing.T) {
	o := ReportsOptions{ClusterRadiusM: -1, MaxReports: -1}
	err := o.Validate()
	require.ErrorContains(t, err, "cluster_radius_m")
	require.ErrorContains(t, err, "max_reports")
	ok := ReportsOptions{}
	require.NoError(t, ok.Validate())
	require.Equal(t, []uint8{6, 9}, ok.ExcludeCauses)
}

func BenchmarkReports(b *testing.B) {
	r := NewReports(ReportsOptions{})
	rng := rand.New(rand.NewPCG(3, 4))
	for i := range 2000 { // 2,000 vehicles reporting 200 events
		ev := i % 200
		p := geo.Destination(north(float64(ev)*50, 0), rng.Float64()*360, rng.Float64()*30)
		r.Add(t0, report(uint32(i+1), 1, uint8(91+ev%4), p, t0))
	}
	b.ReportAllocs()
	for b.Loop() {
		r.Detect(t0.Add(time.Second), nil)
	}
}
