package geo

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"
)

// randomIn returns a point uniformly in a square of sideM metres centred on c.
func randomIn(rng *rand.Rand, c Point, sideM float64) Point {
	e := (rng.Float64() - 0.5) * sideM
	n := (rng.Float64() - 0.5) * sideM
	return Point{
		Lat: c.Lat + n/111195.08,
		Lon: NormalizeLon(c.Lon + e/(111195.08*math.Cos(c.Lat*deg2rad))),
	}
}

func TestIndexVsBruteForce(t *testing.T) {
	rng := rand.New(rand.NewPCG(13, 14))
	for _, c := range []Point{paris, {0, 179.99}, {-45, -179.995}, {89.97, 0}} {
		ix := NewIndex[int]()
		pts := map[int]Point{}
		for i := range 3000 {
			p := randomIn(rng, c, 10000)
			if !p.Valid() { // randomIn can overshoot the pole
				continue
			}
			ix.Set(i, p)
			pts[i] = p
		}
		// Move a third, delete a tenth.
		for i := range 1000 {
			if _, ok := pts[i]; !ok {
				continue
			}
			p := randomIn(rng, c, 10000)
			if !p.Valid() {
				continue
			}
			ix.Set(i, p)
			pts[i] = p
		}
		for i := 1000; i < 1300; i++ {
			_, ok := pts[i]
			require.Equal(t, ok, ix.Delete(i))
			delete(pts, i)
		}
		require.Equal(t, len(pts), ix.Len())
		checkIndex(t, ix)

		for range 200 {
			q := randomIn(rng, c, 12000)
			if !q.Valid() {
				continue
			}
			r := rng.Float64() * 3000
			want := map[int]float64{}
			for id, p := range pts {
				if d := Distance(q, p); d <= r {
					want[id] = d
				}
			}
			got := map[int]float64{}
			ix.Within(q, r, func(id int, p Point, d float64) bool {
				require.Equal(t, pts[id], p)
				got[id] = d
				return true
			})
			require.Equal(t, len(want), len(got), "centre %v q %v r %v", c, q, r)
			for id, d := range want {
				require.InDelta(t, d, got[id], 1e-6)
			}
			near := 0
			ix.Near(q, r, func(id int, p Point) bool {
				_, ok := want[id]
				require.True(t, ok)
				near++
				return true
			})
			require.Equal(t, len(want), near)

			bx := BoxAround(q, r)
			wantBox := 0
			for _, p := range pts {
				if bx.Contains(p) {
					wantBox++
				}
			}
			gotBox := 0
			ix.InBox(bx, func(id int, p Point) bool {
				require.True(t, bx.Contains(p))
				gotBox++
				return true
			})
			require.Equal(t, wantBox, gotBox)
		}
	}
}

func TestIndexBasics(t *testing.T) {
	ix := NewIndex[string]()
	_, ok := ix.Get("a")
	require.False(t, ok)
	require.False(t, ix.Delete("a"))

	ix.Set("a", paris)
	ix.Set("b", london)
	p, ok := ix.Get("a")
	require.True(t, ok)
	require.Equal(t, paris, p)
	require.Equal(t, 2, ix.Len())

	// Move: found at the new place only.
	ix.Set("a", london)
	ix.Set("a", london) // no-op
	n := 0
	ix.Within(paris, 1000, func(string, Point, float64) bool { n++; return true })
	require.Zero(t, n)
	ix.Within(london, 1, func(id string, _ Point, d float64) bool {
		require.Zero(t, d)
		n++
		return true
	})
	require.Equal(t, 2, n)
	checkIndex(t, ix)

	// Early stop.
	n = 0
	ix.Within(london, 1, func(string, Point, float64) bool { n++; return false })
	require.Equal(t, 1, n)
	n = 0
	ix.InBox(BoxAround(london, 1), func(string, Point) bool { n++; return false })
	require.Equal(t, 1, n)

	// An invalid point is not stored and removes the old one.
	ix.Set("a", Point{Lat: math.NaN()})
	_, ok = ix.Get("a")
	require.False(t, ok)
	require.Equal(t, 1, ix.Len())
	checkIndex(t, ix)
	ix.Set("z", Point{Lat: 91})
	require.Equal(t, 1, ix.Len())

	require.True(t, ix.Delete("b"))
	require.Zero(t, ix.Len())
	checkIndex(t, ix)
	ix.Within(Point{Lat: math.NaN()}, 10, func(string, Point, float64) bool { t.Fatal("called"); return true })
}

