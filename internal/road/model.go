package road

import (
	"math"
	"slices"
	"sync"
	"time"

	"github.com/michi-v2x/michi/internal/ldm"
	"github.com/michi-v2x/michi/pkg/geo"
)

// bins is the number of heading bins per cell (22.5° each).
const bins = 16

// maxPathM: two positions of one vehicle further apart than this are not joined (it may have
// turned, or its reports are far apart in time).
const maxPathM = 60

// cell is what the model knows of one square of road.
type cell struct {
	dir      [bins]uint16 // passes by heading bin
	slow     uint16       // passes slower than Options.SlowSpeedMPS
	stops    uint16       // routine stops: stood, then moved on
	episodes uint16       // stops separated by more than EpisodeGap
	dwell    uint16       // longest routine stop, s
	flags    uint8        // flagJunction, flagStop (from a map)
	stopEnd  uint32       // Unix s: end of the latest stop
	first    uint32       // Unix s: first pass
	seen     uint32       // Unix s: last touched
}

const (
	flagJunction = 1 << iota // a map says: junction area
	flagStop                 // a map says: stop or yield line
)

func (c *cell) passes() int {
	n := 0
	for _, v := range c.dir {
		n += int(v)
	}
	return n
}

// vehicle is what the model remembers of one vehicle between rounds.
type vehicle struct {
	x, y    float64
	at      time.Time // its latest report learned
	cell    uint64    // the cell it last passed
	stopped time.Time // when it began to stand; zero while moving
	sx, sy  float64   // where it last stood
	round   uint64
}

// sample is one vehicle copied out of the LDM.
type sample struct {
	station      uint32
	pos          geo.Point
	speed, head  float64
	updated      time.Time
	stoppedSince time.Time
}

// Model is the road model. All methods are safe for concurrent use (see the package doc).
type Model struct {
	o Options

	mu      sync.RWMutex
	proj    geo.Projection
	hasProj bool
	cells   map[uint64]cell
	vehs    map[uint32]*vehicle
	round   uint64
	snap    []sample // scratch for Learn, under mu
}

// New returns an empty model; invalid options take their defaults.
func New(o Options) *Model {
	o.setDefaults()
	return &Model{o: o, cells: map[uint64]cell{}, vehs: map[uint32]*vehicle{}}
}

// Options returns the model's options with defaults applied.
func (md *Model) Options() Options { return md.o }

// key is the cell holding local point (x, y).
func (md *Model) key(x, y float64) uint64 {
	cx, cy := int32(math.Floor(x/md.o.CellM)), int32(math.Floor(y/md.o.CellM))
	return uint64(uint32(cx))<<32 | uint64(uint32(cy))
}

// binOf is the heading bin of degrees clockwise from north.
func binOf(h float64) int {
	b := int(math.Floor(h/(360/bins) + 0.5))
	return ((b % bins) + bins) % bins
}

// Learn takes one round of what the LDM holds: every self-reporting vehicle with a heading that
// sent a new report since the last round teaches the model the cells it passed and, when it
// moves on after standing, where it stood.
func (md *Model) Learn(now time.Time, m *ldm.Map) {
	md.mu.Lock()
	defer md.mu.Unlock()
	md.snap = md.snap[:0]
	m.Each(func(o *ldm.Object) bool {
		if o.Kind == ldm.KindVehicle && o.StationID != 0 && o.HeadingOK && o.Pos.Valid() {
			md.snap = append(md.snap, sample{station: o.StationID, pos: o.Pos, speed: o.SpeedMPS,
				head: o.HeadingDeg, updated: o.Updated, stoppedSince: o.StoppedSince})
		}
		return true
	})
	md.round++
	if !md.hasProj && len(md.snap) > 0 {
		md.proj, md.hasProj = geo.NewProjection(md.snap[0].pos), true
	}
	for i := range md.snap {
		md.learn(&md.snap[i], now)
	}
	if md.round%25 == 0 { // forget vehicles that left the map
		for id, v := range md.vehs {
			if v.round+25 < md.round {
				delete(md.vehs, id)
			}
		}
	}
}

