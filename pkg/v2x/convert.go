package v2x

import (
	"math"

	"github.com/michi-v2x/michi/pkg/geo"
)

// Conversions between ETSI integer units and SI floats.

func pointFrom(lat, lon int32) geo.Point {
	return geo.Point{Lat: float64(lat) / 1e7, Lon: float64(lon) / 1e7}
}

// etsiLatLon converts degrees to 1e-7 degree; a point that is not Valid
// gives the unavailable sentinels.
func etsiLatLon(p geo.Point) (lat, lon int32) {
	if !p.Valid() {
		return LatitudeUnavailable, LongitudeUnavailable
	}
	return int32(math.Round(p.Lat * 1e7)), int32(math.Round(p.Lon * 1e7))
}

// unavailablePosition is a reference position with the given coordinates and
// unavailable confidence and altitude.
func referencePosition(p geo.Point) ReferencePosition {
	lat, lon := etsiLatLon(p)
	return ReferencePosition{
		Latitude:  lat,
		Longitude: lon,
		PositionConfidenceEllipse: PositionConfidenceEllipse{
			SemiMajor: 4095, SemiMinor: 4095, SemiMajorOrientation: HeadingUnavailable,
		},
		Altitude: Altitude{Value: AltitudeUnavailable, Confidence: 15},
	}
}

// speedFrom converts 0.01 m/s; unavailable (16383) gives ok = false.
func speedFrom(v uint16) (float64, bool) {
	if v >= SpeedUnavailable {
		return 0, false
	}
	return float64(v) / 100, true
}

// etsiSpeed converts m/s to 0.01 m/s: NaN or negative gives unavailable,
// more than 163.81 m/s gives outOfRange.
func etsiSpeed(mps float64) uint16 {
	switch {
	case math.IsNaN(mps) || mps < 0:
		return SpeedUnavailable
	case mps*100 >= SpeedOutOfRange-0.5:
		return SpeedOutOfRange
	}
	return uint16(math.Round(mps * 100))
}

// headingFrom converts 0.1 degree; 3600 (doNotUse) and 3601 give ok = false.
func headingFrom(v uint16) (float64, bool) {
	if v >= HeadingDoNotUse {
		return 0, false
	}
	return float64(v) / 10, true
}

// etsiHeading converts degrees clockwise from north to 0.1 degree in
// [0, 3599]; NaN or infinity gives unavailable.
func etsiHeading(deg float64) uint16 {
	if math.IsNaN(deg) || math.IsInf(deg, 0) {
		return HeadingUnavailable
	}
	d := math.Mod(math.Round(deg*10), 3600)
	if d < 0 {
		d += 3600
	}
	return uint16(d)
}

func normDeg(d float64) float64 {
	d = math.Mod(d, 360)
	if d < 0 {
		d += 360
	}
	if d >= 360 {
		d = 0
	}
	return d
}

func ptr[T any](v T) *T { return &v }
