package sim

import (
	"fmt"
	"math"
	"time"

	"github.com/michi-v2x/michi/pkg/geo"
)

// Vehicle is one simulated vehicle. Fields are read-only outside the engine.
type Vehicle struct {
	ID        int
	Station   uint32 // ETSI station id
	Connected bool   // a real client of an edge node
	Active    bool   // on the road now
	External  string // id in the external source (SUMO), "" for a model vehicle
	Pos       Vec
	Heading   float64
	Speed     float64
	Lane      int     // -1 off the model's lanes
	S         float64 // metres along Lane
	Static    bool    // a stopped_vehicle actor
	WrongWay  bool    // a wrong_way actor: drives against Lane
	v0        float64 // desired speed
	next      int     // the lane it takes at the end of this one
	route     *rng
	warned    bool
	warnPos   Vec
	lastLC    float64 // time of the last lane change
}

// Report is a DENM a vehicle (or the road authority) sends at this step.
type Report struct {
	Vehicle    int // -1: the road authority
	Hazard     int
	Cause      uint8
	Pos        Vec
	Heading    float64
	HasHeading bool
	RadiusM    float64
	Terminate  bool
}

// StepResult is what happened at one step; its slices are reused by the next Step.
type StepResult struct {
	T        time.Duration // virtual time after the step
	Started  []int         // hazards that became active
	Ended    []int         // hazards that ended
	Reports  []Report
	Readings []Reading
}

// Engine runs one world. It is not safe for concurrent use: one goroutine steps it.
type Engine struct {
	cfg      Config
	Net      *Network
	Vehicles []Vehicle
	Hazards  []Hazard
	Sensors  []Sensor
	t        time.Duration
	steps    int
	dt       float64
	lanes    [][]int32 // vehicles on each lane, sorted by S (rebuilt each step)
	blockers [][]blocker
	acc      []float64
	ext      map[string]int
	extSeen  []bool
	res      StepResult
	sense    *rng
}

type blocker struct{ s, half float64 }

// New validates cfg and builds the world at time 0.
func New(cfg Config) (*Engine, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	e := &Engine{cfg: cfg, Net: NewNetwork(cfg.Origin), dt: cfg.Step.Seconds(), ext: map[string]int{}}
	for i := range cfg.Roads {
		if h := cfg.Roads[i].Highway; h != nil {
			e.Net.addHighway(i, h)
		} else {
			e.Net.addGrid(i, cfg.Roads[i].Grid)
		}
	}
	e.lanes = make([][]int32, len(e.Net.Lanes))
	e.blockers = make([][]blocker, len(e.Net.Lanes))
	e.placeVehicles()
	for i, s := range cfg.Sensors {
		period := max(1, int(math.Round(1/(s.Hz*e.dt))))
		e.Sensors = append(e.Sensors, Sensor{Spec: s, Pos: s.At.Resolve(e.Net.Proj), period: period,
			phase: i % period, rng: newRNG(cfg.Seed, 1000+uint64(i))})
	}
	for i, hs := range cfg.Hazards {
		if err := e.addHazard(i, hs); err != nil {
			return nil, err
		}
	}
	e.updatePositions()
	return e, nil
}

// Config returns the configuration with defaults applied.
func (e *Engine) Config() Config { return e.cfg }

// Now is the virtual time.
func (e *Engine) Now() time.Duration { return e.t }

// Point converts a plane position to WGS84.
func (e *Engine) Point(v Vec) geo.Point { return e.Net.Point(v) }

