package downlink

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/michi-v2x/michi/internal/hub/store"
	"github.com/michi-v2x/michi/internal/uplink"
	"github.com/michi-v2x/michi/pkg/geo"
)

// Sender delivers to connected edges; *uplink.Server implements it.
type Sender interface {
	SendAuthority(edgeID string, h uplink.AuthorityHazard) bool
	Connected() []string
}

// Options configures a Dispatcher. Store and Sender are required.
type Options struct {
	Store  *store.Store
	Sender Sender
	// Relay sends edge hazards to neighbouring edges whose coverage they touch. Default true.
	Relay *bool
	// ReconcileEvery is the period of the full reconciliation. Default 30 s.
	ReconcileEvery time.Duration
	Log            *slog.Logger
	Now            func() time.Time
}

func (o *Options) setDefaults() {
	if o.Relay == nil {
		t := true
		o.Relay = &t
	}
	if o.ReconcileEvery == 0 {
		o.ReconcileEvery = 30 * time.Second
	}
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	if o.Now == nil {
		o.Now = time.Now
	}
}

// Stats are the Dispatcher's counters since New.
type Stats struct {
	Sent       uint64 // authority hazards (and terminations) handed to the uplink Server
	SendFailed uint64 // not accepted: edge gone, outbox full
	Relayed    uint64 // edge hazards relayed to a neighbour
}

// Dispatcher routes hazards to edges. Safe for concurrent use.
type Dispatcher struct {
	o Options

	reconciling sync.Mutex // one Reconcile at a time: a send and its markSent are one step

	mu       sync.Mutex
	coverage map[string]geo.Box          // edge → coverage reported in its latest health record
	sent     map[string]map[string]int64 // edge → authority id → version sent (UpdatedAt ns; -1 = termination)
	relayed  map[string]map[string]bool  // relay id → edges it went to
	pending  map[string]bool             // edges to reconcile soon
	wake     chan struct{}

	sentN, failedN, relayedN atomic.Uint64
}

// New returns a Dispatcher; it does no I/O.
func New(o Options) (*Dispatcher, error) {
	if o.Store == nil || o.Sender == nil {
		return nil, errors.New("downlink: Store and Sender are required")
	}
	o.setDefaults()
	return &Dispatcher{o: o, coverage: map[string]geo.Box{}, sent: map[string]map[string]int64{},
		relayed: map[string]map[string]bool{}, pending: map[string]bool{}, wake: make(chan struct{}, 1)}, nil
}

// Stats returns the counters.
func (d *Dispatcher) Stats() Stats {
	return Stats{Sent: d.sentN.Load(), SendFailed: d.failedN.Load(), Relayed: d.relayedN.Load()}
}

// Connected lists the edges connected to this hub.
func (d *Dispatcher) Connected() []string { return d.o.Sender.Connected() }

func (d *Dispatcher) send(edgeID string, h uplink.AuthorityHazard) bool {
	if d.o.Sender.SendAuthority(edgeID, h) {
		d.sentN.Add(1)
		return true
	}
	d.failedN.Add(1)
	return false
}

// concerns reports whether a hazard circle touches edgeID's coverage (unknown coverage: yes
// when unknownOK).
func (d *Dispatcher) concerns(edgeID string, lat, lon, radiusM float64, unknownOK bool) bool {
	d.mu.Lock()
	cov, ok := d.coverage[edgeID]
	d.mu.Unlock()
	if !ok {
		return unknownOK
	}
	return cov.Intersects(geo.BoxAround(geo.Point{Lat: lat, Lon: lon}, radiusM))
}

func (d *Dispatcher) markSent(edgeID, id string, version int64) {
	d.mu.Lock()
	defer d.mu.Unlock()
	m := d.sent[edgeID]
	if m == nil {
		m = map[string]int64{}
		d.sent[edgeID] = m
	}
	m[id] = version
}

func (d *Dispatcher) sentVersion(edgeID, id string) (int64, bool) {
	d.mu.Lock()
	defer d.mu.Unlock()
	v, ok := d.sent[edgeID][id]
	return v, ok
}

// Issue stores h as a new authority hazard or an update of the one with its ID and sends it
// to every connected edge it concerns. See api.Downlink.
func (d *Dispatcher) Issue(ctx context.Context, h uplink.AuthorityHazard) (store.Authority, bool, []string, error) {
	if err := h.Validate(); err != nil {
		return store.Authority{}, false, nil, err
	}
	now := d.o.Now().UTC()
	a := store.Authority{AuthorityHazard: h, CreatedAt: now, UpdatedAt: now}
	a.Terminate = false
	old, err := d.o.Store.Authority(ctx, h.ID)
	created := true
	switch {
	case err == nil:
		if !old.TerminatedAt.IsZero() {
			return old, false, nil, fmt.Errorf("authority hazard %s: %w", h.ID, store.ErrTerminated)
		}
		a.CreatedAt, created = old.CreatedAt, false
	case !errors.Is(err, store.ErrNotFound):
		return store.Authority{}, false, nil, err
	}
	if err := d.o.Store.PutAuthority(ctx, a); err != nil {
		return store.Authority{}, false, nil, err
	}
	var sent []string
	for _, e := range d.o.Sender.Connected() {
		if d.concerns(e, a.Lat, a.Lon, a.RadiusM, true) && d.send(e, a.AuthorityHazard) {
			d.markSent(e, a.ID, a.UpdatedAt.UnixNano())
			sent = append(sent, e)
		}
	}
	return a, created, sent, nil
}

