package geo

import "math"

// Box is a latitude/longitude rectangle: Min is the south-west corner, Max the north-east one.
// A box with Min.Lon > Max.Lon crosses the antimeridian: it spans Min.Lon..180 and -180..Max.Lon.
type Box struct{ Min, Max Point }

// CrossesAntimeridian reports whether b wraps from 180 to -180 (Min.Lon > Max.Lon).
func (b Box) CrossesAntimeridian() bool { return b.Min.Lon > b.Max.Lon }

// Contains reports whether p lies inside b or on its edge.
func (b Box) Contains(p Point) bool {
	if p.Lat < b.Min.Lat || p.Lat > b.Max.Lat {
		return false
	}
	if b.CrossesAntimeridian() {
		return p.Lon >= b.Min.Lon || p.Lon <= b.Max.Lon
	}
	return p.Lon >= b.Min.Lon && p.Lon <= b.Max.Lon
}

// Intersects reports whether b and o share at least one point (touching edges count).
func (b Box) Intersects(o Box) bool {
	if b.Max.Lat < o.Min.Lat || o.Max.Lat < b.Min.Lat {
		return false
	}
	br, bn := b.lonRanges()
	or, on := o.lonRanges()
	for _, x := range br[:bn] {
		for _, y := range or[:on] {
			if x[0] <= y[1] && y[0] <= x[1] {
				return true
			}
		}
	}
	return false
}

// Center is the middle of b in latitude and longitude (across the antimeridian when b crosses it).
func (b Box) Center() Point {
	lat := (b.Min.Lat + b.Max.Lat) / 2
	if !b.CrossesAntimeridian() {
		return Point{Lat: lat, Lon: (b.Min.Lon + b.Max.Lon) / 2}
	}
	return Point{Lat: lat, Lon: NormalizeLon((b.Min.Lon + b.Max.Lon + 360) / 2)}
}

// Split returns b as one or, when it crosses the antimeridian, two boxes that do not.
func (b Box) Split() []Box {
	if !b.CrossesAntimeridian() {
		return []Box{b}
	}
	return []Box{
		{Min: b.Min, Max: Point{Lat: b.Max.Lat, Lon: 180}},
		{Min: Point{Lat: b.Min.Lat, Lon: -180}, Max: b.Max},
	}
}

// lonRanges is Split for the longitude intervals only, without allocating: n intervals in r.
func (b Box) lonRanges() (r [2][2]float64, n int) {
	if !b.CrossesAntimeridian() {
		return [2][2]float64{{b.Min.Lon, b.Max.Lon}}, 1
	}
	return [2][2]float64{{b.Min.Lon, 180}, {-180, b.Max.Lon}}, 2
}

// BoxAround returns the smallest box that encloses every point within radiusM metres of c on the
// sphere. Near the antimeridian the box crosses it (Min.Lon > Max.Lon); when the circle reaches
// a pole the box spans every longitude. A negative or NaN radius counts as 0.
func BoxAround(c Point, radiusM float64) Box {
	if !(radiusM > 0) {
		radiusM = 0
	}
	ang := radiusM / EarthRadiusM // central angle, radians
	// Widen by a hair (~0.1 mm) so that points on the circle survive rounding.
	dLat := ang*rad2deg*(1+1e-12) + 1e-9
	minLat, maxLat := c.Lat-dLat, c.Lat+dLat
	if maxLat >= 90 || minLat <= -90 || ang >= math.Pi/2 {
		return Box{
			Min: Point{Lat: math.Max(minLat, -90), Lon: -180},
			Max: Point{Lat: math.Min(maxLat, 90), Lon: 180},
		}
	}
	// Widest longitude of a spherical cap: asin(sin θ / cos φ) (the tangent meridians).
	s := math.Sin(ang) / math.Cos(c.Lat*deg2rad)
	if s >= 1 {
		return Box{Min: Point{Lat: minLat, Lon: -180}, Max: Point{Lat: maxLat, Lon: 180}}
	}
	dLon := math.Asin(s)*rad2deg*(1+1e-12) + 1e-9
	minLon, maxLon := c.Lon-dLon, c.Lon+dLon
	switch {
	case maxLon-minLon >= 360:
		minLon, maxLon = -180, 180
	case minLon < -180:
		minLon += 360
	case maxLon > 180:
		maxLon -= 360
	}
	return Box{Min: Point{Lat: minLat, Lon: minLon}, Max: Point{Lat: maxLat, Lon: maxLon}}
}
