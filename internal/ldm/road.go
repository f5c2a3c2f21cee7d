package ldm

import (
	"math"
	"time"

	"github.com/michi-v2x/michi/pkg/geo"
)

// road is the learned road surface: the quadkey cells (Options.RoadZoom) that vehicles faster
// than RoadSpeedMPS crossed within RoadTTL, with the time (Unix seconds) of the latest crossing.
// Between two consecutive positions of one vehicle up to roadMaxGapM apart, the cells along the
// straight segment count as crossed, so 1 Hz CAMs at motorway speed leave no holes.
type road struct {
	zoom      int
	ttl       int64 // seconds
	maxCells  int
	cellM     float64 // cell size at the equator, metres
	cells     map[uint64]uint32
	lastPrune int64
}

// roadMaxGapM: consecutive positions farther apart than this are not joined (the vehicle may
// have turned, or the reports are far apart in time).
const roadMaxGapM = 60

func newRoad(o Options) road {
	return road{
		zoom:     o.RoadZoom,
		ttl:      int64(math.Ceil(o.RoadTTL.Seconds())),
		maxCells: o.RoadMaxCells,
		cellM:    2 * math.Pi * geo.EarthRadiusM / float64(int(1)<<o.RoadZoom),
		cells:    make(map[uint64]uint32),
	}
}

func (r *road) key(p geo.Point) uint64 {
	x, y := geo.TileXY(p, r.zoom)
	return uint64(x)<<32 | uint64(y)
}

// learn records that a vehicle drove from prev (when hasPrev) to p at time at. last is the
// (cell, second) the same vehicle marked before: a report in the same cell within the same
// second changes nothing, so it skips the map. It returns the new (cell, second).
func (r *road) learn(prev geo.Point, hasPrev bool, p geo.Point, at time.Time, last roadMark) roadMark {
	ts := uint32(max(0, at.Unix()))
	k := r.key(p)
	if hasPrev && last == (roadMark{k, ts}) {
		return last
	}
	r.mark(k, ts, at.Unix())
	if !hasPrev {
		return roadMark{k, ts}
	}
	kp := r.key(prev)
	dx, dy := int64(k>>32)-int64(kp>>32), int64(uint32(k))-int64(uint32(kp))
	if dx >= -1 && dx <= 1 && dy >= -1 && dy <= 1 {
		return roadMark{k, ts} // same or adjacent cell: nothing in between
	}
	d := geo.Distance(prev, p)
	if d > roadMaxGapM {
		return roadMark{k, ts}
	}
	step := r.cellM * math.Cos(p.Lat*math.Pi/180) / 3
	n := int(math.Ceil(d / step))
	dLon := lonDelta(p.Lon - prev.Lon)
	for i := 1; i < n; i++ {
		f := float64(i) / float64(n)
		q := geo.Point{Lat: prev.Lat + f*(p.Lat-prev.Lat), Lon: geo.NormalizeLon(prev.Lon + f*dLon)}
		r.mark(r.key(q), ts, at.Unix())
	}
	return roadMark{k, ts}
}

// roadMark is the cell and second a vehicle last marked.
type roadMark struct {
	cell uint64
	ts   uint32
}

func (r *road) mark(k uint64, ts uint32, now int64) {
	old, ok := r.cells[k]
	if ok && ts <= old {
		return
	}
	if !ok && len(r.cells) >= r.maxCells {
		r.evict(now)
	}
	r.cells[k] = ts
}

// evict makes room at the cap: it forgets cells not crossed within the TTL, then within half of
// it, a quarter…, until the map is down to 90 % of the cap; the stalest go first.
func (r *road) evict(now int64) {
	target := r.maxCells * 9 / 10
	for age := r.ttl; len(r.cells) > target; age /= 2 {
		for k, ts := range r.cells {
			if now-int64(ts) > age {
				delete(r.cells, k)
			}
		}
		if age == 0 {
			for k := range r.cells { // all equally fresh: any will do
				if len(r.cells) <= target {
					break
				}
				delete(r.cells, k)
			}
		}
	}
}

// prune forgets the cells older than the TTL; it scans at most every TTL/16.
func (r *road) prune(now time.Time) {
	n := now.Unix()
	if n-r.lastPrune < max(1, r.ttl/16) {
		return
	}
	r.lastPrune = n
	for k, ts := range r.cells {
		if n-int64(ts) > r.ttl {
			delete(r.cells, k)
		}
	}
}

// OnRoad reports whether vehicles have driven through the road cell holding p within RoadTTL:
// the map's learned idea of where the road surface is (cells of Options.RoadZoom, ≈ 6–10 m).
// Nothing is known about roads no vehicle has used; a cell stays known for up to RoadTTL/16
// after its TTL until Expire prunes it.
func (m *Map) OnRoad(p geo.Point) bool {
	if !p.Valid() {
		return false
	}
	m.mu.RLock()
	defer m.mu.RUnlock()
	_, ok := m.road.cells[m.road.key(p)]
	return ok
}