func (md *Model) learn(s *sample, now time.Time) {
	x, y := md.proj.ToLocal(s.pos)
	moving := s.speed >= md.o.MoveSpeedMPS
	v := md.vehs[s.station]
	if v == nil {
		v = &vehicle{x: x, y: y, at: s.updated, cell: md.key(x, y)}
		md.vehs[s.station] = v
		if moving {
			md.pass(v.cell, binOf(s.head), s.speed < md.o.SlowSpeedMPS, now)
		}
	}
	v.round = md.round
	if !s.updated.After(v.at) {
		return
	}
	switch {
	case !s.stoppedSince.IsZero():
		if v.stopped.IsZero() {
			v.stopped = s.stoppedSince
		}
		v.sx, v.sy = x, y
	case moving && !v.stopped.IsZero():
		md.stopEnded(v, s.updated)
		v.stopped = time.Time{}
	}
	if moving {
		v.cell = md.traverse(v.x, v.y, x, y, binOf(s.head), s.speed < md.o.SlowSpeedMPS, v.cell, now)
	}
	v.x, v.y, v.at = x, y, s.updated
}

// traverse counts a pass in every cell on the straight path from (x0,y0) to (x1,y1) but the one
// the vehicle passed last, and returns the cell it ends in.
func (md *Model) traverse(x0, y0, x1, y1 float64, bin int, slow bool, last uint64, now time.Time) uint64 {
	d := math.Hypot(x1-x0, y1-y0)
	if d > maxPathM {
		x0, y0, d = x1, y1, 0
	}
	n := max(1, int(math.Ceil(d/(md.o.CellM/3))))
	for i := 1; i <= n; i++ {
		f := float64(i) / float64(n)
		if k := md.key(x0+f*(x1-x0), y0+f*(y1-y0)); k != last {
			md.pass(k, bin, slow, now)
			last = k
		}
	}
	return last
}

// pass counts one vehicle entering cell k with heading bin, slowly or not. A pass against the
// clear, known flow of a cell is not learned: one wrong-way driver must not teach the model that
// its way is normal.
func (md *Model) pass(k uint64, bin int, slow bool, now time.Time) {
	c, ok := md.cells[k]
	if !ok && len(md.cells) >= md.o.MaxCells {
		md.evict()
	}
	if ok && c.passes() >= md.o.MinPasses {
		if f := c.flow(bin); f.Against >= 0.8 && f.Along <= 0.05 {
			return
		}
	}
	if c.dir[bin] >= math.MaxUint16-1 { // keep the proportions, make room
		for i := range c.dir {
			c.dir[i] /= 2
		}
		c.slow /= 2
	}
	c.dir[bin]++
	if slow {
		c.slow++
	}
	c.seen = uint32(max(0, now.Unix()))
	if c.first == 0 {
		c.first = c.seen
	}
	md.cells[k] = c
}

// stopEnded records that v stood from v.stopped until end at its last standing place.
func (md *Model) stopEnded(v *vehicle, end time.Time) {
	dwell := end.Sub(v.stopped)
	if dwell < time.Second {
		return
	}
	k := md.key(v.sx, v.sy)
	c, ok := md.cells[k]
	if !ok && len(md.cells) >= md.o.MaxCells {
		md.evict()
	}
	start, e := uint32(max(0, v.stopped.Unix())), uint32(max(0, end.Unix()))
	if c.stops == 0 || float64(start) > float64(c.stopEnd)+md.o.EpisodeGap.Seconds() {
		c.episodes = min(c.episodes+1, math.MaxUint16)
	}
	c.stops = min(c.stops+1, math.MaxUint16)
	c.stopEnd = max(c.stopEnd, e)
	c.dwell = uint16(min(math.MaxUint16, max(float64(c.dwell), dwell.Seconds())))
	c.seen = e
	md.cells[k] = c
}

// evict drops the tenth of the cells touched longest ago.
func (md *Model) evict() {
	seen := make([]uint32, 0, len(md.cells))
	for _, c := range md.cells {
		seen = append(seen, c.seen)
	}
	slices.Sort(seen)
	cut := seen[len(seen)/10]
	for k, c := range md.cells {
		if c.seen <= cut {
			delete(md.cells, k)
		}
	}
}
