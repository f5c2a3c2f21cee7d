package geo

import (
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestBoxContainsIntersects(t *testing.T) {
	b := Box{Min: Point{10, 20}, Max: Point{11, 22}}
	require.True(t, b.Contains(Point{10.5, 21}))
	require.True(t, b.Contains(Point{10, 20}), "edges count")
	require.False(t, b.Contains(Point{9.99, 21}))
	require.False(t, b.Contains(Point{10.5, 22.01}))
	require.Equal(t, Point{10.5, 21}, b.Center())

	require.True(t, b.Intersects(Box{Min: Point{10.5, 21}, Max: Point{12, 23}}))
	require.True(t, b.Intersects(Box{Min: Point{11, 22}, Max: Point{12, 23}}), "touching corner")
	require.False(t, b.Intersects(Box{Min: Point{11.1, 20}, Max: Point{12, 22}}))
	require.False(t, b.Intersects(Box{Min: Point{10, 22.1}, Max: Point{11, 23}}))

	// A box across the antimeridian: 179..-179.
	x := Box{Min: Point{-1, 179}, Max: Point{1, -179}}
	require.True(t, x.CrossesAntimeridian())
	require.True(t, x.Contains(Point{0, 179.5}))
	require.True(t, x.Contains(Point{0, -179.5}))
	require.True(t, x.Contains(Point{0, 180}))
	require.False(t, x.Contains(Point{0, 0}))
	require.InDelta(t, 180, abs(x.Center().Lon), 1e-12)
	require.True(t, x.Intersects(Box{Min: Point{0, -179.9}, Max: Point{2, -170}}))
	require.True(t, x.Intersects(Box{Min: Point{0, 170}, Max: Point{2, 179.5}}))
	require.False(t, x.Intersects(Box{Min: Point{0, -170}, Max: Point{2, 170}}))
	require.True(t, x.Intersects(Box{Min: Point{0, 178}, Max: Point{2, -178}}), "both crossing")
	require.Len(t, x.Split(), 2)
	require.Len(t, b.Split(), 1)
	require.InDelta(t, -179.5, Box{Min: Point{0, 170}, Max: Point{1, -169}}.Center().Lon, 1e-9)
}

func abs(x float64) float64 {
	if x < 0 {
		return -x
	}
	return x
}

func TestBoxAroundEnclosesCircle(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	centres := []Point{{0, 0}, {48.8, 2.3}, {-33.9, 151.2}, {0, 179.999}, {0, -179.999}, {89.99, 0}, {-89.9, 10}, {70, 179.99}}
	for range 200 {
		centres = append(centres, Point{Lat: rng.Float64()*178 - 89, Lon: rng.Float64()*360 - 180})
	}
	for _, c := range centres {
		r := rng.Float64() * 20000
		b := BoxAround(c, r)
		for range 50 {
			p := Destination(c, rng.Float64()*360, r*rng.Float64())
			require.True(t, b.Contains(p), "c=%v r=%v p=%v b=%v", c, r, p, b)
		}
		// On the circle itself, incl. the widest-longitude tangent points.
		for brg := 0.0; brg < 360; brg += 0.5 {
			p := Destination(c, brg, r)
			require.True(t, b.Contains(p), "c=%v r=%v p=%v b=%v", c, r, p, b)
		}
	}
}

func TestBoxAroundShapes(t *testing.T) {
	b := BoxAround(Point{0, 179.999}, 1000)
	require.True(t, b.CrossesAntimeridian())
	require.False(t, b.Contains(Point{0, 0}))

	b = BoxAround(Point{89.995, 30}, 1000) // reaches the pole
	require.Equal(t, -180.0, b.Min.Lon)
	require.Equal(t, 180.0, b.Max.Lon)
	require.Equal(t, 90.0, b.Max.Lat)

	b = BoxAround(Point{45, 7}, 1000)
	require.InDelta(t, 1000/111195.08, b.Max.Lat-45, 1e-9)
	require.InDelta(t, 2*1000/111195.08/0.7071067811865476, b.Max.Lon-b.Min.Lon, 1e-6)

	b = BoxAround(Point{10, 10}, -5) // negative radius is 0
	require.InDelta(t, 10, b.Min.Lat, 1e-8)
	require.InDelta(t, 10, b.Max.Lon, 1e-8)

	b = BoxAround(Point{0, 0}, 3e7) // more than half the earth
	require.Equal(t, Box{Min: Point{-90, -180}, Max: Point{90, 180}}, b)
}
