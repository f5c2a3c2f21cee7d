package geo

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestProjectionKnownValues(t *testing.T) {
	// At origin (0,0) the ECEF axes align with up/east/north: east = y = a·sin λ and
	// north = z = N(1-e²)·sin φ with N = a/√(1-e² sin² φ).
	pr := NewProjection(Point{})
	e, n := pr.ToLocal(Point{0, 0.001})
	require.InDelta(t, wgs84A*math.Sin(0.001*deg2rad), e, 1e-9)
	require.InDelta(t, 0, n, 1e-9)
	s := math.Sin(0.001 * deg2rad)
	e, n = pr.ToLocal(Point{0.001, 0})
	require.InDelta(t, 0, e, 1e-9)
	require.InDelta(t, wgs84A/math.Sqrt(1-wgs84E2*s*s)*(1-wgs84E2)*s, n, 1e-9)
	require.InDelta(t, 110.574, n, 1e-3) // the WGS84 metre-per-millidegree of latitude at the equator

	// Small offsets at 45°: metres per radian are the radii of curvature M and N·cos φ.
	o := Point{45, 7}
	pr = NewProjection(o)
	const d = 1e-6 // radians, ≈ 6.4 m
	e, n = pr.ToLocal(Point{o.Lat + d*rad2deg, o.Lon})
	require.InDelta(t, 6367381.816*d, n, 1e-5)
	require.InDelta(t, 0, e, 1e-9)
	e, _ = pr.ToLocal(Point{o.Lat, o.Lon + d*rad2deg})
	require.InDelta(t, 6388838.290*math.Cos(45*deg2rad)*d, e, 1e-5)
	require.Equal(t, o, pr.Origin())

	// The zero value is the projection at (0,0).
	var zero Projection
	e, _ = zero.ToLocal(Point{0, 0.001})
	require.InDelta(t, wgs84A*math.Sin(0.001*deg2rad), e, 1e-9)
	require.InDelta(t, 0.001, zero.ToPoint(e, 0).Lon, 1e-12)
}

func TestProjectionRoundTrip(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	origins := []Point{{0, 0}, {48.1, 11.6}, {-33.9, 151.2}, {70, -20}, {0, 179.999}, {-60, -179.99}, {84, 45}}
	for _, o := range origins {
		pr := NewProjection(o)
		for range 300 {
			d := rng.Float64() * 5000
			p := Destination(o, rng.Float64()*360, d)
			e, n := pr.ToLocal(p)
			// Tangent plane vs sphere: within the ellipsoid/sphere scale difference (<0.7 %).
			require.InDelta(t, d, math.Hypot(e, n), 0.007*d+1e-9, "origin %v", o)
			q := pr.ToPoint(e, n)
			require.InDelta(t, 0, Distance(p, q), 1e-6, "origin %v p %v q %v", o, p, q)
		}
		// Far out (50 km) still round-trips to the millimetre.
		p := Destination(o, 33, 50000)
		q := pr.ToPoint(pr.ToLocal(p))
		require.InDelta(t, 0, Distance(p, q), 1e-3)
	}
}

func TestProjectionENUDirections(t *testing.T) {
	pr := NewProjection(Point{52.5, 13.4})
	for brg := 0.0; brg < 360; brg += 15 {
		p := Destination(pr.Origin(), brg, 200)
		e, n := pr.ToLocal(p)
		got := normHeading(math.Atan2(e, n) * rad2deg)
		// Sphere vs ellipsoid skews directions by up to ~0.2°.
		require.InDelta(t, 0, AngleDiff(brg, got), 0.2, "bearing %v", brg)
	}
}

func TestProjectionAtPole(t *testing.T) {
	pr := NewProjection(Point{90, 0})
	p := pr.ToPoint(100, 0)
	require.True(t, p.Valid())
	require.InDelta(t, 100, Distance(Point{90, 0}, p), 1)
}

func BenchmarkProjection(b *testing.B) {
	pr := NewProjection(Point{48.1, 11.6})
	b.ReportAllocs()
	for b.Loop() {
		e, n := pr.ToLocal(Point{48.101, 11.602})
		_ = pr.ToPoint(e, n)
	}
}
