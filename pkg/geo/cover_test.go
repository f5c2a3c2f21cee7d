package geo

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/stretchr/testify/require"
)

// bruteMinDist is the distance from c to tile (x, y, z) found by dense sampling of the tile's
// edges (0 inside), and the sampling step: the true distance lies in [d - step/2, d].
func bruteMinDist(c Point, x, y, z int) (d, step float64) {
	n := 1 << z
	b := TileBox(x, y, z)
	if y == 0 {
		b.Max.Lat = 90
	}
	if y == n-1 {
		b.Min.Lat = -90
	}
	if b.Contains(c) {
		return 0, 0
	}
	const k = 256
	d = math.Inf(1)
	for i := 0; i <= k; i++ {
		f := float64(i) / k
		lat := b.Min.Lat + f*(b.Max.Lat-b.Min.Lat)
		lon := b.Min.Lon + f*(b.Max.Lon-b.Min.Lon)
		for _, p := range []Point{{lat, b.Min.Lon}, {lat, b.Max.Lon}, {b.Min.Lat, lon}, {b.Max.Lat, lon}} {
			d = math.Min(d, Distance(c, p))
		}
	}
	ew := Distance(Point{b.Min.Lat, b.Min.Lon}, Point{b.Min.Lat, b.Max.Lon})
	ew = math.Max(ew, Distance(Point{b.Max.Lat, b.Min.Lon}, Point{b.Max.Lat, b.Max.Lon}))
	ns := Distance(Point{b.Min.Lat, b.Min.Lon}, Point{b.Max.Lat, b.Min.Lon})
	return d, math.Max(ew, ns) / k
}

func TestTilesCoveringCircleVsBruteForce(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 12))
	centres := func() Point {
		switch rng.IntN(6) {
		case 0:
			return Point{Lat: rng.Float64()*2 - 1, Lon: 180 - rng.Float64()*0.05} // antimeridian
		case 1:
			return Point{Lat: 84 + rng.Float64()*6, Lon: rng.Float64()*360 - 180} // towards the pole
		default:
			return Point{Lat: rng.Float64()*160 - 80, Lon: rng.Float64()*360 - 180}
		}
	}
	for range 200 {
		c := centres()
		z := 8 + rng.IntN(11) // 8..18
		if math.Abs(c.Lat) > 80 {
			z = 4 + rng.IntN(6) // polar circles span whole rows: keep the brute force small
		}
		tile := 40075016.0 / float64(int(1)<<z) * math.Cos(c.Lat*deg2rad)
		r := rng.Float64() * 3 * math.Max(tile, 1)
		got := TilesCoveringCircle(c, r, z)
		require.True(t, slices.IsSorted(got))
		require.Equal(t, len(got), len(slices.Compact(slices.Clone(got))), "duplicates")
		in := map[string]bool{}
		for _, q := range got {
			in[q] = true
		}
		// Every tile of an enlarged bounding box, classified by brute force.
		n := 1 << z
		b := BoxAround(c, r)
		y0, y1 := tileY(b.Max.Lat, float64(n)), tileY(b.Min.Lat, float64(n))
		cx, _ := TileXY(c, z)
		span := 4
		if b.Min.Lon == -180 && b.Max.Lon == 180 {
			span = n / 2
		} else {
			w := int(math.Ceil((b.Max.Lon-b.Min.Lon+360*boolf(b.CrossesAntimeridian()))/360*float64(n))) + 2
			span = min(max(span, w), n/2)
		}
		seen := 0
		for y := max(0, y0-2); y <= min(n-1, y1+2); y++ {
			xs := map[int]bool{}
			for dx := -span; dx <= span; dx++ {
				x := ((cx+dx)%n + n) % n
				if xs[x] {
					continue
				}
				xs[x] = true
				qk := TileQuadkey(x, y, z)
				if !in[qk] && latGapM(c, y, z) > r {
					continue // a lower bound already puts it out of reach
				}
				d, step := bruteMinDist(c, x, y, z)
				if d <= r {
					require.True(t, in[qk], "c=%v r=%.1f z=%d: tile %s at %.2f m missing", c, r, z, qk, d)
				}
				if in[qk] {
					require.LessOrEqual(t, d, r+step/2+1e-6, "c=%v r=%.1f z=%d: tile %s at %.2f m included", c, r, z, qk, d)
					seen++
				}
			}
		}
		require.Equal(t, len(got), seen, "result holds tiles outside the brute-force window")
		// Completeness from the other side: points in the circle fall in result tiles.
		for range 30 {
			p := Destination(c, rng.Float64()*360, r*math.Sqrt(rng.Float64()))
			require.True(t, in[Quadkey(p, z)], "c=%v r=%v p=%v", c, r, p)
		}
	}
}

// latGapM is the distance in latitude alone from c to row y, a lower bound of the distance.
func latGapM(c Point, y, z int) float64 {
	b := TileBox(0, y, z)
	if y == 0 {
		b.Max.Lat = 90
	}
	if y == 1<<z-1 {
		b.Min.Lat = -90
	}
	gap := math.Max(0, math.Max(b.Min.Lat-c.Lat, c.Lat-b.Max.Lat))
	return gap * deg2rad * EarthRadiusM * (1 - 1e-9)
}

func boolf(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

func TestTilesCoveringCircleShapes(t *testing.T) {
	// A 1 m circle in the middle of a zoom-16 tile: just that tile.
	b, _ := QuadkeyBox(Quadkey(paris, 16))
	got := TilesCoveringCircle(b.Center(), 1, 16)
	require.Equal(t, []string{Quadkey(paris, 16)}, got)

	// At a tile corner: the four tiles sharing it.
	corner := TileBox(100, 200, 10).Min // south-west corner of (100, 200)
	got = TilesCoveringCircle(corner, 1, 10)
	require.ElementsMatch(t, []string{
		TileQuadkey(99, 200, 10), TileQuadkey(100, 200, 10), TileQuadkey(99, 201, 10), TileQuadkey(100, 201, 10),
	}, got)

	// A circle touching the corner region but not the diagonal tile: radius 1 km, centre 800 m
	// west and 800 m south of a corner → the diagonal tile (1131 m away) is out.
	c := Destination(Destination(corner, 270, 800), 180, 800)
	got = TilesCoveringCircle(c, 1000, 10)
	require.NotContains(t, got, TileQuadkey(100, 200, 10), "only the bounding box touches it")
	require.Contains(t, got, TileQuadkey(99, 201, 10))

	// Across the antimeridian.
	got = TilesCoveringCircle(Point{0.001, 179.9999}, 100, 16)
	n := 1 << 16
	require.Contains(t, got, TileQuadkey(0, n/2-1, 16))
	require.Contains(t, got, TileQuadkey(n-1, n/2-1, 16))

	// Around the pole: the whole top row.
	got = TilesCoveringCircle(Point{89.99, 0}, 5000, 6)
	require.Len(t, got, 64)

	require.Nil(t, TilesCoveringCircle(Point{math.NaN(), 0}, 10, 10))
	require.Len(t, TilesCoveringCircle(paris, -1, 16), 1)
}

func BenchmarkTilesCoveringCircle(b *testing.B) {
	for _, bc := range []struct {
		name string
		r    float64
		z    int
	}{{"r1km_z16", 1000, 16}, {"r300m_z18", 300, 18}, {"r50m_z22", 50, 22}} {
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			n := 0
			for b.Loop() {
				n = len(TilesCoveringCircle(paris, bc.r, bc.z))
			}
			b.ReportMetric(float64(n), "tiles")
		})
	}
}