func TestIndexDenseCell(t *testing.T) {
	// Many points in one cell, moved within it, out of it and deleted in mixed order.
	rng := rand.New(rand.NewPCG(17, 18))
	ix := NewIndex[int]()
	pts := map[int]Point{}
	for i := range 500 {
		p := randomIn(rng, paris, 100)
		ix.Set(i, p)
		pts[i] = p
	}
	checkIndex(t, ix)
	for range 3000 {
		i := rng.IntN(600)
		switch rng.IntN(3) {
		case 0:
			_, ok := pts[i]
			require.Equal(t, ok, ix.Delete(i))
			delete(pts, i)
		default:
			p := randomIn(rng, paris, 600)
			ix.Set(i, p)
			pts[i] = p
		}
	}
	checkIndex(t, ix)
	require.Equal(t, len(pts), ix.Len())
	for id, p := range pts {
		got, ok := ix.Get(id)
		require.True(t, ok)
		require.Equal(t, p, got)
	}
	n := 0
	ix.InBox(BoxAround(paris, 1000), func(int, Point) bool { n++; return true })
	require.Equal(t, len(pts), n)
}

func TestIndexAntimeridianEarlyStop(t *testing.T) {
	ix := NewIndex[int]()
	ix.Set(1, Point{0, 179.9999})
	ix.Set(2, Point{0, -179.9999})
	n := 0
	ix.Within(Point{0, 180}, 100, func(int, Point, float64) bool { n++; return true })
	require.Equal(t, 2, n)
	n = 0
	ix.Within(Point{0, 180}, 100, func(int, Point, float64) bool { n++; return false })
	require.Equal(t, 1, n, "stopping in the first half skips the second")
}

func newBenchIndex(n int) (*Index[int], []Point) {
	rng := rand.New(rand.NewPCG(15, 16))
	ix := NewIndex[int]()
	pts := make([]Point, n)
	for i := range pts {
		pts[i] = randomIn(rng, paris, 20000)
		ix.Set(i, pts[i])
	}
	return ix, pts
}

// BenchmarkIndexWithin: 100k points over 20 km × 20 km, 500 m radius (~200 hits).
func BenchmarkIndexWithin(b *testing.B) {
	ix, pts := newBenchIndex(100_000)
	b.ReportAllocs()
	hits, i := 0, 0
	for b.Loop() {
		ix.Within(pts[i%len(pts)], 500, func(int, Point, float64) bool { hits++; return true })
		i++
	}
	b.ReportMetric(float64(hits)/float64(i), "hits/op")
}

// BenchmarkIndexSet moves points by a few metres among 100k, as CAM updates do.
func BenchmarkIndexSet(b *testing.B) {
	ix, pts := newBenchIndex(100_000)
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		k := i % len(pts)
		pts[k].Lat += 3e-5
		ix.Set(k, pts[k])
		i++
	}
}

// checkIndex verifies the cells, the tree and the locations agree.
func checkIndex[K comparable](t *testing.T, ix *Index[K]) {
	t.Helper()
	require.Equal(t, len(ix.cells), ix.tr.Len(), "one tree rectangle per cell, every empty cell deleted")
	n := 0
	for k, c := range ix.cells {
		require.Equal(t, k, c.key)
		require.NotEmpty(t, c.ents)
		for i, e := range c.ents {
			require.Equal(t, k, keyOf(e.p))
			require.Equal(t, loc[K]{c, int32(i)}, ix.locs[e.id])
			n++
		}
	}
	require.Equal(t, n, len(ix.locs))
}

func TestIndexTags(t *testing.T) {
	ix := NewIndex[string]()
	ix.SetTag("a", paris, 7)
	ix.Set("b", paris)
	tag, ok := ix.Tag("a")
	require.True(t, ok)
	require.Equal(t, uint64(7), tag)
	ix.Set("a", Destination(paris, 0, 10)) // a move within the cell keeps the tag
	ix.Set("a", london)                    // and so does one to another cell
	tag, _ = ix.Tag("a")
	require.Equal(t, uint64(7), tag)
	ix.SetTag("a", london, 9)
	_, ok = ix.Tag("zz")
	require.False(t, ok)

	got := map[string]uint64{}
	ix.NearTag(london, 10, func(id string, _ Point, tag uint64) bool { got[id] = tag; return true })
	require.Equal(t, map[string]uint64{"a": 9}, got)
	ix.NearTag(paris, 10, func(id string, _ Point, tag uint64) bool { got[id] = tag; return true })
	require.Equal(t, map[string]uint64{"a": 9, "b": 0}, got)
	checkIndex(t, ix)
}

func TestCircleHavSeriesMatchesHaversine(t *testing.T) {
	rng := rand.New(rand.NewPCG(19, 20))
	smalls := 0
	for range 2000 {
		c := Point{Lat: rng.Float64()*170 - 85, Lon: rng.Float64()*360 - 180}
		r := math.Pow(10, rng.Float64()*5) // 1 m … 100 km
		q := newCircle(c, r)
		if q.small {
			smalls++
		}
		for range 20 {
			p := Destination(c, rng.Float64()*360, r*rng.Float64()*1.2)
			want := Distance(c, p)
			got := havToMetres(q.hav(p))
			require.InDelta(t, want, got, 1e-8+1e-9*want, "c=%v r=%v p=%v small=%v", c, r, p, q.small)
		}
	}
	require.Greater(t, smalls, 500)
}
