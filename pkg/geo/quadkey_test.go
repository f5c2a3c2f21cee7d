package geo

import (
	"errors"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestQuadkeyBingExample(t *testing.T) {
	// Bing Maps Tile System: "tile XY coordinates (3, 5) at level 3 … quadkey 213".
	require.Equal(t, "213", TileQuadkey(3, 5, 3))
	x, y, z, err := QuadkeyTile("213")
	require.NoError(t, err)
	require.Equal(t, [3]int{3, 5, 3}, [3]int{x, y, z})
}

func TestQuadkeyKnown(t *testing.T) {
	for _, tc := range []struct {
		p    Point
		zoom int
		want string
	}{
		{Point{45, 5}, 3, "120"},     // x = ⌊185/360·8⌋ = 4, y = ⌊0.3597·8⌋ = 2
		{Point{10, 10}, 1, "1"},      // north-east quarter
		{Point{-10, -10}, 1, "2"},    // south-west quarter
		{Point{-10, 10}, 2, "30"},    // just south-east of (0,0)
		{Point{89.9, -180}, 2, "00"}, // beyond the Mercator edge: top row
		{Point{-89.9, 180}, 2, "33"}, // bottom row, last column
	} {
		require.Equal(t, tc.want, Quadkey(tc.p, tc.zoom), "%v z%d", tc.p, tc.zoom)
	}
	// Zoom is clamped.
	require.Len(t, Quadkey(paris, 0), 1)
	require.Len(t, Quadkey(paris, 99), MaxZoom)
	// Each level refines the one above.
	full := Quadkey(paris, MaxZoom)
	for z := 1; z <= MaxZoom; z++ {
		require.Equal(t, full[:z], Quadkey(paris, z))
	}
}

func TestQuadkeyRoundTrip(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 10))
	for range 5000 {
		p := Point{Lat: rng.Float64()*170 - 85, Lon: rng.Float64()*360 - 180}
		z := 1 + rng.IntN(MaxZoom)
		qk := Quadkey(p, z)
		require.Len(t, qk, z)
		b, err := QuadkeyBox(qk)
		require.NoError(t, err)
		require.True(t, b.Contains(p), "p %v qk %s box %v", p, qk, b)
		require.Equal(t, qk, Quadkey(b.Center(), z))
		x, y, zz, err := QuadkeyTile(qk)
		require.NoError(t, err)
		require.Equal(t, qk, TileQuadkey(x, y, zz))
	}
}

func TestQuadkeyBoxKnown(t *testing.T) {
	b, err := QuadkeyBox("0")
	require.NoError(t, err)
	require.InDelta(t, -180, b.Min.Lon, 1e-12)
	require.InDelta(t, 0, b.Max.Lon, 1e-12)
	require.InDelta(t, 0, b.Min.Lat, 1e-12)
	require.InDelta(t, MaxMercatorLat, b.Max.Lat, 1e-8)
}

func TestQuadkeyInvalid(t *testing.T) {
	for _, qk := range []string{"", "4", "01x", "0-1", strings.Repeat("0", MaxZoom+1), "٣"} {
		_, err := QuadkeyBox(qk)
		require.True(t, errors.Is(err, ErrInvalidQuadkey), "%q", qk)
		require.Nil(t, QuadkeyNeighbours(qk))
	}
}

func TestQuadkeyNeighbours(t *testing.T) {
	// Interior tile: 8 distinct neighbours, each touching the tile.
	qk := Quadkey(paris, 16)
	nb := QuadkeyNeighbours(qk)
	require.Len(t, nb, 8)
	b, _ := QuadkeyBox(qk)
	for _, n := range nb {
		require.NotEqual(t, qk, n)
		nbb, err := QuadkeyBox(n)
		require.NoError(t, err)
		require.True(t, b.Intersects(nbb), n)
	}
	// Order NW, N, NE, W, E, SW, S, SE.
	x, y, z, _ := QuadkeyTile(qk)
	require.Equal(t, TileQuadkey(x-1, y-1, z), nb[0])
	require.Equal(t, TileQuadkey(x, y-1, z), nb[1])
	require.Equal(t, TileQuadkey(x+1, y+1, z), nb[7])

	// Antimeridian: the westmost column's western neighbours are in the eastmost column.
	w := TileQuadkey(0, 5, 4)
	nb = QuadkeyNeighbours(w)
	require.Len(t, nb, 8)
	require.Contains(t, nb, TileQuadkey(15, 4, 4))
	require.Contains(t, nb, TileQuadkey(15, 5, 4))
	require.Contains(t, nb, TileQuadkey(15, 6, 4))

	// Top row: no row above, 5 neighbours; bottom row likewise.
	require.Len(t, QuadkeyNeighbours(TileQuadkey(3, 0, 4)), 5)
	require.Len(t, QuadkeyNeighbours(TileQuadkey(3, 15, 4)), 5)
	// Zoom 1: the world is 2×2, wrapping makes every other tile a neighbour, once.
	require.ElementsMatch(t, []string{"1", "2", "3"}, QuadkeyNeighbours("0"))
}

func FuzzQuadkeyTile(f *testing.F) {
	for _, s := range []string{"", "0", "213", "0123012301230123012301", "4", "01x", strings.Repeat("3", 24)} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, qk string) {
		x, y, z, err := QuadkeyTile(qk)
		b, berr := QuadkeyBox(qk)
		nb := QuadkeyNeighbours(qk)
		if err != nil {
			require.ErrorIs(t, err, ErrInvalidQuadkey)
			require.Error(t, berr)
			require.Nil(t, nb)
			return
		}
		require.NoError(t, berr)
		require.Equal(t, qk, TileQuadkey(x, y, z))
		require.Equal(t, qk, Quadkey(b.Center(), z))
		require.LessOrEqual(t, len(nb), 8)
		for _, n := range nb {
			require.Len(t, n, z)
		}
	})
}
