package geo

import (
	"fmt"
	"math"
)

// Bing Maps Tile System (https://learn.microsoft.com/en-us/bingmaps/articles/bing-maps-tile-system):
// Web Mercator tiles, zoom 1..MaxZoom, a quadkey has one digit '0'..'3' per level, most
// significant first; digit = (x bit) + 2·(y bit). Tile y grows southwards.
const (
	MinZoom = 1
	MaxZoom = 23

	// MaxMercatorLat is the latitude where the square Mercator map ends; points beyond it fall
	// into the top or bottom row of tiles.
	MaxMercatorLat = 85.05112878
)

// clampZoom keeps zoom in [MinZoom, MaxZoom].
func clampZoom(z int) int {
	return min(max(z, MinZoom), MaxZoom)
}

// TileXY returns the tile column x and row y holding p at zoom (clamped to 1..MaxZoom).
// Latitudes beyond ±MaxMercatorLat land in the edge rows, longitude 180 in the last column, and
// a NaN coordinate counts as 0. This is Bing's LatLongToPixelXY/PixelXYToTileXY without its
// half-pixel rounding, so that TileBox(TileXY(p)) always contains p.
func TileXY(p Point, zoom int) (x, y int) {
	zoom = clampZoom(zoom)
	n := float64(int(1) << zoom)
	return tileX(p.Lon, n), tileY(p.Lat, n)
}

func tileX(lon, n float64) int {
	if lon != lon {
		lon = 0
	}
	return clampTile(math.Floor((lon+180)/360*n), n)
}

func tileY(lat, n float64) int {
	if lat != lat {
		lat = 0
	}
	lat = math.Max(-MaxMercatorLat, math.Min(MaxMercatorLat, lat))
	s := math.Sin(lat * deg2rad)
	y := 0.5 - math.Log((1+s)/(1-s))/(4*math.Pi)
	return clampTile(math.Floor(y*n), n)
}

func clampTile(t, n float64) int {
	return int(math.Max(0, math.Min(n-1, t)))
}

// Quadkey returns the quadkey of the zoom-level tile (clamped to 1..MaxZoom) that holds p.
func Quadkey(p Point, zoom int) string {
	zoom = clampZoom(zoom)
	x, y := TileXY(p, zoom)
	return TileQuadkey(x, y, zoom)
}

// TileQuadkey encodes tile (x, y) at zoom as a quadkey. Zoom is clamped to 1..MaxZoom; bits of
// x and y above zoom are ignored.
func TileQuadkey(x, y, zoom int) string {
	zoom = clampZoom(zoom)
	var buf [MaxZoom]byte
	for i := zoom; i > 0; i-- {
		mask := 1 << (i - 1)
		d := byte('0')
		if x&mask != 0 {
			d++
		}
		if y&mask != 0 {
			d += 2
		}
		buf[zoom-i] = d
	}
	return string(buf[:zoom])
}

// QuadkeyTile decodes a quadkey into its tile column, row and zoom.
func QuadkeyTile(qk string) (x, y, zoom int, err error) {
	if len(qk) < MinZoom || len(qk) > MaxZoom {
		return 0, 0, 0, fmt.Errorf("%w: length %d not in [%d,%d]", ErrInvalidQuadkey, len(qk), MinZoom, MaxZoom)
	}
	zoom = len(qk)
	for i := 0; i < zoom; i++ {
		mask := 1 << (zoom - 1 - i)
		switch qk[i] {
		case '0':
		case '1':
			x |= mask
		case '2':
			y |= mask
		case '3':
			x |= mask
			y |= mask
		default:
			return 0, 0, 0, fmt.Errorf("%w: digit %q at %d", ErrInvalidQuadkey, qk[i], i)
		}
	}
	return x, y, zoom, nil
}

// TileBox returns the latitude/longitude rectangle of tile (x, y) at zoom. The top and bottom
// rows end at ±MaxMercatorLat.
func TileBox(x, y, zoom int) Box {
	n := float64(int(1) << clampZoom(zoom))
	return Box{
		Min: Point{Lat: tileLat(float64(y+1), n), Lon: tileLon(float64(x), n)},
		Max: Point{Lat: tileLat(float64(y), n), Lon: tileLon(float64(x+1), n)},
	}
}

func tileLon(x, n float64) float64 { return x/n*360 - 180 }

func tileLat(y, n float64) float64 {
	return math.Atan(math.Sinh(math.Pi*(1-2*y/n))) * rad2deg
}

// QuadkeyBox returns the rectangle of the tile named by qk.
func QuadkeyBox(qk string) (Box, error) {
	x, y, z, err := QuadkeyTile(qk)
	if err != nil {
		return Box{}, err
	}
	return TileBox(x, y, z), nil
}

// QuadkeyNeighbours returns the up to 8 tiles around qk at the same zoom, in the order NW, N,
// NE, W, E, SW, S, SE. Columns wrap around the antimeridian; there are no rows beyond the top
// and bottom of the map, so an edge-row tile has 5 neighbours. At zoom 1 wrapping makes some
// neighbours coincide; each is listed once and qk itself never. An invalid qk gives nil.
func QuadkeyNeighbours(qk string) []string {
	x, y, z, err := QuadkeyTile(qk)
	if err != nil {
		return nil
	}
	n := 1 << z
	out := make([]string, 0, 8)
	for dy := -1; dy <= 1; dy++ {
		ny := y + dy
		if ny < 0 || ny >= n {
			continue
		}
		for dx := -1; dx <= 1; dx++ {
			nx := (x + dx + n) % n
			if nx == x && ny == y {
				continue
			}
			k := TileQuadkey(nx, ny, z)
			dup := false
			for _, o := range out {
				dup = dup || o == k
			}
			if !dup {
				out = append(out, k)
			}
		}
	}
	return out
}
