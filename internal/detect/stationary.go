package detect

import (
	"errors"
	"fmt"
	"math"
	"sync"
	"time"

	"github.com/michi-v2x/michi/internal/hazard"
	"github.com/michi-v2x/michi/internal/ldm"
	"github.com/michi-v2x/michi/internal/road"
	"github.com/michi-v2x/michi/pkg/geo"
	"github.com/michi-v2x/michi/pkg/v2x"
)

// CauseStationaryVehicle is DENM cause 94.
const CauseStationaryVehicle = 94

// StationaryOptions configures the stationary-vehicle detector. Zero = default.
type StationaryOptions struct {
	MinStopped time.Duration `yaml:"min_stopped"` // stopped at least this long; default 10 s
	// MinPassers: vehicles that were behind it in its direction and got ahead of it while it
	// stood; default 1.
	MinPassers int `yaml:"min_passers"`
	// BehindM: a vehicle up to this far behind it counts as behind it; default 150 m.
	BehindM float64 `yaml:"behind_m"`
	// LaneHalfM: within this lateral offset a vehicle is in its lane; default 1.6 m.
	LaneHalfM float64 `yaml:"lane_half_m"`
	// RoadHalfM: within this lateral offset a vehicle passes it on its road (its lane or the
	// next); default 5.5 m.
	RoadHalfM         float64 `yaml:"road_half_m"`
	MaxHeadingDiffDeg float64 `yaml:"max_heading_diff_deg"` // "its direction"; default 30°
	// JunctionAheadM: a vehicle that stands this close before a junction area (where turning
	// lanes let traffic pass a waiting car) needs passers from its own lane; default 40 m.
	JunctionAheadM float64 `yaml:"junction_ahead_m"`
	// CrossingM: a vehicle that crossing traffic (heading 45°–135° off its own) passes this
	// close, or this close to the point CrossingM ahead of it, while it stands is at a junction
	// or before one, waiting to turn or to cross; default 30 m.
	CrossingM float64 `yaml:"crossing_m"`
	// QueueAheadM: a vehicle it did not see pass it that stands in its lane up to this far ahead
	// says it may be queueing behind vehicles the edge cannot see; default 100 m.
	QueueAheadM float64 `yaml:"queue_ahead_m"`
	// QueuedPassers: a vehicle that another stood right ahead of (in a queue, then) is flagged
	// only once this many vehicles that were behind it in its own lane got past it: they left a
	// lane that stopped moving; default 3.
	QueuedPassers int `yaml:"queued_passers"`
	// LoneModelAge: a vehicle that nobody passed is flagged too where the road model has known its
	// place at least this long and knows no junction within LoneClearAheadM ahead of it, no stop
	// within 10 m and no slowing within 5 m: a car standing in a lane of open road for no
	// reason the model knows. Default 10 min (a fresh edge holds back); LoneClearAheadM
	// default 100 m.
	LoneModelAge    time.Duration `yaml:"lone_model_age"`
	LoneClearAheadM float64       `yaml:"lone_clear_ahead_m"`
}

func (o *StationaryOptions) setDefaults() {
	if o.MinStopped == 0 {
		o.MinStopped = 10 * time.Second
	}
	if o.MinPassers == 0 {
		o.MinPassers = 1
	}
	if o.QueuedPassers == 0 {
		o.QueuedPassers = 3
	}
	if o.LoneModelAge == 0 {
		o.LoneModelAge = 10 * time.Minute
	}
	defaultTo(&o.LoneClearAheadM, 100)
	defaultTo(&o.BehindM, 150)
	defaultTo(&o.LaneHalfM, 1.6)
	defaultTo(&o.RoadHalfM, 5.5)
	defaultTo(&o.MaxHeadingDiffDeg, 30)
	defaultTo(&o.JunctionAheadM, 40)
	defaultTo(&o.CrossingM, 30)
	defaultTo(&o.QueueAheadM, 100)
}

