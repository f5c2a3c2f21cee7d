package edge

import (
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/michi-v2x/michi/pkg/geo"
)

// tileHolds accepts a position in the topic's tile or one of its eight neighbours (across the
// antimeridian too) and nothing else: the quadkey neighbours of the position's own tile are the
// oracle.
func TestTileHolds(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for range 20000 {
		zoom := 1 + rng.IntN(geo.MaxZoom)
		p := geo.Point{Lat: -85 + rng.Float64()*170, Lon: -180 + rng.Float64()*360}
		if rng.IntN(4) == 0 {
			p.Lon = 179.9999 + rng.Float64()*0.0001 - 360*float64(rng.IntN(2)) // at the antimeridian
		}
		own := geo.Quadkey(p, zoom)
		// A topic tile near p's: its own, a neighbour, or one or two tiles further.
		x, y, _, err := geo.QuadkeyTile(own)
		require.NoError(t, err)
		n := 1 << zoom
		tx, ty := (x+rng.IntN(5)-2+n)%n, min(max(y+rng.IntN(5)-2, 0), n-1)
		qk := geo.TileQuadkey(tx, ty, zoom)
		want := qk == own || slices.Contains(geo.QuadkeyNeighbours(own), qk)
		require.Equal(t, want, tileHolds(qk, p), "zoom %d, position %v in %s, topic tile %s", zoom, p, own, qk)
	}
	require.False(t, tileHolds("", geo.Point{}))
	require.False(t, tileHolds("0x1", geo.Point{}))
}