// Terminate ends the authority hazard id and sends the termination to every connected edge.
func (d *Dispatcher) Terminate(ctx context.Context, id string) (store.Authority, []string, error) {
	a, err := d.o.Store.TerminateAuthority(ctx, id, d.o.Now().UTC())
	if err != nil {
		return store.Authority{}, nil, err
	}
	var sent []string
	for _, e := range d.o.Sender.Connected() {
		if d.send(e, a.AuthorityHazard) { // a.Terminate is set
			d.markSent(e, a.ID, -1)
			sent = append(sent, e)
		}
	}
	return a, sent, nil
}

// EdgeConnected is the uplink Server's OnEdge hook: a newly connected edge is reconciled from
// scratch (it may have restarted and lost what it had); a disconnected one is forgotten.
func (d *Dispatcher) EdgeConnected(edgeID string, connected bool) {
	d.mu.Lock()
	delete(d.sent, edgeID)
	if connected {
		d.pending[edgeID] = true
	} else {
		delete(d.pending, edgeID)
	}
	d.mu.Unlock()
	if connected {
		d.kick()
	}
}

func (d *Dispatcher) kick() {
	select {
	case d.wake <- struct{}{}:
	default:
	}
}

// Stored is called after a batch of edgeID was committed, with the records newly stored. It
// learns coverage from health records (a change schedules a reconcile) and relays hazards. It
// does no I/O and never blocks.
func (d *Dispatcher) Stored(edgeID string, recs []store.Record) {
	for i := range recs {
		r := &recs[i]
		switch {
		case r.Kind == store.KindHealth && r.Health.Coverage != (geo.Box{}):
			d.mu.Lock()
			old, ok := d.coverage[edgeID]
			d.coverage[edgeID] = r.Health.Coverage
			if !ok || old != r.Health.Coverage {
				d.pending[edgeID] = true
			}
			d.mu.Unlock()
			if !ok || old != r.Health.Coverage {
				d.kick()
			}
		case r.Kind == store.KindHazard && r.Hazard.Authority == "" && *d.o.Relay:
			d.relay(edgeID, r)
		}
	}
}

// relayID names an edge hazard relayed to neighbours.
func relayID(edgeID string, h *store.HazardEvent) string {
	return "relay:" + edgeID + ":" + h.ActionID.String()
}

func (d *Dispatcher) relay(edgeID string, r *store.Record) {
	h := r.Hazard
	id := relayID(edgeID, h)
	ended := h.Event == uplink.EventTerminated || h.Event == uplink.EventExpired
	start := h.Detection
	if start.IsZero() {
		start = r.At
	}
	validity := h.Expiry.Sub(start)
	if h.Expiry.IsZero() || validity <= 0 {
		validity = 600 * time.Second
	}
	ah := uplink.AuthorityHazard{ID: id, Cause: h.Cause, SubCause: h.SubCause, Lat: h.Lat, Lon: h.Lon, RadiusM: h.RadiusM,
		HeadingDeg: h.HeadingDeg, Start: start, Validity: validity, Terminate: ended, Issuer: "edge:" + edgeID}

	d.mu.Lock()
	had := d.relayed[id]
	d.mu.Unlock()
	targets := map[string]bool{}
	for _, e := range d.o.Sender.Connected() {
		if e == edgeID {
			continue
		}
		if had[e] || (!ended && d.concerns(e, h.Lat, h.Lon, h.RadiusM, false)) {
			targets[e] = true
		}
	}
	var got []string
	for _, e := range slices.Sorted(maps.Keys(targets)) {
		if d.send(e, ah) {
			d.relayedN.Add(1)
			got = append(got, e)
		}
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if ended {
		delete(d.relayed, id)
		return
	}
	if len(got) == 0 {
		return
	}
	if d.relayed[id] == nil {
		if len(d.relayed) >= maxRelayed {
			return // bounded: beyond this, terminations reach only edges that still overlap
		}
		d.relayed[id] = map[string]bool{}
	}
	for _, e := range got {
		d.relayed[id][e] = true
	}
}

// maxRelayed bounds the memory of which edges got which relayed hazard.
const maxRelayed = 100_000
