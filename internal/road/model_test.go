package road

import (
	"path/filepath"
	"runtime"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/michi-v2x/michi/internal/ldm"
	"github.com/michi-v2x/michi/pkg/geo"
)

var (
	t0   = time.Date(2026, 12, 1, 8, 0, 0, 0, time.UTC)
	base = geo.Point{Lat: 35.6812, Lon: 139.7671} // Tokyo: left-hand traffic
)

// at is a point east/north of base in metres.
func at(x, y float64) geo.Point { return geo.NewProjection(base).ToPoint(x, y) }

// lane is a straight lane from a to b, driven in that direction.
type lane struct{ ax, ay, bx, by float64 }

// drive sends n vehicles down every lane at 15 m/s, one CAM every 200 ms, through an LDM of
// their own, with the model learning every round; it returns the time after the last round.
func drive(md *Model, start time.Time, n int, lanes ...lane) time.Time {
	m := ldm.New(ldm.Options{})
	now := start
	steps := 0.0
	for _, l := range lanes {
		steps = max(steps, geo.Distance(at(l.ax, l.ay), at(l.bx, l.by))/3)
	}
	for v := range n {
		for k := 0.0; k <= steps; k++ {
			s := k / steps
			for i, l := range lanes {
				p := at(l.ax+s*(l.bx-l.ax), l.ay+s*(l.by-l.ay))
				h := geo.Bearing(at(l.ax, l.ay), at(l.bx, l.by))
				m.UpdateVehicle(ldm.VehicleState{StationID: uint32(1 + v*100 + i), StationType: 5, Pos: p,
					SpeedMPS: 15, HeadingDeg: h, HeadingOK: true, At: now})
			}
			md.Learn(now, m)
			now = now.Add(200 * time.Millisecond)
		}
	}
	return now
}

// leftHandRoad is a 300 m road running east, one lane each way, keeping left: eastbound at
// y = +1.6, westbound at y = -1.6.
var leftHandRoad = []lane{{-150, 1.6, 150, 1.6}, {150, -1.6, -150, -1.6}}

func TestFlowAlongAndAgainst(t *testing.T) {
	md := New(Options{})
	require.False(t, md.Flow(at(0, 1.6), 90).Known, "nothing learned yet")
	drive(md, t0, 8, leftHandRoad...)

	f := md.Flow(at(0, 1.6), 90)
	require.True(t, f.Known)
	require.Equal(t, 1.0, f.Along)
	f = md.Flow(at(0, 1.6), 270)
	require.Equal(t, 1.0, f.Against, "westbound in the eastbound lane")
	f = md.Flow(at(0, -1.6), 270)
	require.Equal(t, 1.0, f.Along)
	require.False(t, md.Flow(at(0, 30), 90).Known, "off the road")

	near := md.FlowNear(at(0, 0), 5, 90)
	require.InDelta(t, 0.5, near.Along, 0.05, "both lanes together")
	require.False(t, md.Junction(at(0, 0), 15), "a straight road is no junction")

	s := md.Stats()
	require.Equal(t, "left", s.Side)
	require.Greater(t, s.KeepsLeft, 10*s.KeepsRight)
}

func TestJunctionWhereHeadingsSpread(t *testing.T) {
	md := New(Options{})
	drive(md, t0, 6, append(leftHandRoad, lane{-1.6, -150, -1.6, 150}, lane{1.6, 150, 1.6, -150})...)
	require.True(t, md.Junction(at(0, 0), 10), "where the streets cross")
	require.False(t, md.Junction(at(100, 0), 10), "mid-block")
}

func TestAgainstFlowIsNotLearned(t *testing.T) {
	md := New(Options{})
	end := drive(md, t0, 8, leftHandRoad...)
	drive(md, end, 3, lane{150, 1.6, -150, 1.6}) // wrong-way drivers in the eastbound lane
	f := md.Flow(at(0, 1.6), 90)
	require.Equal(t, 1.0, f.Along, "a wrong-way driver does not teach the model its way")
}

