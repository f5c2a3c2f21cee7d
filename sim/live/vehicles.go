package live

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/michi-v2x/michi/pkg/v2x"
	"github.com/michi-v2x/michi/pkg/v2x/client"
	"github.com/michi-v2x/michi/sim/report"
)

// vehLink is one connected vehicle's client and the goroutine that drives it: the stepping
// loop hands it states and reports through small channels and never waits for the network.
type vehLink struct {
	id      int
	station uint32
	edge    *edgeRun
	c       *client.Client
	states  chan client.State
	reports chan client.Hazard
	up      atomic.Bool
	// subState is the last state sent successfully (over MQTT its subscriptions follow it).
	subState atomic.Pointer[client.State]
	pending  atomic.Pointer[client.State] // the state being sent
	stop     chan struct{}
	once     sync.Once
	counted  atomic.Bool // its client's stats are in the report's counters
}

func newVehLink(id int, station uint32, e *edgeRun) *vehLink {
	return &vehLink{id: id, station: station, edge: e, states: make(chan client.State, 1),
		reports: make(chan client.Hazard, 8), stop: make(chan struct{})}
}

// dial connects the vehicle and starts its goroutine.
func (r *runner) dial(ctx context.Context, v *vehLink) error {
	o := client.Options{
		URL: v.edge.vehicleURL(r.o.Transport), StationID: v.station, Root: r.o.Root,
		SourceUUID: fmt.Sprintf("sim_car_%d", v.station), SubscribeZoom: r.o.SubscribeZoom,
		DialTimeout: 10 * time.Second, Log: r.o.Log,
	}
	if r.o.Transport == TransportMQTTQUIC || r.o.Transport == TransportQUIC {
		o.TLS = client.TLS{PinnedFingerprint: v.edge.fingerprint}
	}
	if v.edge.node != nil { // every alert must be its in-process edge's (an external one's key is not known)
		o.AlertKeys = v2x.NewKeySet(v.edge.node.AlertKey())
	}
	c, err := client.Dial(r.clientCtx, o)
	if err != nil {
		r.col.Count(func(c *report.Counters) { c.ConnectFailures++ })
		return err
	}
	v.c = c
	r.col.Vehicle(v.id, v.edge.spec.ID, v.station)
	v.up.Store(true)
	r.cwg.Add(1)
	go func() {
		defer r.cwg.Done()
		r.drive(v)
	}()
	return nil
}

// drive sends what the stepping loop hands over and passes alerts on.
func (r *runner) drive(v *vehLink) {
	defer func() {
		v.c.Close()
		r.countClient(v)
	}()
	send := func(f func(ctx context.Context) error) {
		ctx, cancel := context.WithTimeout(r.clientCtx, 5*time.Second)
		defer cancel()
		if err := f(ctx); err != nil && r.clientCtx.Err() == nil {
			r.col.Count(func(c *report.Counters) { c.SendErrors++ })
			r.o.Log.Warn("vehicle send", "station", v.station, "error", err)
		}
	}
	for {
		select {
		case <-v.stop:
			return
		case <-r.clientCtx.Done():
			return
		case st := <-v.states:
			v.pending.Store(&st)
			send(func(ctx context.Context) error {
				err := v.c.SendState(ctx, st)
				if err == nil {
					v.subState.Store(&st)
				}
				return err
			})
		case h := <-v.reports:
			send(func(ctx context.Context) error { _, err := v.c.Report(ctx, h); return err })
			r.col.Count(func(c *report.Counters) { c.DENMs++ })
		case a, ok := <-v.c.Alerts():
			if !ok {
				return
			}
			r.onAlert(v, a)
		}
	}
}

func (v *vehLink) close() { v.once.Do(func() { close(v.stop) }) }

// onAlert records an alert and queues the vehicle's reaction for the next step.
func (r *runner) onAlert(v *vehLink, a client.Alert) {
	r.col.Delivered(v.id, v.edge.spec.ID, report.Alert{DENM: a.DENM, Received: a.Received,
		AlertLatency: a.AlertLatency, Delivery: a.Latency, Replayed: a.Replayed})
	_, term := a.DENM.Termination()
	r.inboxMu.Lock()
	r.inbox = append(r.inbox, warning{vehicle: v.id, pos: a.DENM.EventPosition(), terminate: term})
	r.inboxMu.Unlock()
}

// dialAll connects the given vehicles, DialParallel at a time.
func (r *runner) dialAll(ctx context.Context, links []*vehLink) {
	sem := make(chan struct{}, r.o.DialParallel)
	var wg sync.WaitGroup
	for _, v := range links {
		sem <- struct{}{}
		wg.Add(1)
		go func() {
			defer func() { <-sem; wg.Done() }()
			if err := r.dial(ctx, v); err != nil {
				r.o.Log.Warn("vehicle connect", "station", v.station, "error", err)
			}
		}()
	}
	wg.Wait()
}

// authority returns the road authority's client on edge e, connecting it on first use.
func (r *runner) authority(ctx context.Context, e *edgeRun) (*client.Client, error) {
	if c := r.auth[e.spec.ID]; c != nil {
		return c, nil
	}
	station := uint32(8900 + len(r.auth))
	c, err := client.Dial(r.clientCtx, client.Options{URL: e.info.MQTT, StationID: station, StationType: v2x.StationRoadSideUnit,
		SourceUUID: fmt.Sprintf("sim_authority_%s", e.spec.ID), Root: r.o.Root, Log: r.o.Log})
	if err != nil {
		return nil, fmt.Errorf("road authority client on %s: %w", e.spec.ID, err)
	}
	r.auth[e.spec.ID] = c
	return c, nil
}

// countClient adds v's client statistics to the report's counters, once: when its vehicle leaves
// the run, or for the report, whichever comes first (the report is made while vehicles still run).
func (r *runner) countClient(v *vehLink) {
	if v.c == nil || !v.counted.CompareAndSwap(false, true) {
		return
	}
	st := v.c.Stats()
	r.col.Count(func(c *report.Counters) {
		c.Reconnects += int64(max(st.Connects, 1) - 1)
		c.AlertsDropped += int64(st.AlertsDropped)
		c.AlertsUnverified += int64(st.AlertsUnverified)
	})
	if st.Connects > 1 || st.AlertsDropped > 0 || st.AlertsUnverified > 0 {
		r.o.Log.Info("vehicle client", "station", v.station, "stats", fmt.Sprintf("%+v", st))
	}
}