// Validate reports every problem at once; it applies the defaults first.
func (o *StationaryOptions) Validate() error {
	o.setDefaults()
	var errs []error
	for name, v := range map[string]float64{"behind_m": o.BehindM, "lane_half_m": o.LaneHalfM,
		"road_half_m": o.RoadHalfM, "junction_ahead_m": o.JunctionAheadM, "crossing_m": o.CrossingM,
		"queue_ahead_m": o.QueueAheadM, "lone_clear_ahead_m": o.LoneClearAheadM} {
		positive(&errs, "stationary."+name, v)
	}
	if o.MinStopped < 0 || o.MinPassers < 1 || o.QueuedPassers < 1 || o.LoneModelAge < 0 || o.MaxHeadingDiffDeg < 0 || o.MaxHeadingDiffDeg > 180 {
		errs = append(errs, fmt.Errorf("stationary: want min_stopped ≥ 0, min_passers ≥ 1, queued_passers ≥ 1, lone_model_age ≥ 0, max_heading_diff_deg 0…180"))
	}
	return errors.Join(errs...)
}

// Stationary flags a self-reporting vehicle that stands while the traffic in its direction goes
// past it, or that stands alone on open road: a broken-down or crashed car, not a car waiting in
// a queue, at a light or to merge.
// While a vehicle stands the detector watches the vehicles in its direction around it: one that
// was behind it (up to BehindM, on its road) and is now ahead of it has passed it. The vehicle is
// flagged once it has stood MinStopped and MinPassers vehicles have passed it, or, with nobody
// queued behind it, once it has stood MinStopped on open road (the model has known the place for
// LoneModelAge and knows no junction, stop or slowing there: a quiet road where nobody comes
// by), unless
//
//   - the road model does not know its place as a lane of its direction: a fresh edge holds back
//     rather than guess, and a car that waits mid-turn inside a junction stands where traffic
//     flows every way;
//   - a vehicle that it did not see pass it stands in its lane ahead, up to QueueAheadM, or stood
//     there so recently that the queue's start, travelling back at queueWaveMPS, and a driver's
//     queueFollow have not reached it yet: it may be in a queue, right behind that vehicle or,
//     where not every vehicle is connected, behind unseen ones between (a breakdown that stands
//     behind a queue is found once the queue ahead of it has left);
//   - such a vehicle stood right ahead of it (queuedM) at any time while it stood, and fewer than
//     QueuedPassers vehicles that were behind it in its own lane got past it: it was in a queue,
//     and it stays a queue member until its own lane's traffic shows it has stopped moving;
//   - crossing traffic passed within CrossingM of it while it stood, or the model knows a
//     junction area there: it waits to turn or to cross (a car broken down inside a junction is
//     not flagged by this detector);
//   - traffic in its lane queued behind it (it may be the head of a queue that waits to merge or
//     to turn), or it stands within JunctionAheadM before a junction area, in a routine stop zone (a stop
//     line, a queue zone) or where traffic routinely slows (a yield line, the end of an on-ramp
//     where cars wait for a gap): there traffic in other lanes routinely goes on while a lane
//     waits, so
//     only passers that were behind it in its own lane count, since nobody overtakes a waiting
//     car inside its lane;
//   - it stands in a routine stop zone and has not yet stood longer than the longest routine stop
//     the model saw there.
//
// Once flagged, a vehicle stays flagged while it stands (what the model learns meanwhile does
// not take it back), so one breakdown is one hazard. The finding carries the vehicle's heading
// and direction upstream; its key is its station.
type Stationary struct {
	o     StationaryOptions
	model *road.Model
	mu    sync.Mutex
	sc    scene
	watch map[uint64]*standing // standing vehicles by LDM id
}

// standing is what the detector saw around one standing vehicle.
type standing struct {
	since    time.Time
	crossing bool            // crossing traffic passed close by while it stood
	queued   bool            // a vehicle it did not see pass it stood right ahead of it in its lane
	queueTil time.Time       // a vehicle standing ahead in its lane: maybe in a queue until
	heldUp   bool            // a vehicle stood right behind it in its lane
	flagged  bool            // found broken down: stays so while it stands
	behind   map[uint64]bool // vehicles seen behind it on its road → seen in its lane
	passed   map[uint64]bool // vehicles that then got ahead → were in its lane behind it
	round    uint64
}

