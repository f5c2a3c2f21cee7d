package report

import (
	"math"
	"sync"
	"time"

	"github.com/michi-v2x/michi/pkg/geo"
	"github.com/michi-v2x/michi/pkg/v2x"
)

// Options configures a Collector. Zero fields take their defaults.
type Options struct {
	Start         time.Time     // wall-clock time of virtual time 0
	SubscribeZoom int           // zoom of the vehicles' alert subscriptions, default 16
	Grace         time.Duration // a vehicle must have been inside this long before the hazard ends to be expected, default 2 s
	MatchM        float64       // an edge hazard matches an injected one this close, default 300 m
	// Relevant, when set, replaces the MQTT tile cover by a geometric relevance area (michi's
	// native QUIC geocast): is a vehicle at p with heading inside the area of a hazard at c?
	Relevant func(g Geometry, p geo.Point, headingDeg float64) bool
	// Geometry, when set, gives the exact geometry of an edge's hazard (the DENM carries its
	// radius only as an ETSI awareness-distance class); ok false falls back to the DENM.
	Geometry func(edge string, id v2x.ActionID) (Geometry, bool)
}

// Geometry is where a hazard is and whom it concerns.
type Geometry struct {
	Pos        geo.Point
	RadiusM    float64
	HeadingDeg float64 // direction of the affected traffic, when HasHeading
	HasHeading bool
}

// Collector gathers what happens during a run. It is safe for concurrent use: the observer and
// the vehicles' alert handlers call it from their own goroutines, the stepping loop from its own.
type Collector struct {
	o  Options
	mu sync.Mutex

	edgeHz     map[hkey]*edgeHazard
	hzOrder    []hkey
	injected   []*injected
	notHappen  []NotHappened
	vehicles   map[int]*vehicle
	inside     map[pair]*insideRec
	deliv      map[pair]*delivery
	reaches    map[reachKey][]float64
	traces     []geo.Point
	mapLanes   [][2]geo.Point
	mapSensors []MapSensor
	lastT      float64
	stats      Counters
}

// Counters are totals of what the run sent, for the report.
type Counters struct {
	CAMs            int64 `json:"cams_sent"`
	CAMsSkipped     int64 `json:"cams_skipped"` // a vehicle's previous send was still in progress
	CPMs            int64 `json:"cpms_sent"`
	DENMs           int64 `json:"denms_sent"` // vehicle and authority reports
	SendErrors      int64 `json:"send_errors"`
	ConnectFailures int64 `json:"connect_failures"`
	AlertsReceived  int64 `json:"alerts_received"` // every alert version a vehicle passed on, terminations included
	Reconnects      int64 `json:"reconnects"`      // client sessions re-established after a loss
	AlertsDropped   int64 `json:"alerts_dropped"`  // dropped by a client whose alert buffer was full
	// AlertsUnverified are alerts a vehicle dropped because their signature did not verify with
	// its edge's key (every vehicle checks: 0 unless something altered them).
	AlertsUnverified int64 `json:"alerts_unverified"`
}

type hkey struct {
	edge string
	id   v2x.ActionID
}

type pair struct {
	h hkey
	v int
}

type reachKey struct{ h, v int }

type edgeHazard struct {
	key        hkey
	geoms      []Geometry // geometric relevance: every version's area
	cause      uint8
	pos        geo.Point
	radius     float64
	heading    float64 // of the event, from its first version, when hasHeading
	hasHeading bool
	first      float64 // s, from the DENM timestamp of its first version
	end        float64 // s, when its termination was seen; -1 while active
	tiles      map[string]bool
	area       map[string]bool // subscription tiles that receive it
	topicsSeen int
}

type injected struct {
	Incident
	end           float64 // -1 while active
	track         []trackPoint
	published     float64 // first publication of a matched edge hazard, set in Report
	reachedEarly  map[int]bool
	reachedUnwarn map[int]bool
}

