package detect

import (
	"math/rand/v2"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/michi-v2x/michi/pkg/geo"
)

func TestSlipperyNeedsIndependentReports(t *testing.T) {
	tests := []struct {
		name    string
		reports []Report
		opts    SlipperyOptions
		sources []string // nil = no finding
	}{
		{"one vehicle is not enough", []Report{report(1, 1, 6, base, t0)}, SlipperyOptions{}, nil},
		{"one vehicle twice is not enough", []Report{report(1, 1, 6, base, t0), report(1, 2, 6, north(50, 0), t0)}, SlipperyOptions{}, nil},
		{"two vehicles", []Report{report(1, 1, 6, base, t0), report(2, 1, 6, north(150, 0), t0)}, SlipperyOptions{},
			[]string{"station:1", "station:2"}},
		{"two vehicles too far apart", []Report{report(1, 1, 6, base, t0), report(2, 1, 6, north(250, 0), t0)}, SlipperyOptions{}, nil},
		{"two vehicles, different causes", []Report{report(1, 1, 6, base, t0), report(2, 1, 9, base, t0)}, SlipperyOptions{}, nil},
		{"two vehicles on surface condition", []Report{report(1, 1, 9, base, t0), report(2, 1, 9, base, t0)}, SlipperyOptions{},
			[]string{"station:1", "station:2"}},
		{"a road weather station alone", []Report{rsu(report(9, 1, 9, base, t0))}, SlipperyOptions{}, []string{"station:9"}},
		{"a road weather station needing confirmation", []Report{rsu(report(9, 1, 9, base, t0))},
			SlipperyOptions{RoadsideNeedsConfirmation: true}, nil},
		{"MinSources 3", []Report{report(1, 1, 6, base, t0), report(2, 1, 6, base, t0)}, SlipperyOptions{MinSources: 3}, nil},
		{"MinSources 1", []Report{report(1, 1, 6, base, t0)}, SlipperyOptions{MinSources: 1}, []string{"station:1"}},
		{"not a slippery cause", []Report{report(1, 1, 94, base, t0), report(2, 1, 94, base, t0)}, SlipperyOptions{}, nil},
		// Issue 14, item 2: reporters are credentials, not the station ids they claim.
		{"one credential under eight station ids", fromOne("car_1", 7001, 8), SlipperyOptions{}, nil},
		{"two credentials", []Report{by(report(1, 1, 6, base, t0), "car_1", false), by(report(2, 1, 6, base, t0), "car_2", false)},
			SlipperyOptions{}, []string{"station:1", "station:2"}},
		{"two credentials, one under eight ids", append(fromOne("car_1", 7001, 8), by(report(2, 1, 6, base, t0), "car_2", false)),
			SlipperyOptions{}, []string{"station:2", "station:7001"}},
		{"a vehicle credential claiming a roadside station", []Report{by(rsu(report(9, 1, 9, base, t0)), "car_1", false)}, SlipperyOptions{}, nil},
		{"a sensor credential alone", []Report{by(report(9, 1, 9, base, t0), "rsu_9", true)}, SlipperyOptions{}, []string{"station:9"}},
		{"a sensor credential needing confirmation", []Report{by(report(9, 1, 9, base, t0), "rsu_9", true)},
			SlipperyOptions{RoadsideNeedsConfirmation: true}, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			store := NewReports(ReportsOptions{})
			d := NewSlippery(store, tc.opts)
			for _, r := range tc.reports {
				store.Add(t0, r)
			}
			fs := d.Detect(t0, nil)
			if tc.sources == nil {
				require.Empty(t, fs)
				return
			}
			f := only(t, fs)
			require.Equal(t, tc.sources, f.Sources)
			require.Equal(t, tc.reports[0].Cause, f.Cause)
		})
	}
}

// by marks r as a report that came with a credential of that identity, trusted or not.
func by(r Report, reporter string, trusted bool) Report {
	r.Reporter, r.Trusted = reporter, trusted
	return r
}

// fromOne is n slippery-road reports a few metres apart from one credential, each under a
// station id of its own counting up from first.
func fromOne(reporter string, first uint32, n int) []Report {
	var out []Report
	for i := range n {
		out = append(out, by(report(first+uint32(i), 1, 6, north(float64(i)*5, 0), t0), reporter, false))
	}
	return out
}

func TestSlipperyConfirmationAndWithdrawal(t *testing.T) {
	store := NewReports(ReportsOptions{})
	d := NewSlippery(store, SlipperyOptions{})
	store.Add(t0, report(1, 1, 6, base, t0))
	require.Empty(t, d.Detect(t0, nil))
	require.Empty(t, store.Detect(t0, nil), "the reports detector leaves 6 and 9 alone")

	store.Add(t0.Add(time.Second), report(2, 1, 6, north(60, 0), t0.Add(time.Second)))
	f := only(t, d.Detect(t0.Add(time.Second), nil))
	require.InDelta(t, 30, geo.Distance(base, f.Pos), 0.1)

	// A third confirms further; then two cancel: below MinSources, the finding is withdrawn at once.
	store.Add(t0.Add(2*time.Second), report(3, 1, 6, north(-60, 0), t0.Add(2*time.Second)))
	require.Len(t, only(t, d.Detect(t0.Add(2*time.Second), nil)).Sources, 3)
	for _, s := range []uint32{2, 3} {
		c := report(s, 1, 6, base, t0.Add(3*time.Second))
		c.Terminated = true
		store.Add(t0.Add(3*time.Second), c)
	}
	fs := d.Detect(t0.Add(3*time.Second), nil)
	require.Empty(t, keys(fs))
	require.Equal(t, []string{f.Key}, terminated(fs))
}

func TestSlipperyOptionsValidate(t *testing.T) {
	o := SlipperyOptions{MinSources: -1, ClusterRadiusM: -3}
	err := o.Validate()
	require.ErrorContains(t, err, "min_sources")
	require.ErrorContains(t, err, "cluster_radius_m")
	ok := SlipperyOptions{}
	require.NoError(t, ok.Validate())
	require.Equal(t, []uint8{6, 9}, ok.Causes)
	require.Equal(t, 2, ok.MinSources)
}

func BenchmarkSlippery(b *testing.B) {
	store := NewReports(ReportsOptions{})
	rng := rand.New(rand.NewPCG(5, 6))
	for i := range 2000 { // 2,000 vehicles reporting 400 slippery spots
		p := geo.Destination(north(float64(i%400)*100, 0), rng.Float64()*360, rng.Float64()*50)
		store.Add(t0, report(uint32(i+1), 1, 6, p, t0))
	}
	d := NewSlippery(store, SlipperyOptions{})
	b.ReportAllocs()
	for b.Loop() {
		d.Detect(t0.Add(time.Second), nil)
	}
}