// NewStationary builds the detector over a road model (nil: an empty one, which holds back).
func NewStationary(o StationaryOptions, model *road.Model) *Stationary {
	o.setDefaults()
	if model == nil {
		model = road.New(road.Options{})
	}
	return &Stationary{o: o, model: model, watch: map[uint64]*standing{}}
}

// Name is "stationary".
func (d *Stationary) Name() string { return NameStationary }

// Detect implements Detector.
func (d *Stationary) Detect(now time.Time, m *ldm.Map) []hazard.Finding {
	d.mu.Lock()
	defer d.mu.Unlock()
	o := d.o
	d.sc.build(m, func(ob *ldm.Object) bool { return ob.Kind == ldm.KindVehicle && ob.HeadingOK }, o.BehindM)
	round := uint64(now.UnixNano())
	reach := math.Hypot(o.BehindM, o.RoadHalfM)
	cosDir := math.Cos(o.MaxHeadingDiffDeg * math.Pi / 180)
	cosCross := math.Cos(45 * math.Pi / 180)
	cross2 := o.CrossingM * o.CrossingM
	var out []hazard.Finding
	for i := range d.sc.actors {
		a := &d.sc.actors[i]
		if a.station == 0 || a.stopped.IsZero() {
			continue
		}
		st := d.watch[a.id]
		if st == nil || !st.since.Equal(a.stopped) {
			st = &standing{since: a.stopped, behind: map[uint64]bool{}, passed: map[uint64]bool{}}
			d.watch[a.id] = st
		}
		st.round = round
		d.sc.near(a.x, a.y, reach, func(j int) bool {
			q := &d.sc.actors[j]
			dx, dy := q.x-a.x, q.y-a.y
			cos := a.ux*q.ux + a.uy*q.uy
			if math.Abs(cos) < cosCross && q.speed >= 1 {
				// crossing traffic around it, or around the place half a junction approach ahead
				fx, fy := dx-o.CrossingM*a.ux, dy-o.CrossingM*a.uy
				st.crossing = st.crossing || dx*dx+dy*dy <= cross2 || fx*fx+fy*fy <= cross2
			}
			if j == i || cos < cosDir {
				return true
			}
			along, lat := dx*a.ux+dy*a.uy, dx*a.uy-dy*a.ux
			if math.Abs(lat) > o.RoadHalfM {
				return true
			}
			inLane := math.Abs(lat) <= o.LaneHalfM
			switch {
			case along < -2 && along >= -o.BehindM:
				st.behind[q.id] = st.behind[q.id] || inLane
				if inLane && along > -30 && q.speed < 1 {
					st.heldUp = true
				}
			case along > 2:
				if lane, ok := st.behind[q.id]; ok {
					st.passed[q.id] = lane // (and if it stands ahead now, it queues behind something else)
				} else if inLane && along <= o.QueueAheadM && q.speed < 1 {
					st.queued = st.queued || along < queuedM
					if til := now.Add(queueFollow + time.Duration(along/queueWaveMPS*float64(time.Second))); til.After(st.queueTil) {
						st.queueTil = til
					}
				}
			}
			return true
		})
		if !st.flagged && !st.crossing && now.After(st.queueTil) && now.Sub(a.stopped) >= o.MinStopped {
			passedBy := len(st.passed) >= o.MinPassers && (!st.queued || st.inLanePassers() >= o.QueuedPassers)
			lone := !st.queued && !st.heldUp && d.openRoad(a, now)
			st.flagged = (passedBy || lone) && d.breakdown(a, st, now)
		}
		if !st.flagged {
			continue
		}
		out = append(out, hazard.Finding{
			Key: stationSource(a.station), Cause: CauseStationaryVehicle, Pos: a.pos,
			HeadingDeg: a.heading, HasHeading: true, Direction: v2x.DirectionUpstream,
			Sources: sourcesOf(m, a.id),
		})
	}
	for id, st := range d.watch { // forget vehicles that moved on or left
		if st.round != round {
			delete(d.watch, id)
		}
	}
	return out
}