// Incident is a hazard that really happened: one the simulator injected, or one SUMO made happen
// (a vehicle that stood at its stop).
type Incident struct {
	Index int // the key of InjectedEnded, InjectedMoved and Reached
	ID    string
	Kind  string // as sim.Kind: stopped_vehicle, obstacle, …
	// Causes an edge hazard may have to detect it, the first being the one its detector raises;
	// none when no detector exists for it (it then counts against precision only).
	Causes     []uint8
	Start      float64 // s
	Pos        geo.Point
	HeadingDeg float64 // direction of the affected traffic, when HasHeading
	HasHeading bool
}

// during reports whether an edge hazard first published at t (s) may be about the incident:
// published while it was there, or within 10 s of its end (or a second before it, for the
// millisecond timestamps).
func (h *injected) during(t float64) bool {
	return t >= h.Start-1 && (h.end < 0 || t <= h.end+10)
}

// detectionDelay is start → first publication of a matched edge hazard, if there was one.
func (h *injected) detectionDelay() (float64, bool) {
	if math.IsInf(h.published, 1) {
		return 0, false
	}
	return max(0, round(h.published-h.Start, 2)), true // ms timestamps may put it a hair before
}

type trackPoint struct {
	t float64
	p geo.Point
}

type vehicle struct {
	id      int
	edge    string
	station uint32
	tile    [3]string // subscription tiles: of the last acknowledged state, the one before, and of the state being sent
	pending geo.Point
	pendHdg float64
	camPos  geo.Point
	heading float64
	prevPos geo.Point // the state before (the edge may have judged the vehicle on it)
	prevHdg float64
	pos     geo.Point
	active  bool
}

type insideRec struct {
	first, last float64
	pos         geo.Point
}

type delivery struct {
	t        float64
	alertMS  float64 // alert latency: accepted at the edge → read by the vehicle
	delivMS  float64 // its delivery part: the edge's send stamp → read
	replayed bool
	pos      geo.Point
	tiles    [3]string
	states   [3]stateAt // the vehicle's last two acknowledged states and the one being sent, at the delivery
}

type stateAt struct {
	pos     geo.Point
	heading float64
}

// insideAt applies the geometric relevance rule to the states a vehicle had at a delivery (the
// edge judged it on one of them; the hazard's geometry may only be known later, since a native
// QUIC alert can beat the observer's MQTT copy).
func (c *Collector) insideAt(h *edgeHazard, d *delivery) bool {
	for _, st := range d.states {
		if st.pos.Valid() && st.pos != (geo.Point{}) && c.relevant(h, st.pos, st.heading) {
			return true
		}
	}
	return false
}

// New returns an empty collector.
func New(o Options) *Collector {
	if o.SubscribeZoom == 0 {
		o.SubscribeZoom = 16
	}
	if o.Grace == 0 {
		o.Grace = 2 * time.Second
	}
	if o.MatchM == 0 {
		o.MatchM = 300
	}
	if o.Start.IsZero() {
		o.Start = time.Now()
	}
	return &Collector{o: o, edgeHz: map[hkey]*edgeHazard{}, vehicles: map[int]*vehicle{},
		inside: map[pair]*insideRec{}, deliv: map[pair]*delivery{}, reaches: map[reachKey][]float64{}}
}

func (c *Collector) since(t time.Time) float64 { return t.Sub(c.o.Start).Seconds() }

// ms is d in milliseconds, to the microsecond.
func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

// Counters lets the runner add to the totals.
func (c *Collector) Count(f func(*Counters)) {
	c.mu.Lock()
	f(&c.stats)
	c.mu.Unlock()
}

// Totals returns the counters so far.
func (c *Collector) Totals() Counters {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.stats
}

// Vehicle registers a connected vehicle and the edge it is a client of.
func (c *Collector) Vehicle(id int, edge string, station uint32) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.vehicles[id] = &vehicle{id: id, edge: edge, station: station}
}

// Injected records that an incident started (at in.Start, virtual time in s).
func (c *Collector) Injected(in Incident) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.injected = append(c.injected, &injected{Incident: in, end: -1, track: []trackPoint{{in.Start, in.Pos}},
		published: math.Inf(1), reachedEarly: map[int]bool{}, reachedUnwarn: map[int]bool{}})
}

// NotHappened is an incident that was planned and did not happen (SUMO did not stop its
// vehicle where it should stand: not inserted, teleported, held up): it is listed, and does not
// count for recall.
type NotHappened struct {
	ID     string `json:"id"`
	Kind   string `json:"kind"`
	Reason string `json:"reason"`
}