// stand makes one vehicle approach p, stand for dwell and drive on.
func stand(md *Model, m *ldm.Map, station uint32, start time.Time, p geo.Point, dwell time.Duration) time.Time {
	up := func(q geo.Point, speed float64, t time.Time) {
		m.UpdateVehicle(ldm.VehicleState{StationID: station, StationType: 5, Pos: q, SpeedMPS: speed, HeadingDeg: 90, HeadingOK: true, At: t})
		md.Learn(t, m)
	}
	up(geo.Destination(p, 270, 20), 10, start)
	for s := time.Duration(0); s <= dwell; s += time.Second {
		up(p, 0, start.Add(time.Second+s))
	}
	end := start.Add(2*time.Second + dwell)
	up(geo.Destination(p, 90, 5), 5, end)
	return end
}

func TestRoutineStopsNeedTwoEpisodes(t *testing.T) {
	md := New(Options{})
	m := ldm.New(ldm.Options{})
	p := at(0, 1.6)
	end := stand(md, m, 1, t0, p, 40*time.Second)
	require.False(t, md.Stops(p, 4).Routine(), "one stop is no routine")
	// A queue behind an incident: the next car stands in the same place right after: one episode.
	end = stand(md, m, 2, end.Add(2*time.Second), p, 20*time.Second)
	require.Equal(t, StopZone{Episodes: 1, Dwell: 41 * time.Second}, md.Stops(p, 4), "stood from its first still report until it moved on")
	// A minute later traffic stops there again: a stop line.
	stand(md, m, 3, end.Add(time.Minute), p, 30*time.Second)
	z := md.Stops(p, 4)
	require.True(t, z.Routine())
	require.Equal(t, 41*time.Second, z.Dwell)
	require.False(t, md.Stops(at(50, 1.6), 4).Routine())
}

func TestSaveAndLoad(t *testing.T) {
	path := filepath.Join(t.TempDir(), "road-model")
	md := New(Options{Path: path})
	require.NoError(t, md.Save(), "nothing learned: nothing to write")
	drive(md, t0, 8, leftHandRoad...)
	require.NoError(t, md.Save())

	again := New(Options{Path: path})
	n, err := again.Load()
	require.NoError(t, err)
	require.Equal(t, md.Stats().Cells, n)
	require.Equal(t, md.Flow(at(0, 1.6), 90), again.Flow(at(0, 1.6), 90))
	require.Equal(t, "left", again.Stats().Side)

	other := New(Options{Path: path, CellM: 3})
	_, err = other.Load()
	require.ErrorContains(t, err, "cell 2 m")
	missing := New(Options{Path: filepath.Join(t.TempDir(), "none")})
	n, err = missing.Load()
	require.NoError(t, err)
	require.Zero(t, n)
}

func TestMaxCellsBoundsMemory(t *testing.T) {
	md := New(Options{MaxCells: 200})
	drive(md, t0, 2, leftHandRoad...)
	require.LessOrEqual(t, md.Stats().Cells, 200)
}

func TestOptionsValidate(t *testing.T) {
	o := Options{CellM: 20, MinPasses: -1}
	err := o.Validate()
	require.ErrorContains(t, err, "cell_m")
	require.ErrorContains(t, err, "min_passes")
	ok := Options{}
	require.NoError(t, ok.Validate())
}

// BenchmarkModelMemory learns 10 km of a two-lane road (one lane each way) and reports the
// model's heap per km of road and per cell.
func BenchmarkModelMemory(b *testing.B) {
	for b.Loop() {
		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		md := New(Options{})
		drive(md, t0, 6, lane{-5000, 1.6, 5000, 1.6}, lane{5000, -1.6, -5000, -1.6})
		md.mu.Lock()
		md.vehs = map[uint32]*vehicle{} // count the cells only
		md.mu.Unlock()
		runtime.GC()
		runtime.ReadMemStats(&after)
		heap := float64(after.HeapAlloc - before.HeapAlloc)
		b.ReportMetric(heap/10/1024, "KiB/km")
		b.ReportMetric(heap/float64(md.Stats().Cells), "B/cell")
		runtime.KeepAlive(md)
	}
}
