package ldm

import (
	"math"
	"sync"
	"time"

	"github.com/michi-v2x/michi/pkg/geo"
)

// Map is the Local Dynamic Map. All methods are safe for concurrent use; see the package doc
// for the lock rule.
type Map struct {
	opts Options

	mu        sync.RWMutex
	nextID    uint64
	objs      map[uint64]*track
	byStation map[uint32]*track    // self-reporting objects by their station id
	bySensor  map[sensorKey]*track // (sensor station, its object id) -> track
	idx       *geo.Index[*track]
	sources   int // len of every track's Sources
	road      road
	cands     []candidate // scratch for fusion, under mu
}

type sensorKey struct {
	station uint32
	object  uint16
}

// track is an Object plus what the map needs to maintain it.
type track struct {
	Object
	obs        []observation // parallel to Object.Sources; for a self-reporting object obs[0] is its CAM
	sinH, cosH float64       // heading as a unit vector (east, north), when HeadingOK
	road       roadMark      // the road cell it last marked
}

// Index tags: what Relevant filters on travels in the index next to each point (SetTag), so a
// query reads only the index's contiguous cells, not 100k tracks scattered over the heap (that
// pointer chasing doubled its time). The heading is a unit vector quantised to int16, ±1/32767.
const (
	tagSelf    = 1 << 0 // StationID != 0
	tagHeading = 1 << 1 // HeadingOK; sin and cos of the heading in bits 16–31 and 32–47
)

func (t *track) tag() uint64 {
	var g uint64
	if t.StationID != 0 {
		g |= tagSelf
	}
	if t.HeadingOK {
		g |= tagHeading |
			uint64(uint16(int16(math.Round(t.sinH*32767))))<<16 |
			uint64(uint16(int16(math.Round(t.cosH*32767))))<<32
	}
	return g
}

// tagHeadingVec unpacks the heading unit vector (east, north) of a tag, scaled by 32767.
func tagHeadingVec(g uint64) (sinH, cosH float64) {
	return float64(int16(uint16(g >> 16))), float64(int16(uint16(g >> 32)))
}

// reindex puts t at its position in the index, with its current tag.
func (m *Map) reindex(t *track) { m.idx.SetTag(t, t.Pos, t.tag()) }

// observation is the latest state one source reported.
type observation struct {
	pos       geo.Point
	speed     float64
	heading   float64
	headingOK bool
	kind      Kind
}

const (
	deg2rad = math.Pi / 180
	// mPerDegLat is metres per degree of latitude on the sphere of geo.Distance.
	mPerDegLat = geo.EarthRadiusM * deg2rad
	// maxPredict bounds how far in time fusion extrapolates a track's motion.
	maxPredict = time.Second
	// fuseWindow: a sensor-only track's position averages the sightings this close to its latest.
	fuseWindow = 500 * time.Millisecond
)

// New returns an empty map; zero or invalid options take their defaults.
func New(o Options) *Map {
	o.setDefaults()
	return &Map{
		opts:      o,
		objs:      make(map[uint64]*track),
		byStation: make(map[uint32]*track),
		bySensor:  make(map[sensorKey]*track),
		idx:       geo.NewIndex[*track](),
		road:      newRoad(o),
	}
}

// Get returns a copy of the object with this id.
func (m *Map) Get(id uint64) (Object, bool) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	t, ok := m.objs[id]
	if !ok {
		return Object{}, false
	}
	return t.Clone(), true
}

// Vehicle returns a copy of the object that reports itself under stationID.
func (m *Map) Vehicle(stationID uint32) (Object, bool) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	t, ok := m.byStation[stationID]
	if !ok {
		return Object{}, false
	}
	return t.Clone(), true
}

// VehicleUpdated is when the vehicle's own state last updated its track, without copying it.
func (m *Map) VehicleUpdated(stationID uint32) (time.Time, bool) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	t, ok := m.byStation[stationID]
	if !ok {
		return time.Time{}, false
	}
	return t.Updated, true
}

