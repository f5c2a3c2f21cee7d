package geo

import (
	"math"

	"github.com/tidwall/rtree"
)

// CellDeg is the side, in degrees, of the grid cells Index groups its points in: 1/256°, about
// 434 m of latitude (and 290 m of longitude at 48°).
const CellDeg = 1.0 / 256

// Index is a spatial index of points keyed by K, over github.com/tidwall/rtree, with an API in
// metres. It is not safe for concurrent use: its owner locks.
//
// Points live in fixed grid cells of CellDeg; the R-tree holds one rectangle per non-empty cell,
// and each cell a compact slice of its points. Why not one R-tree item per point (the first
// version): a vehicle moves a few metres per report, which is then an in-place write in its cell
// instead of an R-tree delete and insert (≈ 0.1 µs instead of ≈ 0.7 µs per move at 100k
// points), while a 500 m query costs the same (≈ 7 µs with a cold cache): it scans a few
// contiguous slices instead of calling back per R-tree item. The price: a small query in a very
// dense cell (thousands of points within 400 m) scans all of that cell, with a bounding-box
// check per point. Delete in tidwall/rtree needs the exact rectangle that was inserted: a cell's
// rectangle is a pure function of its grid coordinates, and Index keeps id → (cell, slot).
//
// Radius queries search the circle's bounding box (split at the antimeridian) and filter by the
// real great-circle distance (haversine, the same as Distance); rtree's own BoxDist is in
// squared degrees and is never used.
type Index[K comparable] struct {
	tr    rtree.RTreeG[*cell[K]]
	cells map[cellKey]*cell[K]
	locs  map[K]loc[K]
}

type cellKey struct{ y, x int32 }

type cell[K comparable] struct {
	key  cellKey
	ents []ent[K]
}

// ent is one point and its tag, 32 bytes for a pointer id: queries stream through these.
type ent[K comparable] struct {
	id  K
	p   Point
	tag uint64
}

type loc[K comparable] struct {
	c *cell[K]
	i int32
}

// NewIndex returns an empty index.
func NewIndex[K comparable]() *Index[K] {
	return &Index[K]{cells: make(map[cellKey]*cell[K]), locs: make(map[K]loc[K])}
}

func keyOf(p Point) cellKey {
	return cellKey{y: int32(math.Floor(p.Lat / CellDeg)), x: int32(math.Floor(p.Lon / CellDeg))}
}

// rect is the cell's rectangle in the tree, [lon,lat] corners.
func (k cellKey) rect() (min, max [2]float64) {
	return [2]float64{float64(k.x) * CellDeg, float64(k.y) * CellDeg},
		[2]float64{float64(k.x+1) * CellDeg, float64(k.y+1) * CellDeg}
}

// Set inserts id at p, or moves it there, keeping its tag (0 for a new id). An invalid p (NaN,
// out of range) is never stored: Set then removes id, and Get reports it absent.
func (ix *Index[K]) Set(id K, p Point) { ix.set(id, p, 0, false) }

// SetTag is Set that also stores tag with the point. The tag comes back from NearTag: a caller
// keeps there the few bits its filters need, so that a query reads only the index's own
// contiguous memory instead of one scattered object per candidate.
func (ix *Index[K]) SetTag(id K, p Point, tag uint64) { ix.set(id, p, tag, true) }

func (ix *Index[K]) set(id K, p Point, tag uint64, setTag bool) {
	l, ok := ix.locs[id]
	valid := p.Valid()
	if ok {
		e := &l.c.ents[l.i]
		if !setTag {
			tag = e.tag
		}
		if valid && keyOf(p) == l.c.key { // the common case: a move within the cell
			e.p, e.tag = p, tag
			return
		}
		ix.removeAt(l)
	}
	if !valid {
		if ok {
			delete(ix.locs, id)
		}
		return
	}
	k := keyOf(p)
	c := ix.cells[k]
	if c == nil {
		c = &cell[K]{key: k}
		ix.cells[k] = c
		mn, mx := k.rect()
		ix.tr.Insert(mn, mx, c)
	}
	c.ents = append(c.ents, ent[K]{id: id, p: p, tag: tag})
	ix.locs[id] = loc[K]{c: c, i: int32(len(c.ents) - 1)}
}

