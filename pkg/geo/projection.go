package geo

import "math"

// WGS84 ellipsoid.
const (
	wgs84A  = 6378137.0
	wgs84F  = 1 / 298.257223563
	wgs84E2 = wgs84F * (2 - wgs84F) // first eccentricity squared
)

// Projection maps points to and from the local East-North-Up tangent plane of the WGS84
// ellipsoid at an origin (height 0). East and north are metres in the plane; the up component of
// a point on the ellipsoid is dropped by ToLocal and recovered by ToPoint, so
// ToPoint(ToLocal(p)) == p to well under a millimetre within a few kilometres, and within tens
// of kilometres to a few millimetres. The plane is a tangent plane, not a map projection: at
// distance d from the origin, √(e²+n²) is shorter than the ground distance by about d³/(6R²)
// (5 mm at 5 km). Use it for sensor and lane geometry, not for continent-sized areas.
// The zero value projects around (0,0).
type Projection struct {
	origin             Point
	sinLat, cosLat     float64
	sinLon, cosLon     float64
	x0, y0, z0         float64 // ECEF of the origin
	mPerRadN, mPerRadE float64 // metres per radian of latitude / longitude at the origin
}

// NewProjection returns the tangent plane at origin.
func NewProjection(origin Point) Projection {
	pr := Projection{origin: origin}
	pr.sinLat, pr.cosLat = math.Sincos(origin.Lat * deg2rad)
	pr.sinLon, pr.cosLon = math.Sincos(origin.Lon * deg2rad)
	pr.x0, pr.y0, pr.z0 = ecef(pr.sinLat, pr.cosLat, pr.sinLon, pr.cosLon)
	w := 1 - wgs84E2*pr.sinLat*pr.sinLat
	pr.mPerRadN = wgs84A * (1 - wgs84E2) / (w * math.Sqrt(w)) // meridian radius M
	pr.mPerRadE = wgs84A / math.Sqrt(w) * pr.cosLat           // prime vertical N·cos φ
	return pr
}

// Origin is the point at (0,0) of the plane.
func (pr Projection) Origin() Point { return pr.origin }

// ecef returns the earth-centred earth-fixed coordinates of a point at height 0.
func ecef(sinLat, cosLat, sinLon, cosLon float64) (x, y, z float64) {
	n := wgs84A / math.Sqrt(1-wgs84E2*sinLat*sinLat)
	return n * cosLat * cosLon, n * cosLat * sinLon, n * (1 - wgs84E2) * sinLat
}

// ToLocal returns the east and north metres of p in the plane.
func (pr Projection) ToLocal(p Point) (east, north float64) {
	pr.init()
	sinLat, cosLat := math.Sincos(p.Lat * deg2rad)
	sinLon, cosLon := math.Sincos(p.Lon * deg2rad)
	return pr.local(sinLat, cosLat, sinLon, cosLon)
}

// init makes the zero value the projection around (0,0).
func (pr *Projection) init() {
	if pr.sinLat == 0 && pr.cosLat == 0 {
		*pr = NewProjection(Point{})
	}
}

func (pr *Projection) local(sinLat, cosLat, sinLon, cosLon float64) (east, north float64) {
	x, y, z := ecef(sinLat, cosLat, sinLon, cosLon)
	dx, dy, dz := x-pr.x0, y-pr.y0, z-pr.z0
	east = -pr.sinLon*dx + pr.cosLon*dy
	north = -pr.sinLat*pr.cosLon*dx - pr.sinLat*pr.sinLon*dy + pr.cosLat*dz
	return east, north
}

// ToPoint returns the point on the ellipsoid whose tangent-plane coordinates are (east, north):
// the inverse of ToLocal, by Newton iteration to a micrometre. Within a few kilometres of a
// pole longitude is ill-conditioned and the result is only as good as the latitude; beyond the
// horizon of the plane (thousands of km) it is meaningless.
func (pr Projection) ToPoint(east, north float64) Point {
	pr.init()
	lat := pr.origin.Lat*deg2rad + north/pr.mPerRadN
	lon := pr.origin.Lon * deg2rad
	if pr.mPerRadE > 1e-3 {
		lon += east / pr.mPerRadE
	}
	for range 10 {
		sinLat, cosLat := math.Sincos(lat)
		sinLon, cosLon := math.Sincos(lon)
		e, n := pr.local(sinLat, cosLat, sinLon, cosLon)
		de, dn := east-e, north-n
		if math.Abs(de) < 1e-7 && math.Abs(dn) < 1e-7 {
			break
		}
		// Jacobian of (e, n) in (lat, lon): the local north and east axes at the guess,
		// expressed in the origin's frame, scaled by the radii of curvature there.
		w := 1 - wgs84E2*sinLat*sinLat
		m := wgs84A * (1 - wgs84E2) / (w * math.Sqrt(w))
		nc := wgs84A / math.Sqrt(w) * cosLat
		sinDLon, cosDLon := math.Sincos(lon - pr.origin.Lon*deg2rad)
		jeLat := -m * sinLat * sinDLon
		jnLat := m * (sinLat*pr.sinLat*cosDLon + cosLat*pr.cosLat)
		jeLon := nc * cosDLon
		jnLon := nc * pr.sinLat * sinDLon
		det := jeLat*jnLon - jeLon*jnLat
		if math.Abs(det) < 1e-6 { // at a pole: longitude is free
			lat += dn / m
			continue
		}
		lat += (de*jnLon - dn*jeLon) / det
		lon += (dn*jeLat - de*jnLat) / det
	}
	lat = math.Max(-math.Pi/2, math.Min(math.Pi/2, lat))
	return Point{Lat: lat * rad2deg, Lon: NormalizeLon(lon * rad2deg)}
}
