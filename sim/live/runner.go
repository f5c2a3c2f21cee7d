package live

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"sync"
	"time"

	"github.com/michi-v2x/michi/internal/ldm"
	"github.com/michi-v2x/michi/pkg/geo"
	"github.com/michi-v2x/michi/pkg/v2x"
	"github.com/michi-v2x/michi/pkg/v2x/client"
	"github.com/michi-v2x/michi/sim"
	"github.com/michi-v2x/michi/sim/report"
)

// Relevance explains, in the report, what "inside the relevance area" means for this run.
const Relevance = "mqtt tile cover: a vehicle is inside while the zoom-16 tile of its last CAM, or one of the 8 around it, " +
	"received the hazard (the tiles the edge published it on, as an observer saw them); a vehicle must have been inside " +
	"at least the grace time before the hazard ended to be expected"

type warning struct {
	vehicle   int
	pos       geo.Point
	terminate bool
}

type runner struct {
	o   Options
	eng *sim.Engine
	col *report.Collector

	edges      []*edgeRun
	edgeCtx    context.Context
	edgeCancel context.CancelFunc
	wg         sync.WaitGroup // edges
	clientCtx  context.Context
	clientStop context.CancelFunc
	cwg        sync.WaitGroup // vehicle goroutines and background sends

	links     []*vehLink // by vehicle id; nil when not connected
	sensors   []*publisher
	auth      map[string]*client.Client
	hub       *hubAuthority // road works through the hub's API, when set
	authIDs   map[int]v2x.ActionID
	reached   map[[2]int]bool
	extHz     map[int]*extIncident // the source's incidents while they last, by report index
	inboxMu   sync.Mutex
	inbox     []warning
	maxLag    time.Duration // the latest a step started
	lateSteps int           // steps that started more than one step late
	dialSem   chan struct{}
}

// Run builds the world, starts or reaches the edges, connects every client, runs the world in
// real time for o.Duration (or until ctx ends, or the external source ends) and returns the
// report.
func Run(ctx context.Context, o Options) (*report.Report, error) {
	if err := o.Validate(); err != nil {
		return nil, err
	}
	eng, err := sim.New(o.World)
	if err != nil {
		return nil, err
	}
	r := &runner{o: o, eng: eng, auth: map[string]*client.Client{}, authIDs: map[int]v2x.ActionID{},
		reached: map[[2]int]bool{}, extHz: map[int]*extIncident{}, dialSem: make(chan struct{}, o.DialParallel)}
	if o.HubURL != "" {
		r.hub = &hubAuthority{base: o.HubURL, token: o.HubToken, hc: &http.Client{Timeout: 10 * time.Second}}
	}
	r.edgeCtx, r.edgeCancel = context.WithCancel(context.Background())
	r.clientCtx, r.clientStop = context.WithCancel(context.Background())
	defer r.shutdown()
	ro := report.Options{SubscribeZoom: o.SubscribeZoom, Grace: o.Grace}
	if o.Transport == TransportQUIC {
		ro.Relevant, ro.Geometry = geocastRelevant, r.geometry
	}
	r.col = report.New(ro)
	if err := r.startEdges(ctx); err != nil {
		return nil, err
	}
	if err := r.connect(ctx); err != nil {
		return nil, err
	}
	if o.OnReady != nil {
		infos := make([]EdgeInfo, len(r.edges))
		for i, e := range r.edges {
			infos[i] = e.info
		}
		o.OnReady(infos)
	}
	start := time.Now()
	r.col.SetStart(start)
	r.loop(ctx, start)
	r.externalIncidents(time.Since(start).Seconds(), true)
	time.Sleep(500 * time.Millisecond) // let the alerts in flight arrive
	for _, l := range r.links {
		if l != nil {
			r.countClient(l)
		}
	}
	rep := r.col.Report()
	r.describe(rep)
	return rep, nil
}