// removeAt takes the point at l out of its cell (the caller fixes locs for its id), dropping
// the cell when it empties.
func (ix *Index[K]) removeAt(l loc[K]) {
	c := l.c
	last := int32(len(c.ents) - 1)
	if l.i != last {
		c.ents[l.i] = c.ents[last]
		ix.locs[c.ents[l.i].id] = l
	}
	c.ents[last] = ent[K]{}
	c.ents = c.ents[:last]
	if last == 0 {
		mn, mx := c.key.rect()
		ix.tr.Delete(mn, mx, c)
		delete(ix.cells, c.key)
	}
}

// Delete removes id and reports whether it was present.
func (ix *Index[K]) Delete(id K) bool {
	l, ok := ix.locs[id]
	if !ok {
		return false
	}
	ix.removeAt(l)
	delete(ix.locs, id)
	return true
}

// Get returns the point stored for id.
func (ix *Index[K]) Get(id K) (Point, bool) {
	l, ok := ix.locs[id]
	if !ok {
		return Point{}, false
	}
	return l.c.ents[l.i].p, true
}

// Tag returns the tag stored for id.
func (ix *Index[K]) Tag(id K) (uint64, bool) {
	l, ok := ix.locs[id]
	if !ok {
		return 0, false
	}
	return l.c.ents[l.i].tag, true
}

// Len is the number of ids in the index.
func (ix *Index[K]) Len() int { return len(ix.locs) }

// circle is a radius query: centre (with its latitude in radians, cosine and sine), the
// haversine threshold, the bounding box, and whether the query is small enough for the series
// form of the haversine.
type circle struct {
	c                Point
	lat1, cos1, sin1 float64
	thr              float64
	box              Box
	small            bool
}

// smallHalfAngle bounds the half-angles (radians) of the series path: below it sin x = x - x³/6
// is exact to 1e-14 relative.
const smallHalfAngle = 1e-3

func newCircle(c Point, radiusM float64) circle {
	if !(radiusM > 0) {
		radiusM = 0
	}
	s := math.Sin(math.Min(radiusM/EarthRadiusM, math.Pi) / 2)
	b := BoxAround(c, radiusM)
	lat1 := c.Lat * deg2rad
	sin1, cos1 := math.Sincos(lat1)
	// The largest latitude and longitude differences from c to any point of the box.
	dLat := math.Max(b.Max.Lat-c.Lat, c.Lat-b.Min.Lat)
	dLon := math.Max(math.Abs(lonDelta(b.Max.Lon-c.Lon)), math.Abs(lonDelta(c.Lon-b.Min.Lon)))
	allLon := b.Min.Lon == -180 && b.Max.Lon == 180
	small := !allLon && math.Max(dLat, dLon)*deg2rad/2 < smallHalfAngle
	return circle{c: c, lat1: lat1, cos1: cos1, sin1: sin1, thr: s * s, box: b, small: small}
}

// hav is the haversine of the central angle between the centre and p. For a small query it
// avoids every transcendental call: the sines of the half-angles come from their series and
// cos φ2 = cos(φ1+Δ) = cos φ1·(1 - 2 sin²(Δ/2)) - sin φ1·2 sin(Δ/2)·cos(Δ/2).
func (q *circle) hav(p Point) float64 {
	if !q.small {
		return q.havLarge(p)
	}
	hl := (p.Lat - q.c.Lat) * (deg2rad / 2)
	ho := lonDelta(p.Lon-q.c.Lon) * (deg2rad / 2)
	sl := hl * (1 - hl*hl*(1.0/6))
	so := ho * (1 - ho*ho*(1.0/6))
	sl2 := sl * sl
	cos2 := q.cos1*(1-2*sl2) - q.sin1*2*sl*(1-sl2*0.5)
	return sl2 + q.cos1*cos2*so*so
}

