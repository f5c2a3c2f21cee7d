package geo

import (
	"math"

	"github.com/tidwall/rtree"
)

// Index is a spatial index of points keyed by K, over github.com/tidwall/rtree, with an API in
// metres. It is not safe for concurrent use: its owner locks.
//
// The tree stores degenerate rectangles [lon,lat]–[lon,lat]. rtree.Delete needs the exact
// rectangle and value that were inserted, so Index keeps id → entry and Set moves a point by
// deleting exactly what it inserted before. Radius queries search the circle's bounding box
// (split at the antimeridian) and filter by the real great-circle distance (haversine, the
// same as Distance); rtree's own BoxDist is in squared degrees and is never used.
type Index[K comparable] struct {
	tr  rtree.RTreeG[item[K]]
	pts map[K]item[K]
}

// item is what the tree stores: the id and the cosine of the latitude, cached for the haversine.
type item[K comparable] struct {
	id     K
	cosLat float64
	p      Point
}

// NewIndex returns an empty index.
func NewIndex[K comparable]() *Index[K] {
	return &Index[K]{pts: make(map[K]item[K])}
}

func rect(p Point) [2]float64 { return [2]float64{p.Lon, p.Lat} }

// Set inserts id at p, or moves it there. An invalid p (NaN, out of range) is never stored,
// since it would corrupt the tree: Set then removes id, and Get reports it absent.
func (ix *Index[K]) Set(id K, p Point) {
	old, ok := ix.pts[id]
	if ok {
		if old.p == p {
			return
		}
		r := rect(old.p)
		ix.tr.Delete(r, r, old)
	}
	if !p.Valid() {
		if ok {
			delete(ix.pts, id)
		}
		return
	}
	it := item[K]{id: id, cosLat: math.Cos(p.Lat * deg2rad), p: p}
	r := rect(p)
	ix.tr.Insert(r, r, it)
	ix.pts[id] = it
}

// Delete removes id and reports whether it was present.
func (ix *Index[K]) Delete(id K) bool {
	old, ok := ix.pts[id]
	if !ok {
		return false
	}
	r := rect(old.p)
	ix.tr.Delete(r, r, old)
	delete(ix.pts, id)
	return true
}

// Get returns the point stored for id.
func (ix *Index[K]) Get(id K) (Point, bool) {
	it, ok := ix.pts[id]
	return it.p, ok
}

// Len is the number of ids in the index.
func (ix *Index[K]) Len() int { return len(ix.pts) }

// Within calls fn for every id within radiusM metres (great-circle) of c, with its point and
// distance, in no particular order, until fn returns false. fn must not modify the index.
func (ix *Index[K]) Within(c Point, radiusM float64, fn func(id K, p Point, distM float64) bool) {
	if !c.Valid() {
		return
	}
	if !(radiusM > 0) {
		radiusM = 0
	}
	lat1 := c.Lat * deg2rad
	cos1 := math.Cos(lat1)
	s := math.Sin(math.Min(radiusM/EarthRadiusM, math.Pi) / 2)
	thr := s * s
	iter := func(_, _ [2]float64, it item[K]) bool {
		h := haversine(lat1, it.p.Lat*deg2rad, cos1, it.cosLat, (it.p.Lon-c.Lon)*deg2rad)
		if h > thr {
			return true
		}
		return fn(it.id, it.p, havToMetres(h))
	}
	ix.search(BoxAround(c, radiusM), iter)
}

// InBox calls fn for every id whose point lies in b (edges included; b may cross the
// antimeridian) until fn returns false. fn must not modify the index.
func (ix *Index[K]) InBox(b Box, fn func(id K, p Point) bool) {
	ix.search(b, func(_, _ [2]float64, it item[K]) bool { return fn(it.id, it.p) })
}

// search runs iter over the tree for each non-crossing piece of b, stopping when iter does.
func (ix *Index[K]) search(b Box, iter func(min, max [2]float64, it item[K]) bool) {
	if !b.CrossesAntimeridian() {
		ix.tr.Search(rect(b.Min), rect(b.Max), iter)
		return
	}
	more := true
	ix.tr.Search(rect(b.Min), [2]float64{180, b.Max.Lat}, func(mn, mx [2]float64, it item[K]) bool {
		more = iter(mn, mx, it)
		return more
	})
	if more {
		ix.tr.Search([2]float64{-180, b.Min.Lat}, rect(b.Max), iter)
	}
}
