package detect

import (
	"math"
	"strconv"
	"time"

	"github.com/michi-v2x/michi/internal/ldm"
	"github.com/michi-v2x/michi/pkg/geo"
)

// actor is what a detector needs of one LDM object, copied out of the map, with its position
// and velocity in the scene's local plane (x east, y north, metres; m/s).
type actor struct {
	id        uint64
	kind      ldm.Kind
	station   uint32
	pos       geo.Point
	x, y      float64
	vx, vy    float64
	ux, uy    float64 // unit vector of the heading (0,0 without one)
	speed     float64
	heading   float64
	headingOK bool
	stopped   time.Time // ldm StoppedSince
}

// scene is a flat snapshot of part of the LDM with a uniform grid over it, so a detector's
// neighbour queries need neither the map's lock nor great-circle maths. The tangent plane is
// centred on the snapshot, accurate to millimetres over an edge's few kilometres. The grid is a
// dense array over the snapshot's bounding box (cells grow if the box would need more than
// maxCells), so a query costs one slice index per cell and nothing outside the box.
type scene struct {
	proj       geo.Projection
	actors     []actor
	cell       float64
	minX, minY float64
	w, h       int32
	head       []int32 // cell -> first actor index in it (+1; 0 = none)
	next       []int32 // actor index -> next actor index in the same cell (+1)
}

const maxCells = 1 << 20

// build fills the scene from every object keep accepts, reusing its buffers.
func (s *scene) build(m *ldm.Map, keep func(o *ldm.Object) bool, cellM float64) {
	s.actors = s.actors[:0]
	minLat, minLon, maxLat, maxLon := math.Inf(1), math.Inf(1), math.Inf(-1), math.Inf(-1)
	m.Each(func(o *ldm.Object) bool {
		if !keep(o) || !o.Pos.Valid() {
			return true
		}
		s.actors = append(s.actors, actor{
			id: o.ID, kind: o.Kind, station: o.StationID, pos: o.Pos,
			speed: o.SpeedMPS, heading: o.HeadingDeg, headingOK: o.HeadingOK, stopped: o.StoppedSince,
		})
		minLat, maxLat = min(minLat, o.Pos.Lat), max(maxLat, o.Pos.Lat)
		minLon, maxLon = min(minLon, o.Pos.Lon), max(maxLon, o.Pos.Lon)
		return true
	})
	s.w, s.h = 0, 0
	if len(s.actors) == 0 {
		return
	}
	s.proj = geo.NewProjection(geo.Point{Lat: (minLat + maxLat) / 2, Lon: (minLon + maxLon) / 2})
	maxX, maxY := math.Inf(-1), math.Inf(-1)
	s.minX, s.minY = math.Inf(1), math.Inf(1)
	for i := range s.actors {
		a := &s.actors[i]
		a.x, a.y = s.proj.ToLocal(a.pos)
		if a.headingOK {
			a.ux, a.uy = math.Sincos(a.heading * math.Pi / 180)
			a.vx, a.vy = a.speed*a.ux, a.speed*a.uy
		}
		s.minX, s.minY = min(s.minX, a.x), min(s.minY, a.y)
		maxX, maxY = max(maxX, a.x), max(maxY, a.y)
	}
	s.cell = cellM
	for (maxX-s.minX)/s.cell*(maxY-s.minY)/s.cell > maxCells {
		s.cell *= 2
	}
	s.w, s.h = s.cellOf(maxX, s.minX)+1, s.cellOf(maxY, s.minY)+1
	n := int(s.w) * int(s.h)
	if cap(s.head) < n {
		s.head = make([]int32, n)
	}
	s.head = s.head[:n]
	clear(s.head)
	s.next = s.next[:0]
	for i := range s.actors {
		a := &s.actors[i]
		c := s.cellOf(a.y, s.minY)*s.w + s.cellOf(a.x, s.minX)
		s.next = append(s.next, s.head[c])
		s.head[c] = int32(i) + 1
	}
}

func (s *scene) cellOf(v, origin float64) int32 { return int32((v - origin) / s.cell) }

// near calls fn with the index of every actor in the grid cells the square of half-side r
// around (x, y) touches, until fn returns false. Callers filter by real distance.
func (s *scene) near(x, y, r float64, fn func(j int) bool) {
	if s.w == 0 {
		return
	}
	x0, x1 := s.clamp(x-r, s.minX, s.w), s.clamp(x+r, s.minX, s.w)
	y0, y1 := s.clamp(y-r, s.minY, s.h), s.clamp(y+r, s.minY, s.h)
	for cy := y0; cy <= y1; cy++ {
		row := cy * s.w
		for cx := x0; cx <= x1; cx++ {
			for j := s.head[row+cx]; j != 0; j = s.next[j-1] {
				if !fn(int(j - 1)) {
					return
				}
			}
		}
	}
}

// clamp is the cell of v, limited to the grid.
func (s *scene) clamp(v, origin float64, n int32) int32 {
	c := (v - origin) / s.cell
	switch {
	case c < 0:
		return 0
	case c >= float64(n):
		return n - 1
	}
	return int32(c)
}

// toPoint maps plane coordinates back to WGS84.
func (s *scene) toPoint(x, y float64) geo.Point { return s.proj.ToPoint(x, y) }

// headingOf maps a plane direction to degrees clockwise from north in [0,360).
func headingOf(x, y float64) float64 {
	h := math.Atan2(x, y) * 180 / math.Pi
	if h < 0 {
		h += 360
	}
	return h
}

// keyOf is an actor's identity for a detector key: its station when it reports itself, else its
// LDM id.
func keyOf(a *actor) string {
	if a.station != 0 {
		return stationSource(a.station)
	}
	return "obj:" + strconv.FormatUint(a.id, 10)
}

// crossingNear says whether an actor that moves at 1 m/s or more crosses the direction (ux, uy)
// (heading 45°–135° off it) within r of (x, y): traffic crossing there, so a junction.
func (s *scene) crossingNear(x, y, ux, uy, r float64) bool {
	const cos45 = 0.7071
	found := false
	s.near(x, y, r, func(j int) bool {
		q := &s.actors[j]
		dx, dy := q.x-x, q.y-y
		if q.speed >= 1 && q.headingOK && math.Abs(ux*q.ux+uy*q.uy) < cos45 && dx*dx+dy*dy <= r*r {
			found = true
			return false
		}
		return true
	})
	return found
}