func (q *circle) havLarge(p Point) float64 {
	return haversine(q.lat1, p.Lat*deg2rad, q.cos1, math.Cos(p.Lat*deg2rad), (p.Lon-q.c.Lon)*deg2rad)
}

// lonDelta wraps a longitude difference in degrees into [-180,180].
func lonDelta(d float64) float64 {
	if d > 180 {
		return d - 360
	}
	if d < -180 {
		return d + 360
	}
	return d
}

// Within calls fn for every id within radiusM metres (great-circle) of c, with its point and
// distance, in no particular order, until fn returns false. fn must not modify the index.
func (ix *Index[K]) Within(c Point, radiusM float64, fn func(id K, p Point, distM float64) bool) {
	if !c.Valid() {
		return
	}
	q := newCircle(c, radiusM)
	ix.search(q.box, func(cl *cell[K], minLon, maxLon float64) bool {
		for i := range cl.ents {
			e := &cl.ents[i]
			if e.p.Lat < q.box.Min.Lat || e.p.Lat > q.box.Max.Lat || e.p.Lon < minLon || e.p.Lon > maxLon {
				continue
			}
			h := q.hav(e.p)
			if h <= q.thr && !fn(e.id, e.p, havToMetres(h)) {
				return false
			}
		}
		return true
	})
}

// Near is Within without the distances, for callers that only filter: it saves a square root
// and an arcsine per hit.
func (ix *Index[K]) Near(c Point, radiusM float64, fn func(id K, p Point) bool) {
	ix.NearTag(c, radiusM, func(id K, p Point, _ uint64) bool { return fn(id, p) })
}

// NearTag is Near that also hands over each point's tag (see SetTag).
func (ix *Index[K]) NearTag(c Point, radiusM float64, fn func(id K, p Point, tag uint64) bool) {
	if !c.Valid() {
		return
	}
	q := newCircle(c, radiusM)
	ix.search(q.box, func(cl *cell[K], minLon, maxLon float64) bool {
		for i := range cl.ents {
			e := &cl.ents[i]
			if e.p.Lat < q.box.Min.Lat || e.p.Lat > q.box.Max.Lat || e.p.Lon < minLon || e.p.Lon > maxLon {
				continue
			}
			h := q.hav(e.p)
			if h <= q.thr && !fn(e.id, e.p, e.tag) {
				return false
			}
		}
		return true
	})
}

// InBox calls fn for every id whose point lies in b (edges included; b may cross the
// antimeridian) until fn returns false. fn must not modify the index.
func (ix *Index[K]) InBox(b Box, fn func(id K, p Point) bool) {
	ix.search(b, func(cl *cell[K], minLon, maxLon float64) bool {
		for i := range cl.ents {
			e := &cl.ents[i]
			if e.p.Lat < b.Min.Lat || e.p.Lat > b.Max.Lat || e.p.Lon < minLon || e.p.Lon > maxLon {
				continue
			}
			if !fn(e.id, e.p) {
				return false
			}
		}
		return true
	})
}

// search calls fn for each cell intersecting b, with the longitude range of the piece of b it
// was found for (b is split at the antimeridian), stopping when fn does.
func (ix *Index[K]) search(b Box, fn func(c *cell[K], minLon, maxLon float64) bool) {
	more := true
	var lo, hi float64
	iter := func(_, _ [2]float64, c *cell[K]) bool {
		more = fn(c, lo, hi)
		return more
	}
	r, n := b.lonRanges()
	for _, lon := range r[:n] {
		lo, hi = lon[0], lon[1]
		ix.tr.Search([2]float64{lo, b.Min.Lat}, [2]float64{hi, b.Max.Lat}, iter)
		if !more {
			return
		}
	}
}
