package detect

import (
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/michi-v2x/michi/internal/hazard"
	"github.com/michi-v2x/michi/pkg/geo"
)

// TestReportsOfOneEventMakeOneHazard (issue 13) runs two vehicles' reports through the reports
// detector into a hazard manager, as the edge does, for each road geometry and each way the
// reports may arrive: one event is one hazard, created once and never renamed.
func TestReportsOfOneEventMakeOneHazard(t *testing.T) {
	first := heading(report(1, 1, 94, base, t0), 0) // driving north
	geometries := []struct {
		name    string
		second  Report
		hazards int
	}{
		{"same direction", heading(report(2, 1, 94, north(10, 3.5), t0), 0), 1},
		{"opposite, undivided road", heading(report(2, 1, 94, north(2, -3.5), t0), 180), 1},
		{"opposite, divided road", heading(report(2, 1, 94, north(0, -7), t0), 180), 2},
	}
	arrivals := []struct {
		name   string
		trials int
		run    func(r *Reports, rd *rounds, reps []Report)
	}{
		{"in one round", 1, func(r *Reports, rd *rounds, reps []Report) {
			for _, rep := range reps {
				r.Add(t0, rep)
			}
			rd.run(t0)
		}},
		{"at once from two goroutines", 50, func(r *Reports, rd *rounds, reps []Report) {
			stop := make(chan struct{})
			var bg, wg sync.WaitGroup
			bg.Go(func() { // the edge's detection loop
				for {
					select {
					case <-stop:
						return
					default:
						rd.run(t0)
					}
				}
			})
			for _, rep := range reps { // each arrival runs a round at once, as the edge's ingest does
				wg.Go(func() { r.Add(t0, rep); rd.run(t0) })
			}
			wg.Wait()
			close(stop)
			bg.Wait()
		}},
		{"the second mid-life of the first's hazard", 1, func(r *Reports, rd *rounds, reps []Report) {
			r.Add(t0, reps[0])
			for i := range 5 {
				rd.run(t0.Add(time.Duration(i) * time.Second))
			}
			at := t0.Add(5 * time.Second)
			reps[1].Detection, reps[1].Reference = at, at
			r.Add(at, reps[1])
			rd.run(at)
		}},
	}
	for _, g := range geometries {
		for _, a := range arrivals {
			t.Run(g.name+"/"+a.name, func(t *testing.T) {
				for range a.trials {
					r := NewReports(ReportsOptions{})
					rd := &rounds{r: r, m: hazard.New(hazard.Options{StationID: 777})}
					a.run(r, rd, []Report{first, g.second})
					active := rd.m.Active()
					require.Len(t, active, g.hazards)
					require.Equal(t, g.hazards, rd.count(hazard.Created), "each hazard created once")
					require.Zero(t, rd.count(hazard.Terminated), "no hazard replaced by another")
					var sources []string
					for _, h := range active {
						sources = append(sources, h.Sources...)
					}
					require.ElementsMatch(t, []string{"station:1", "station:2"}, sources)
					if g.hazards == 1 && g.second.HeadingDeg != first.HeadingDeg {
						require.False(t, active[0].HasHeading, "an event reported from both directions concerns both")
					}
				}
			})
		}
	}
}

// rounds runs the reports detector into a hazard manager, one round at a time, as the edge does
// under its report lock.
type rounds struct {
	r      *Reports
	m      *hazard.Manager
	mu     sync.Mutex
	events []hazard.Event
}

func (rd *rounds) run(now time.Time) {
	rd.mu.Lock()
	defer rd.mu.Unlock()
	rd.events = append(rd.events, rd.m.Apply(now, rd.r.Name(), rd.r.Detect(now, nil))...)
}

func (rd *rounds) count(k hazard.EventKind) int {
	n := 0
	for _, e := range rd.events {
		if e.Kind == k {
			n++
		}
	}
	return n
}

