package geo

import "math"

// EarthRadiusM is the mean earth radius (IUGG R1) of the sphere used by Distance, Bearing,
// Destination, BoxAround, TilesCoveringCircle and Index.
const EarthRadiusM = 6371008.8

const (
	deg2rad = math.Pi / 180
	rad2deg = 180 / math.Pi
)

// Point is a WGS84 position in degrees.
type Point struct{ Lat, Lon float64 }

// Valid reports whether p is finite with Lat in [-90,90] and Lon in [-180,180].
func (p Point) Valid() bool {
	return p.Lat >= -90 && p.Lat <= 90 && p.Lon >= -180 && p.Lon <= 180 // false for NaN
}

// Distance is the great-circle distance in metres between a and b (haversine formula on a sphere
// of radius EarthRadiusM).
func Distance(a, b Point) float64 {
	h := haversine(a.Lat*deg2rad, b.Lat*deg2rad, math.Cos(a.Lat*deg2rad), math.Cos(b.Lat*deg2rad),
		(b.Lon-a.Lon)*deg2rad)
	return havToMetres(h)
}

// haversine returns hav(θ) = sin²(Δφ/2) + cos φ1 cos φ2 sin²(Δλ/2) for the central angle θ
// between two points, given both latitudes and their cosines in radians and Δλ in radians (any
// multiple of 2π off is fine).
func haversine(lat1, lat2, cos1, cos2, dLon float64) float64 {
	if dLon > math.Pi || dLon < -math.Pi {
		dLon = math.Remainder(dLon, 2*math.Pi)
	}
	sLat := sinSmall((lat2 - lat1) / 2)
	sLon := sinSmall(dLon / 2)
	h := sLat*sLat + cos1*cos2*sLon*sLon
	if h > 1 {
		h = 1
	}
	return h
}

// havToMetres turns hav(θ) into metres: 2R·asin(√h).
func havToMetres(h float64) float64 {
	return 2 * EarthRadiusM * asinSmall(math.Sqrt(h))
}

// sinSmall is math.Sin, with a Taylor series for the small angles that dominate local queries
// (|x| < 1e-2 rad: the truncation error x⁷/5040 is below one ulp).
func sinSmall(x float64) float64 {
	if x < 1e-2 && x > -1e-2 {
		x2 := x * x
		return x * (1 - x2*(1.0/6)*(1-x2*(1.0/20)))
	}
	return math.Sin(x)
}

// asinSmall is math.Asin for x in [0,1], with a series below 1e-3 (≈ 12.7 km of arc), where
// the dropped term 5x⁷/112 is below one ulp.
func asinSmall(x float64) float64 {
	if x < 1e-3 {
		x2 := x * x
		return x * (1 + x2*(1.0/6)*(1+x2*(9.0/20)))
	}
	return math.Asin(x)
}

// Bearing is the initial great-circle bearing from a to b in degrees clockwise from north,
// in [0,360). It is 0 when a and b coincide.
func Bearing(a, b Point) float64 {
	lat1, lat2 := a.Lat*deg2rad, b.Lat*deg2rad
	dLon := (b.Lon - a.Lon) * deg2rad
	sinDLon, cosDLon := math.Sincos(dLon)
	sin1, cos1 := math.Sincos(lat1)
	sin2, cos2 := math.Sincos(lat2)
	y := sinDLon * cos2
	x := cos1*sin2 - sin1*cos2*cosDLon
	return normHeading(math.Atan2(y, x) * rad2deg)
}

// Destination is the point reached from p after distM metres along the great circle that starts
// with bearing bearingDeg. Its longitude is normalised to [-180,180].
func Destination(p Point, bearingDeg, distM float64) Point {
	lat1, lon1 := p.Lat*deg2rad, p.Lon*deg2rad
	delta := distM / EarthRadiusM
	sinD, cosD := math.Sincos(delta)
	sinB, cosB := math.Sincos(bearingDeg * deg2rad)
	sin1, cos1 := math.Sincos(lat1)
	sin2 := sin1*cosD + cos1*sinD*cosB
	sin2 = math.Max(-1, math.Min(1, sin2))
	lat2 := math.Asin(sin2)
	lon2 := lon1 + math.Atan2(sinB*sinD*cos1, cosD-sin1*sin2)
	return Point{Lat: lat2 * rad2deg, Lon: NormalizeLon(lon2 * rad2deg)}
}

// AngleDiff is the smallest absolute difference between two directions in degrees, in [0,180].
func AngleDiff(a, b float64) float64 {
	d := math.Abs(math.Mod(a-b, 360))
	if d > 180 {
		d = 360 - d
	}
	return d
}

// NormalizeLon maps a longitude in degrees into [-180,180] (180 stays 180, 540 becomes 180).
func NormalizeLon(lon float64) float64 {
	if lon >= -180 && lon <= 180 {
		return lon
	}
	l := math.Remainder(lon, 360) // in [-180,180]
	if l == -180 && lon > 0 {
		l = 180
	}
	return l
}

// normHeading maps degrees into [0,360).
func normHeading(d float64) float64 {
	d = math.Mod(d, 360)
	if d < 0 {
		d += 360
	}
	if d >= 360 { // -tiny + 360 rounds to 360
		d = 0
	}
	return d
}