// NotHappened records a planned incident that did not happen.
func (c *Collector) NotHappened(n NotHappened) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.notHappen = append(c.notHappen, n)
}

func (c *Collector) injectedAt(index int) *injected {
	for _, h := range c.injected {
		if h.Index == index {
			return h
		}
	}
	return nil
}

// InjectedEnded records the end of an injected hazard.
func (c *Collector) InjectedEnded(index int, t float64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if h := c.injectedAt(index); h != nil {
		h.end = t
	}
}

// InjectedMoved records where a moving injected hazard is at t.
func (c *Collector) InjectedMoved(index int, t float64, pos geo.Point) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if h := c.injectedAt(index); h != nil {
		h.track = append(h.track, trackPoint{t, pos})
	}
}

// Published records one copy of a hazard DENM an edge published on topic (seen by the
// observer): its first version, its tiles, its termination.
func (c *Collector) Published(edge string, d *v2x.DENM, topic v2x.Topic) {
	c.mu.Lock()
	defer c.mu.Unlock()
	k := hkey{edge, d.ActionID()}
	h := c.edgeHz[k]
	at := c.since(time.UnixMilli(d.Timestamp))
	if h == nil {
		cause, _ := d.Cause()
		r, _ := d.AwarenessRadius()
		h = &edgeHazard{key: k, cause: cause, pos: d.EventPosition(), radius: r, first: at, end: -1,
			tiles: map[string]bool{}, area: map[string]bool{}}
		h.heading, h.hasHeading = d.EventHeading()
		c.edgeHz[k] = h
		c.hzOrder = append(c.hzOrder, k)
	}
	if _, term := d.Termination(); !term && c.o.Relevant != nil {
		// Every version's area counts (an end of queue moves upstream as it grows), like the
		// union of the tiles over MQTT.
		r, _ := d.AwarenessRadius()
		g := Geometry{Pos: d.EventPosition(), RadiusM: r}
		g.HeadingDeg, g.HasHeading = d.EventHeading()
		if c.o.Geometry != nil {
			if eg, ok := c.o.Geometry(edge, k.id); ok {
				g = eg
			}
		}
		if n := len(h.geoms); n == 0 || h.geoms[n-1] != g {
			h.geoms = append(h.geoms, g)
		}
		if len(h.geoms) == 1 {
			h.pos, h.radius = g.Pos, g.RadiusM
		}
	}
	if _, term := d.Termination(); term {
		if h.end < 0 {
			h.end = at
		}
		return
	}
	h.topicsSeen++
	if h.tiles[topic.Quadkey] {
		return
	}
	h.tiles[topic.Quadkey] = true
	z := c.o.SubscribeZoom
	if len(topic.Quadkey) < z {
		return // published coarser than vehicles subscribe: no subscription matches it
	}
	qk := topic.Quadkey[:z]
	h.area[qk] = true
	for _, n := range geo.QuadkeyNeighbours(qk) {
		h.area[n] = true
	}
}

// VehicleState is a connected vehicle at one step.
type VehicleState struct {
	ID      int
	Active  bool
	Pos     geo.Point // where it is
	CAMPos  geo.Point // where it last said it was (its subscriptions follow this)
	Heading float64   // its heading then
	// Pending is the position of a state being sent: over MQTT the client subscribes to its
	// tiles before it drops the old ones, so alerts from there may already arrive.
	Pending        geo.Point
	PendingHeading float64
}