// TestClusterAcrossTheRoad: reports facing each other are one event when their positions lie
// within MaxOppositeLateralM across the road their headings give, whatever its direction.
func TestClusterAcrossTheRoad(t *testing.T) {
	tests := []struct {
		name    string
		o       ReportsOptions
		road    float64 // direction of the first reporter
		second  geo.Point
		heading float64 // the second reporter's
		events  int
	}{
		{"same direction, next lane", ReportsOptions{}, 0, north(30, 3.5), 10, 1},
		{"crossing at 90°", ReportsOptions{}, 0, north(5, 5), 90, 1},
		{"opposite, undivided, same point", ReportsOptions{}, 0, base, 180, 1},
		{"opposite, undivided, 40 m along", ReportsOptions{}, 0, north(40, -3.5), 180, 1},
		{"opposite, undivided, road at 60°", ReportsOptions{}, 60, on(60, 20, -4), 235, 1},
		{"opposite, undivided, road at 300°, right of it", ReportsOptions{}, 300, on(300, -15, 3.5), 125, 1},
		{"opposite, motorway inner lanes 6.5 m", ReportsOptions{}, 0, north(0, -6.5), 180, 2},
		{"opposite, divided road at 60°", ReportsOptions{}, 60, on(60, 3, -8), 240, 2},
		{"opposite, 90 m along but 6 m across", ReportsOptions{}, 0, north(90, -6), 180, 2},
		{"opposite, a wider threshold", ReportsOptions{MaxOppositeLateralM: 7}, 0, north(0, -6.5), 180, 1},
		{"opposite, the rule off", ReportsOptions{MaxOppositeLateralM: -1}, 0, north(0, -1), 180, 2},
		{"120° apart with 90° allowed is opposite", ReportsOptions{}, 0, north(0, 2), 120, 1},
		{"120° apart with 30° allowed is neither", ReportsOptions{MaxHeadingDiffDeg: 30}, 0, north(0, 0.5), 120, 2},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := NewReports(tc.o)
			r.Add(t0, heading(report(1, 1, 94, base, t0), tc.road))
			r.Add(t0, heading(report(2, 1, 94, tc.second, t0), tc.heading))
			require.Len(t, r.Detect(t0, nil), tc.events)
		})
	}
}

func TestClusterHeadingOfBothDirections(t *testing.T) {
	r := NewReports(ReportsOptions{})
	r.Add(t0, report(1, 1, 94, base, t0)) // a leader without heading
	r.Add(t0, heading(report(2, 1, 94, north(0, 2), t0), 0))
	f := only(t, r.Detect(t0, nil))
	require.True(t, f.HasHeading)
	require.InDelta(t, 0, f.HeadingDeg, 1e-9)

	r.Add(t0, heading(report(3, 1, 94, north(0, -2), t0), 180))
	f = only(t, r.Detect(t0, nil))
	require.Equal(t, "r:1/1", f.Key)
	require.False(t, f.HasHeading, "reporters from both directions: no heading")
	require.Len(t, f.Sources, 3)
}

// TestClusterKeyStable: a report that arrives later, even one detected before the cluster's
// leader, joins the cluster as it is: it neither renames it nor takes members from it.
func TestClusterKeyStable(t *testing.T) {
	r := NewReports(ReportsOptions{})
	r.Add(t0, report(1, 1, 94, base, t0))
	r.Add(t0, report(2, 1, 94, north(90, 0), t0))
	require.Equal(t, []string{"r:1/1"}, keys(r.Detect(t0, nil)))

	early := report(3, 1, 94, north(-50, 0), t0.Add(-10*time.Second))
	r.Add(t0.Add(time.Second), early)
	fs := r.Detect(t0.Add(time.Second), nil)
	require.Equal(t, []string{"r:1/1"}, keys(fs))
	require.Empty(t, terminated(fs))
	require.Equal(t, []string{"station:1", "station:2", "station:3"}, fs[0].Sources)

	// The leader is cancelled: the oldest member leads on under the same key; a member too far
	// from the new leader leaves and leads an event of its own.
	cancel := report(1, 1, 94, base, t0.Add(2*time.Second))
	cancel.Terminated = true
	r.Add(t0.Add(2*time.Second), cancel)
	fs = r.Detect(t0.Add(2*time.Second), nil)
	require.Equal(t, []string{"r:1/1", "r:2/1"}, keys(fs))
	require.Empty(t, terminated(fs))
	for _, f := range fs {
		if f.Key == "r:1/1" {
			require.Equal(t, []string{"station:3"}, f.Sources)
		}
	}
}