// Within calls fn for every object within radiusM metres of c with its distance, until fn
// returns false. It holds the read lock: fn must not call the map, nor keep o past the call.
func (m *Map) Within(c geo.Point, radiusM float64, fn func(o *Object, distM float64) bool) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	m.idx.Within(c, radiusM, func(t *track, _ geo.Point, d float64) bool { return fn(&t.Object, d) })
}

// InBox calls fn for every object in b (which may cross the antimeridian) until fn returns
// false. Same rules as Within.
func (m *Map) InBox(b geo.Box, fn func(o *Object) bool) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	m.idx.InBox(b, func(t *track, _ geo.Point) bool { return fn(&t.Object) })
}

// Each calls fn for every object, in no order, until fn returns false. Same rules as Within.
func (m *Map) Each(fn func(o *Object) bool) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	for _, t := range m.objs {
		if !fn(&t.Object) {
			return
		}
	}
}

// Stats counts what the map holds.
func (m *Map) Stats() Stats {
	m.mu.RLock()
	defer m.mu.RUnlock()
	return Stats{
		Vehicles:   len(m.byStation),
		Objects:    len(m.objs),
		SensorOnly: m.sensorOnly(),
		Sources:    m.sources,
		RoadCells:  len(m.road.cells),
	}
}

// Expire drops every source whose last report is older than its layer's TTL at now
// (VehicleTTL for a vehicle's own CAM, ObjectTTL for a sensor's sighting), removes the objects
// left without sources, with their index entries, and forgets stale road cells. It returns how
// many objects it removed. A vehicle whose CAMs stopped but that sensors still see stays as a
// sensor-only object (StationID 0). Call it periodically: queries do not hide stale objects.
// It visits every object (≈ 1 ms per 100k) under the write lock.
func (m *Map) Expire(now time.Time) int {
	m.mu.Lock()
	defer m.mu.Unlock()
	removed := 0
	for _, t := range m.objs {
		if !m.expireSources(t, now) {
			continue
		}
		if len(t.Sources) == 0 {
			m.remove(t)
			removed++
			continue
		}
		m.refresh(t)
		m.reindex(t)
	}
	m.road.prune(now)
	return removed
}

// expireSources drops t's stale sources and reports whether any went.
func (m *Map) expireSources(t *track, now time.Time) bool {
	changed := false
	for i := len(t.Sources) - 1; i >= 0; i-- {
		s := t.Sources[i]
		ttl := m.opts.ObjectTTL
		if s.Self {
			ttl = m.opts.VehicleTTL
		}
		if now.Sub(s.At) <= ttl {
			continue
		}
		changed = true
		m.dropSource(t, i)
	}
	return changed
}

// dropSource removes source i of t and its association; a self source makes t sensor-only.
func (m *Map) dropSource(t *track, i int) {
	s := t.Sources[i]
	if s.Self {
		delete(m.byStation, s.StationID)
		t.StationID, t.StationType = 0, 0
	} else {
		delete(m.bySensor, sensorKey{s.StationID, s.ObjectID})
	}
	t.Sources = append(t.Sources[:i], t.Sources[i+1:]...)
	t.obs = append(t.obs[:i], t.obs[i+1:]...)
	m.sources--
}

// remove deletes a track that has no sources left (or all of whose sources it drops).
func (m *Map) remove(t *track) {
	for i := len(t.Sources) - 1; i >= 0; i-- {
		m.dropSource(t, i)
	}
	delete(m.objs, t.ID)
	m.idx.Delete(t)
}

// sensorOnly is how many tracks have no self source.
func (m *Map) sensorOnly() int { return len(m.objs) - len(m.byStation) }

// newTrack registers an empty track; the caller adds its first source.
func (m *Map) newTrack() *track {
	m.nextID++
	t := &track{Object: Object{ID: m.nextID}}
	m.objs[t.ID] = t
	return t
}