// connect starts the observers, sensors and vehicles.
func (r *runner) connect(ctx context.Context) error {
	for _, e := range r.edges {
		if err := r.observe(ctx, e, r.col); err != nil {
			return err
		}
	}
	for _, s := range r.eng.Sensors {
		e := r.nearestEdge(s.Pos)
		c, err := rawClient(ctx, e.info.MQTT, "sim_rsu_"+s.Spec.ID)
		if err != nil {
			return fmt.Errorf("sensor %s: %w", s.Spec.ID, err)
		}
		r.sensors = append(r.sensors, &publisher{c: c})
	}
	for _, h := range r.eng.Hazards {
		if h.Spec.Kind == sim.RoadWorks && r.hub == nil {
			if _, err := r.authority(ctx, r.nearestEdge(h.Pos)); err != nil {
				return err
			}
		}
	}
	r.links = make([]*vehLink, len(r.eng.Vehicles))
	var todo []*vehLink
	for i := range r.eng.Vehicles {
		v := &r.eng.Vehicles[i]
		if !v.Connected {
			continue
		}
		l := newVehLink(v.ID, v.Station, r.nearestEdge(v.Pos))
		r.links[i] = l
		todo = append(todo, l)
	}
	r.dialAll(ctx, todo)
	if ctx.Err() != nil {
		return ctx.Err()
	}
	if len(todo) > 0 && r.col.Totals().ConnectFailures == int64(len(todo)) {
		return errors.New("no vehicle could connect to its edge")
	}
	lanes := make([][2]geo.Point, len(r.eng.Net.Lanes))
	for i, l := range r.eng.Net.Lanes {
		lanes[i] = [2]geo.Point{r.eng.Point(l.A), r.eng.Point(l.B)}
	}
	var ms []report.MapSensor
	for _, s := range r.eng.Sensors {
		ms = append(ms, report.MapSensor{ID: s.Spec.ID, Pos: r.eng.Point(s.Pos), RangeM: s.Spec.RangeM})
	}
	r.col.SetMap(lanes, ms)
	return nil
}

// shutdown closes every client, then the edges, and waits for all of it.
func (r *runner) shutdown() {
	r.clientStop()
	var wg sync.WaitGroup
	for _, l := range r.links {
		if l != nil {
			l.close()
		}
	}
	for _, p := range r.sensors {
		wg.Add(1)
		go func() { defer wg.Done(); p.c.Disconnect(50) }()
	}
	for _, e := range r.edges {
		if e.observer != nil {
			wg.Add(1)
			go func() { defer wg.Done(); e.observer.Disconnect(50) }()
		}
	}
	for _, c := range r.auth {
		wg.Add(1)
		go func() { defer wg.Done(); c.Close() }()
	}
	wg.Wait()
	r.cwg.Wait()
	r.edgeCancel()
	r.wg.Wait()
	if r.o.Source != nil {
		r.o.Source.Close()
	}
}

// RelevanceQUIC explains the relevance area of a run over michi's native QUIC protocol.
const RelevanceQUIC = "native QUIC geocast: a vehicle is inside while its last state is within the hazard's relevance radius " +
	"and, when the hazard has a direction, it heads towards the event with the affected traffic (the edge's own rule, " +
	"ldm.Approaching, on the hazard's exact geometry); a vehicle is expected once it has been inside for the grace time " +
	"(2 s by default) before the hazard ended"

// geocastRelevant is the edge's geocast rule.
// A vehicle within atHazardM of the event counts as there (the edge's own test of "heading
// towards" turns on the last millimetres of a vehicle standing on the spot, e.g. the broken-down
// car itself).
func geocastRelevant(g report.Geometry, p geo.Point, heading float64) bool {
	const atHazardM = 5
	return geo.Distance(p, g.Pos) <= atHazardM || ldm.Approaching(p, heading, true, g.Pos, g.RadiusM, g.HeadingDeg, g.HasHeading)
}

// geometry looks a hazard up in an in-process edge (the DENM gives its radius only as a class).
func (r *runner) geometry(edgeID string, id v2x.ActionID) (report.Geometry, bool) {
	for _, e := range r.edges {
		if e.spec.ID != edgeID || e.node == nil {
			continue
		}
		if h, ok := e.node.Hazards().Get(id); ok {
			return report.Geometry{Pos: h.Pos, RadiusM: h.RadiusM, HeadingDeg: h.HeadingDeg, HasHeading: h.HasHeading}, true
		}
	}
	return report.Geometry{}, false
}

// describe fills the report's description of the run.
func (r *runner) describe(rep *report.Report) {
	c := r.eng.Config()
	rep.Scenario, rep.Seed, rep.Transport, rep.Relevance = r.o.Name, c.Seed, r.o.Transport, Relevance
	if r.o.Transport == TransportQUIC {
		rep.Relevance = RelevanceQUIC
	}
	rep.Vehicles, rep.Sensors, rep.StepMS, rep.RealTime = len(r.eng.Vehicles), len(r.eng.Sensors), float64(c.Step.Microseconds())/1000, true
	rep.MaxStepLagMS, rep.LateSteps = float64(r.maxLag.Microseconds())/1000, r.lateSteps
	for _, l := range r.links {
		if l != nil && l.up.Load() {
			rep.Connected++
		}
	}
	for _, e := range r.edges {
		rep.Edges = append(rep.Edges, e.spec.ID)
	}
	if s, ok := r.o.Source.(interface{ Teleports() int }); ok {
		rep.SUMOTeleports = s.Teleports()
	}
}