// placeVehicles spreads Traffic.Vehicles over the lanes in proportion to their length, evenly
// spaced with a little jitter, at a speed that suits the spacing.
func (e *Engine) placeVehicles() {
	n := e.cfg.Traffic.Vehicles
	total := 0.0
	for _, l := range e.Net.Lanes {
		total += l.Length
	}
	r := newRNG(e.cfg.Seed, 1)
	placed, cum := 0, 0.0
	for li, l := range e.Net.Lanes {
		// cumulative rounding: lane li gets round(n·(L0+…+Li)/total) minus what is placed
		cum += l.Length
		k := int(math.Round(float64(n)*cum/total)) - placed
		if li == len(e.Net.Lanes)-1 {
			k = n - placed
		}
		spacing := l.Length / float64(max(k, 1))
		for j := range k {
			v := e.newVehicle()
			v.Lane = li
			v.S = (float64(j) + 0.5 + 0.3*(r.float()-0.5)) * spacing
			v.v0 = l.SpeedLimit * (1 + e.cfg.Traffic.SpeedSpread*(2*r.float()-1))
			gap := spacing - e.cfg.Traffic.IDM.LengthM - e.cfg.Traffic.IDM.MinGapM
			v.Speed = min(v.v0, max(0, gap/e.cfg.Traffic.IDM.HeadwayS))
			v.next = e.pickNext(v)
			v.Active = true
		}
		placed += k
	}
	// Exactly round(share·n) vehicles are connected, chosen by a seeded shuffle.
	ids := make([]int, len(e.Vehicles))
	for i := range ids {
		ids[i] = i
	}
	rc := newRNG(e.cfg.Seed, 2)
	for i := len(ids) - 1; i > 0; i-- {
		j := rc.intn(i + 1)
		ids[i], ids[j] = ids[j], ids[i]
	}
	for _, id := range ids[:int(math.Round(*e.cfg.Traffic.Connected*float64(len(ids))))] {
		e.Vehicles[id].Connected = true
	}
}

func (e *Engine) newVehicle() *Vehicle {
	id := len(e.Vehicles)
	e.Vehicles = append(e.Vehicles, Vehicle{ID: id, Station: e.cfg.Traffic.FirstStation + uint32(id), Lane: -1,
		route: newRNG(e.cfg.Seed, 1<<32+uint64(id)), lastLC: -100})
	return &e.Vehicles[id]
}

func (e *Engine) pickNext(v *Vehicle) int {
	next := e.Net.Lanes[v.Lane].Next
	if len(next) == 0 {
		return -1
	}
	return next[v.route.intn(len(next))]
}

// Step advances the world by one step.
func (e *Engine) Step() *StepResult {
	e.steps++
	e.t = time.Duration(e.steps) * e.cfg.Step
	r := &e.res
	r.T, r.Started, r.Ended, r.Reports, r.Readings = e.t, r.Started[:0], r.Ended[:0], r.Reports[:0], r.Readings[:0]
	e.updateHazards()
	e.move()
	e.updatePositions()
	e.moveActors()
	e.reports()
	e.readings()
	return r
}

// move runs the car-following model for every model vehicle: accelerations first from the
// state at the start of the step, then the update.
func (e *Engine) move() {
	e.sortLanes()
	if cap(e.acc) < len(e.Vehicles) {
		e.acc = make([]float64, len(e.Vehicles))
	}
	acc := e.acc[:len(e.Vehicles)]
	p := &e.cfg.Traffic.IDM
	for li := range e.lanes {
		for k, id := range e.lanes[li] {
			v := &e.Vehicles[id]
			if v.Static {
				continue
			}
			gap, dv, static := e.leader(li, k, v)
			v0 := v.v0
			if v.warned {
				v0 *= e.cfg.Traffic.ReactFactor
			}
			acc[id] = p.accel(v.Speed, v0, gap, dv)
			if static && gap < 80 && e.t.Seconds()-v.lastLC > 3 {
				e.changeLane(v)
			}
		}
	}
	for li := range e.lanes {
		for _, id := range e.lanes[li] {
			v := &e.Vehicles[id]
			if v.Static {
				continue
			}
			var ds float64
			v.Speed, ds = integrate(v.Speed, acc[id], e.dt)
			v.S += ds
			for v.S >= e.Net.Lanes[v.Lane].Length && v.next >= 0 {
				v.S -= e.Net.Lanes[v.Lane].Length
				v.Lane = v.next
				v.next = e.pickNext(v)
			}
			if v.warned && v.Pos.Dist(v.warnPos) < 30 {
				v.warned = false
			}
		}
	}
}

// sortLanes rebuilds the per-lane lists in the previous order and insertion-sorts them (nearly
// sorted already, so linear).
func (e *Engine) sortLanes() {
	for li := range e.lanes {
		e.lanes[li] = e.lanes[li][:0]
	}
	for i := range e.Vehicles {
		v := &e.Vehicles[i]
		if v.Active && v.Lane >= 0 && !v.WrongWay && v.External == "" {
			e.lanes[v.Lane] = append(e.lanes[v.Lane], int32(i))
		}
	}
	for _, ids := range e.lanes {
		for i := 1; i < len(ids); i++ {
			for j := i; j > 0 && e.Vehicles[ids[j-1]].S > e.Vehicles[ids[j]].S; j-- {
				ids[j-1], ids[j] = ids[j], ids[j-1]
			}
		}
	}
}

