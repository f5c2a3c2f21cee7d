package geo

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"
)

var (
	paris  = Point{Lat: 48.8566, Lon: 2.3522}
	london = Point{Lat: 51.5074, Lon: -0.1278}
)

func TestPointValid(t *testing.T) {
	for _, tc := range []struct {
		p    Point
		want bool
	}{
		{Point{}, true},
		{Point{90, 180}, true},
		{Point{-90, -180}, true},
		{Point{90.0001, 0}, false},
		{Point{0, -180.0001}, false},
		{Point{math.NaN(), 0}, false},
		{Point{0, math.Inf(1)}, false},
	} {
		require.Equal(t, tc.want, tc.p.Valid(), "%v", tc.p)
	}
}

func TestDistanceKnown(t *testing.T) {
	for _, tc := range []struct {
		name string
		a, b Point
		want float64 // metres
		tol  float64
	}{
		{"same point", paris, paris, 0, 1e-9},
		{"1° along the equator = R·π/180", Point{0, 0}, Point{0, 1}, 111195.0802335, 1e-6},
		{"equator to pole = R·π/2", Point{0, 17}, Point{90, 0}, 10007557.2210180, 1e-6},
		{"antipodes = R·π", Point{0, 0}, Point{0, 180}, 20015114.4420360, 1e-6},
		{"across the antimeridian", Point{0, 179.5}, Point{0, -179.5}, 111195.0802335, 1e-6},
		{"Paris–London", paris, london, 343556.535, 1e-3},
		{"1 m north", Point{45, 7}, Point{45 + 1/111195.0802335, 7}, 1, 1e-9},
	} {
		t.Run(tc.name, func(t *testing.T) {
			require.InDelta(t, tc.want, Distance(tc.a, tc.b), tc.tol)
			require.InDelta(t, tc.want, Distance(tc.b, tc.a), tc.tol)
		})
	}
}

func TestBearingKnown(t *testing.T) {
	o := Point{0, 0}
	require.InDelta(t, 0, Bearing(o, Point{1, 0}), 1e-9)
	require.InDelta(t, 90, Bearing(o, Point{0, 1}), 1e-9)
	require.InDelta(t, 180, Bearing(o, Point{-1, 0}), 1e-9)
	require.InDelta(t, 270, Bearing(o, Point{0, -1}), 1e-9)
	require.InDelta(t, 90, Bearing(Point{0, 179.9}, Point{0, -179.9}), 1e-9, "east across the antimeridian")
	require.InDelta(t, 330.021093, Bearing(paris, london), 1e-5)
	require.InDelta(t, 148.115617, Bearing(london, paris), 1e-5)
	require.Equal(t, 0.0, Bearing(paris, paris))
}

func TestDestinationRoundTrip(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for range 2000 {
		p := Point{Lat: rng.Float64()*170 - 85, Lon: rng.Float64()*360 - 180}
		b := rng.Float64() * 360
		d := rng.Float64() * 50000
		q := Destination(p, b, d)
		require.True(t, q.Valid(), "%v", q)
		require.InDelta(t, d, Distance(p, q), 1e-6*math.Max(1, d/1000))
		if d > 1 {
			require.InDelta(t, 0, AngleDiff(b, Bearing(p, q)), 1e-6)
		}
	}
	// Known: 1° east along the equator; across the antimeridian the longitude wraps.
	q := Destination(Point{0, 0}, 90, 111195.0802335)
	require.InDelta(t, 0, q.Lat, 1e-12)
	require.InDelta(t, 1, q.Lon, 1e-9)
	q = Destination(Point{10, 179.9}, 90, 50000)
	require.Less(t, q.Lon, -179.0)
}

func TestAngleDiff(t *testing.T) {
	for _, tc := range [][3]float64{
		{0, 0, 0}, {10, 350, 20}, {350, 10, 20}, {0, 180, 180}, {-90, 90, 180},
		{725, 5, 0}, {370, 10, 0}, {90, 271, 179}, {-10, 10, 20}, {0.5, 359.5, 1},
	} {
		require.InDelta(t, tc[2], AngleDiff(tc[0], tc[1]), 1e-9, "%v", tc)
	}
}

func TestNormalizeLon(t *testing.T) {
	for _, tc := range [][2]float64{
		{0, 0}, {180, 180}, {-180, -180}, {181, -179}, {-181, 179}, {540, 180}, {360, 0}, {-720.5, -0.5},
	} {
		require.InDelta(t, tc[1], NormalizeLon(tc[0]), 1e-9, "%v", tc[0])
	}
}

func TestSeriesMatchMath(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for range 10000 {
		x := (rng.Float64()*2 - 1) * 0.02
		require.InEpsilon(t, math.Sin(x), sinSmall(x), 1e-15)
		y := rng.Float64() * 2e-3
		require.InEpsilon(t, math.Asin(y), asinSmall(y), 1e-15)
	}
}

func BenchmarkDistance(b *testing.B) {
	b.ReportAllocs()
	q := Point{Lat: 48.86, Lon: 2.36}
	var s float64
	for b.Loop() {
		s += Distance(paris, q)
	}
	_ = s
}