// openRoad says whether the model has known a's place for LoneModelAge and knows no reason to
// stand there: no junction within LoneClearAheadM ahead, no stop within 10 m, no slowing within
// 5 m.
func (d *Stationary) openRoad(a *actor, now time.Time) bool {
	since := d.model.KnownSince(a.pos, 10)
	if since.IsZero() || now.Sub(since) < d.o.LoneModelAge {
		return false
	}
	if d.model.Stops(a.pos, 10).Episodes > 0 || d.model.SlowShare(a.pos, 5) >= slowPlace {
		return false
	}
	return !junctionAhead(d.model, a.pos, a.heading, d.o.LoneClearAheadM)
}

// inLanePassers counts the vehicles that were behind it in its own lane and got past it.
func (st *standing) inLanePassers() int {
	n := 0
	for _, lane := range st.passed {
		if lane {
			n++
		}
	}
	return n
}

// breakdown weighs a standing vehicle that traffic passed, or that stands alone on open road,
// against what the road model knows of its place.
func (d *Stationary) breakdown(a *actor, st *standing, now time.Time) bool {
	// Its road: the model must know traffic along its heading there, and little that crosses it
	// (traffic the other way on the same road says nothing either way).
	if f := d.model.FlowNear(a.pos, d.o.RoadHalfM, a.heading); !f.Known || f.Across > 0.15*(f.Along+f.Across) {
		return false // a junction, a turn, or ground the model does not know yet
	}
	if !d.inLane(a) {
		return false // standing across lanes: mid-turn inside a junction
	}
	if d.model.Junction(a.pos, 15) {
		return false
	}
	zone := d.model.Stops(a.pos, 4)
	if zone.Routine() && now.Sub(a.stopped) <= zone.Dwell {
		return false
	}
	if st.heldUp || zone.Routine() || d.model.SlowShare(a.pos, 1) >= slowPlace || junctionAhead(d.model, a.pos, a.heading, d.o.JunctionAheadM) {
		return st.inLanePassers() >= d.o.MinPassers
	}
	return true
}

// inLane says whether a stands in or beside a lane of its own direction: along its heading line
// the cells from 8 m behind to 8 m ahead saw traffic and at least 80 % of it went its way; or,
// where no traffic went along that line (a car parked at the kerb stands beside the lane), the
// same holds a lane's width (3.2 m) to either side. A car waiting mid-turn inside a junction
// stands across the lanes' flows.
func (d *Stationary) inLane(a *actor) bool {
	for i, side := range [...]float64{0, 3.2, -3.2} {
		c := a.pos
		if side != 0 {
			c = geo.Destination(a.pos, a.heading+90, side)
		}
		passes, along := 0.0, 0.0
		for k := -4.0; k <= 4; k++ {
			f := d.model.Flow(geo.Destination(c, a.heading, 2*k), a.heading)
			passes += float64(f.Passes)
			along += f.Along * float64(f.Passes)
		}
		if passes >= 3 && along >= 0.8*passes {
			return true
		}
		if i == 0 && passes > 0 && along < 0.8*passes {
			return false // it stands where traffic flows another way
		}
	}
	return false
}

// queuedM: a vehicle standing this close ahead in its lane stands in the same queue.
const queuedM = 25

// queueWaveMPS is how fast a queue's start travels back along it once its head moves off (the
// upstream speed of a start wave, about 15–20 km/h); queueFollow is how long a driver may take to
// follow once the car ahead has moved off.
const (
	queueWaveMPS = 4.0
	queueFollow  = 3 * time.Second
)

// slowPlace: where at least this share of the passing traffic was slow, slowing down is routine
// (a yield line, the end of a ramp, a queue zone).
const slowPlace = 0.2

// junctionAhead says whether the road model knows a junction area within distM ahead of p in
// direction heading.
func junctionAhead(model *road.Model, p geo.Point, heading, distM float64) bool {
	const r = 10
	for s := 0.0; s <= distM; s += r {
		if model.Junction(geo.Destination(p, heading, s), r) {
			return true
		}
	}
	return false
}