// leader returns the bumper-to-bumper gap to what is ahead of vehicle v (the k-th on lane li),
// the closing speed, and whether it is standing (a blocker or a stopped vehicle).
func (e *Engine) leader(li, k int, v *Vehicle) (gap, dv float64, static bool) {
	length := e.cfg.Traffic.IDM.LengthM
	gap = math.Inf(1)
	if ids := e.lanes[li]; k+1 < len(ids) {
		l := &e.Vehicles[ids[k+1]]
		gap, dv, static = l.S-v.S-length, v.Speed-l.Speed, l.Static
	}
	for _, b := range e.blockers[li] {
		if g := b.s - b.half - v.S - length/2; b.s > v.S && g < gap {
			gap, dv, static = g, v.Speed, true
		}
	}
	if !math.IsInf(gap, 1) || v.next < 0 {
		return gap, dv, static
	}
	rest := e.Net.Lanes[li].Length - v.S
	if ids := e.lanes[v.next]; len(ids) > 0 && int(ids[0]) != v.ID {
		l := &e.Vehicles[ids[0]]
		gap, dv, static = rest+l.S-length, v.Speed-l.Speed, l.Static
	}
	for _, b := range e.blockers[v.next] {
		if g := rest + b.s - b.half - length/2; g < gap {
			gap, dv, static = g, v.Speed, true
		}
	}
	return gap, dv, static
}

// changeLane moves v to a neighbouring lane of its carriageway when the gaps there are safe,
// to get round a blocked lane. It is the only lane change the model makes.
func (e *Engine) changeLane(v *Vehicle) {
	l := &e.Net.Lanes[v.Lane]
	p := &e.cfg.Traffic.IDM
	for _, target := range []int{l.Left, l.Right} {
		if target < 0 {
			continue
		}
		ok := true
		for _, b := range e.blockers[target] {
			if b.s+b.half > v.S-p.LengthM && b.s-b.half < v.S+60 {
				ok = false
			}
		}
		for _, id := range e.lanes[target] {
			o := &e.Vehicles[id]
			d := o.S - v.S
			if (d >= 0 && d < p.MinGapM+p.LengthM+v.Speed*0.5) || (d < 0 && -d < p.MinGapM+p.LengthM+o.Speed*0.8) || (o.Static && d > 0 && d < 60) {
				ok = false
				break
			}
		}
		if ok {
			v.Lane, v.lastLC = target, e.t.Seconds()
			v.next = e.pickNext(v)
			return
		}
	}
}

// updatePositions derives Pos and Heading of every model vehicle from its lane.
func (e *Engine) updatePositions() {
	for i := range e.Vehicles {
		v := &e.Vehicles[i]
		if v.Lane < 0 || v.External != "" {
			continue
		}
		l := &e.Net.Lanes[v.Lane]
		v.Pos, v.Heading = l.Pos(v.S), l.Heading
		if v.WrongWay {
			v.Heading = math.Mod(l.Heading+180, 360)
		}
	}
}

// Warn makes vehicle id react to a hazard at p (WGS84): when the hazard lies ahead within 2 km,
// it slows to Traffic.ReactFactor of its desired speed until it is within 30 m of it. It
// returns whether the vehicle reacts.
func (e *Engine) Warn(id int, p geo.Point) bool {
	if id < 0 || id >= len(e.Vehicles) {
		return false
	}
	v := &e.Vehicles[id]
	x, y := e.Net.Proj.ToLocal(p)
	hp := Vec{x, y}
	d := hp.Sub(v.Pos)
	if !v.Active || v.Static || d.Len() > 2000 || d.Dot(unit(v.Heading)) <= 0 {
		return false
	}
	v.warned, v.warnPos = true, hp
	return true
}

// Unwarn ends a vehicle's reaction (the hazard was cancelled).
func (e *Engine) Unwarn(id int) {
	if id >= 0 && id < len(e.Vehicles) {
		e.Vehicles[id].warned = false
	}
}

// Warned reports whether vehicle id is reacting to an alert.
func (e *Engine) Warned(id int) bool { return e.Vehicles[id].warned }

// String describes the world in one line.
func (e *Engine) String() string {
	conn := 0
	for i := range e.Vehicles {
		if e.Vehicles[i].Connected {
			conn++
		}
	}
	return fmt.Sprintf("%d lanes, %d vehicles (%d connected), %d sensors, %d hazards",
		len(e.Net.Lanes), len(e.Vehicles), conn, len(e.Sensors), len(e.Hazards))
}
