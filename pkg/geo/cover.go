package geo

import (
	"math"
	"slices"
)

// TilesCoveringCircle returns, sorted, the quadkey of every zoom-level tile (zoom clamped to
// 1..MaxZoom) that shares at least one point with the circle of radiusM metres around c on the
// sphere — exactly, by the great-circle distance from c to each candidate tile, not by the
// circle's bounding box. Tiles wrap around the antimeridian; as in TileXY, the top and bottom
// rows also own the polar caps beyond ±MaxMercatorLat, so for every point p in the circle
// Quadkey(p, zoom) is in the result. The work is proportional to the number of tiles in the
// circle's bounding box, (2r / tile size)²: mind the zoom for large radii. An invalid c gives nil.
func TilesCoveringCircle(c Point, radiusM float64, zoom int) []string {
	if !c.Valid() {
		return nil
	}
	zoom = clampZoom(zoom)
	n := 1 << zoom
	nf := float64(n)
	if !(radiusM > 0) {
		radiusM = 0
	}
	ang := math.Min(radiusM/EarthRadiusM, math.Pi)
	s := math.Sin(ang / 2)
	cc := capQuery{
		lat: c.Lat * deg2rad, lon: c.Lon * deg2rad,
		cos: math.Cos(c.Lat * deg2rad), sin: math.Sin(c.Lat * deg2rad),
		thr: s * s * (1 + 1e-12),
	}

	b := BoxAround(c, radiusM)
	y0, y1 := tileY(b.Max.Lat, nf), tileY(b.Min.Lat, nf)
	var xr [2][2]int
	nx := 1
	switch {
	case b.Min.Lon == -180 && b.Max.Lon == 180:
		xr[0] = [2]int{0, n - 1}
	case b.CrossesAntimeridian():
		xr[0] = [2]int{tileX(b.Min.Lon, nf), n - 1}
		xr[1] = [2]int{0, tileX(b.Max.Lon, nf)}
		nx = 2
		if xr[1][1] >= xr[0][0] { // the two pieces overlap: the whole row
			xr[0], nx = [2]int{0, n - 1}, 1
		}
	default:
		xr[0] = [2]int{tileX(b.Min.Lon, nf), tileX(b.Max.Lon, nf)}
	}

	var out []string
	for y := y0; y <= y1; y++ {
		latN, latS := 90.0, -90.0
		if y > 0 {
			latN = tileLat(float64(y), nf)
		}
		if y < n-1 {
			latS = tileLat(float64(y+1), nf)
		}
		for _, r := range xr[:nx] {
			for x := r[0]; x <= r[1]; x++ {
				if cc.touches(latS*deg2rad, latN*deg2rad, tileLon(float64(x), nf)*deg2rad, tileLon(float64(x+1), nf)*deg2rad) {
					out = append(out, TileQuadkey(x, y, zoom))
				}
			}
		}
	}
	slices.Sort(out)
	return out
}

// capQuery is a spherical cap: centre (radians, with sine and cosine of the latitude) and the
// haversine of its angular radius.
type capQuery struct {
	lat, lon, cos, sin float64
	thr                float64
}

// touches reports whether the cap shares a point with the rectangle [latS,latN]×[lonW,lonE]
// (radians, lonW ≤ lonE). The nearest point of the rectangle to the centre is the centre itself
// when inside; else, when the centre's longitude is within the rectangle's, the nearer end of
// that meridian; else a point of one of the two bounding meridians, because along a parallel
// the distance grows with the longitude difference. Along a meridian at longitude difference Δλ,
// cos d = sin φc·sin φ + cos φc·cos Δλ·cos φ is a sinusoid in φ peaking at atan2(sin φc,
// cos φc·cos Δλ), so the nearest point of a meridian segment is that peak clamped into it or one
// of its ends.
func (c capQuery) touches(latS, latN, lonW, lonE float64) bool {
	inLon := c.lon >= lonW && c.lon <= lonE
	if inLon {
		if c.lat >= latS && c.lat <= latN {
			return true
		}
		d := math.Min(math.Abs(c.lat-latS), math.Abs(c.lat-latN))
		s := sinSmall(d / 2)
		if s*s <= c.thr {
			return true
		}
	}
	for _, lon := range [2]float64{lonW, lonE} {
		dLon := lon - c.lon
		peak := math.Atan2(c.sin, c.cos*math.Cos(dLon))
		for _, lat := range [3]float64{math.Max(latS, math.Min(latN, peak)), latS, latN} {
			if haversine(c.lat, lat, c.cos, math.Cos(lat), dLon) <= c.thr {
				return true
			}
		}
	}
	return false
}