// Step records the connected vehicles at virtual time t (s). Call it once per step, in order.
func (c *Collector) Step(t float64, vs []VehicleState, trace bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.lastT = t
	for _, s := range vs {
		v := c.vehicles[s.ID]
		if v == nil {
			continue
		}
		v.active, v.pos = s.Active, s.Pos
		if !s.Active {
			continue
		}
		if trace && len(c.traces) < 20000 {
			c.traces = append(c.traces, s.Pos)
		}
		if s.CAMPos != v.camPos && s.CAMPos.Valid() && (s.CAMPos != geo.Point{}) {
			v.prevPos, v.prevHdg = v.camPos, v.heading
			v.camPos, v.heading = s.CAMPos, s.Heading
			if qk := geo.Quadkey(s.CAMPos, c.o.SubscribeZoom); qk != v.tile[0] {
				v.tile[1], v.tile[0] = v.tile[0], qk
			}
		}
		if s.Pending != v.pending && s.Pending.Valid() && (s.Pending != geo.Point{}) {
			v.pending, v.pendHdg = s.Pending, s.PendingHeading
			v.tile[2] = geo.Quadkey(s.Pending, c.o.SubscribeZoom)
		}
		if v.tile[0] == "" {
			continue
		}
		for _, k := range c.hzOrder {
			h := c.edgeHz[k]
			if k.edge != v.edge || h.end >= 0 || !c.insideNow(h, v) {
				continue
			}
			p := pair{k, v.id}
			if in := c.inside[p]; in == nil {
				c.inside[p] = &insideRec{first: t, last: t, pos: s.Pos}
			} else {
				in.last = t
			}
		}
	}
}

// insideNow applies the relevance rule to a vehicle's last acknowledged state.
func (c *Collector) insideNow(h *edgeHazard, v *vehicle) bool {
	if c.o.Relevant != nil {
		return c.relevant(h, v.camPos, v.heading)
	}
	return h.area[v.tile[0]]
}

func (c *Collector) relevant(h *edgeHazard, p geo.Point, heading float64) bool {
	for _, g := range h.geoms {
		if c.o.Relevant(g, p, heading) {
			return true
		}
	}
	return false
}

// Reached records that vehicle v came within reach of injected hazard index at t (s).
func (c *Collector) Reached(index, v int, t float64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	k := reachKey{index, v}
	c.reaches[k] = append(c.reaches[k], t)
}

// Alert is one alert a vehicle received, with the client's two latencies (client.Alert).
type Alert struct {
	DENM         *v2x.DENM
	Received     time.Time
	AlertLatency time.Duration // accepted at the edge → read by the vehicle
	Delivery     time.Duration // the edge's send stamp → read by the vehicle
	Replayed     bool          // a retained copy the vehicle got when it subscribed
}

// Delivered records an alert vehicle v received from edge (first version per hazard counts).
func (c *Collector) Delivered(v int, edge string, a Alert) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.stats.AlertsReceived++
	if _, term := a.DENM.Termination(); term {
		return
	}
	p := pair{hkey{edge, a.DENM.ActionID()}, v}
	if c.deliv[p] != nil {
		return
	}
	d := &delivery{t: c.since(a.Received), alertMS: ms(a.AlertLatency), delivMS: ms(a.Delivery), replayed: a.Replayed}
	if veh := c.vehicles[v]; veh != nil {
		d.pos, d.tiles = veh.pos, veh.tile
		d.states = [3]stateAt{{veh.camPos, veh.heading}, {veh.prevPos, veh.prevHdg}, {veh.pending, veh.pendHdg}}

	}
	c.deliv[p] = d
}

// Progress is a snapshot for the live progress line.
type Progress struct {
	T                                float64
	EdgeHazards, Injected            int
	Delivered                        int
	AlertLatencyP50, AlertLatencyP99 float64 // ms, accepted at the edge → read by the vehicle
	ExpectedSoFar, InsideSoFar       int
}

// Progress returns a snapshot of the run so far.
func (c *Collector) Progress() Progress {
	c.mu.Lock()
	defer c.mu.Unlock()
	var lat []float64
	p := Progress{T: c.lastT, EdgeHazards: len(c.edgeHz), Injected: len(c.injected), Delivered: len(c.deliv)}
	for _, d := range c.deliv {
		if !d.replayed {
			lat = append(lat, d.alertMS)
		}
	}
	ds := dist(lat)
	p.AlertLatencyP50, p.AlertLatencyP99 = ds.P50, ds.P99
	p.InsideSoFar = len(c.inside)
	for k := range c.inside {
		if c.deliv[k] != nil {
			p.ExpectedSoFar++
		}
	}
	return p
}

// SetStart sets the wall-clock time of virtual time 0 (before the run's first step).
func (c *Collector) SetStart(t time.Time) {
	c.mu.Lock()
	c.o.Start = t
	c.mu.Unlock()
}
