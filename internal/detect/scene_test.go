package detect

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/michi-v2x/michi/internal/ldm"
	"github.com/michi-v2x/michi/pkg/geo"
)

// TestSceneNearFindsEveryNeighbour compares grid queries with brute force and real distances.
func TestSceneNearFindsEveryNeighbour(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 10))
	m := newMap()
	for i := range 300 {
		p := geo.Destination(base, rng.Float64()*360, rng.Float64()*3000)
		car(m, uint32(i+1), p, 10, rng.Float64()*360, t0)
	}
	for _, cell := range []float64{25, 100, 1000} {
		var s scene
		s.build(m, func(*ldm.Object) bool { return true }, cell)
		require.Len(t, s.actors, 300)
		for _, r := range []float64{10, 150, 700} {
			for i := 0; i < len(s.actors); i += 17 {
				a := &s.actors[i]
				var got, want []int
				s.near(a.x, a.y, r, func(j int) bool {
					if math.Hypot(s.actors[j].x-a.x, s.actors[j].y-a.y) <= r {
						got = append(got, j)
					}
					return true
				})
				for j := range s.actors {
					b := &s.actors[j]
					plane := math.Hypot(b.x-a.x, b.y-a.y)
					if plane <= r {
						want = append(want, j)
					}
					// WGS84 tangent plane vs geo.Distance's sphere: within 0.4 % (the ellipsoid)
					require.InDelta(t, geo.Distance(a.pos, b.pos), plane, 0.01+0.004*plane)
				}
				slices.Sort(got)
				require.Equal(t, want, got, "cell %g radius %g", cell, r)
			}
		}
	}
}

func TestSceneGridStaysBounded(t *testing.T) {
	m := newMap()
	car(m, 1, base, 10, 0, t0)
	car(m, 2, geo.Destination(base, 45, 200_000), 10, 0, t0) // 140 km x 140 km at 1 m cells
	var s scene
	s.build(m, func(*ldm.Object) bool { return true }, 1)
	require.LessOrEqual(t, int(s.w)*int(s.h), 4*maxCells)
	n := 0
	s.near(s.actors[0].x, s.actors[0].y, 10, func(int) bool { n++; return true })
	require.Equal(t, 1, n)

	var empty scene
	empty.build(newMap(), func(*ldm.Object) bool { return true }, 50)
	empty.near(0, 0, 100, func(int) bool { t.Fatal("no actors"); return false })
}
