package downlink

import (
	"context"
	"time"

	"github.com/michi-v2x/michi/internal/hub/store"
)

// Run reconciles the edges that connected or changed coverage as soon as it hears of them, and
// every connected edge every ReconcileEvery, until ctx ends.
func (d *Dispatcher) Run(ctx context.Context) error {
	d.refreshCoverage(ctx)
	tick := time.NewTicker(d.o.ReconcileEvery)
	defer tick.Stop()
	for {
		var edges []string
		select {
		case <-ctx.Done():
			return nil
		case <-d.wake:
			d.mu.Lock()
			for e := range d.pending {
				edges = append(edges, e)
			}
			clear(d.pending)
			d.mu.Unlock()
		case <-tick.C:
			d.refreshCoverage(ctx)
			edges = d.o.Sender.Connected()
		}
		if len(edges) > 0 {
			d.Reconcile(ctx, edges...)
		}
	}
}

// refreshCoverage learns every edge's coverage from the database (edges that report to
// another replica, or reported before this hub started).
func (d *Dispatcher) refreshCoverage(ctx context.Context) {
	edges, err := d.o.Store.Edges(ctx)
	if err != nil {
		d.o.Log.Warn("downlink: read edges", "err", err)
		return
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	for _, e := range edges {
		if e.Health.HasCoverage() {
			d.coverage[e.ID] = e.Health.Coverage
		}
	}
}

// Reconcile sends each of the given (connected) edges the active authority hazards it
// concerns that this hub has not sent it in their current version, and terminations for the
// copies it reports active of hazards that have ended. Calls run one at a time, so that two
// never both find a hazard unsent and send it twice.
func (d *Dispatcher) Reconcile(ctx context.Context, edges ...string) {
	d.reconciling.Lock()
	defer d.reconciling.Unlock()
	now := d.o.Now()
	active := true
	auths, err := d.o.Store.Authorities(ctx, store.AuthorityQuery{Active: &active, Now: now, Limit: store.MaxLimit})
	if err != nil {
		d.o.Log.Warn("downlink: reconcile: read authority hazards", "err", err)
		return
	}
	connected := map[string]bool{}
	for _, e := range d.o.Sender.Connected() {
		connected[e] = true
	}
	for _, e := range edges {
		if !connected[e] {
			continue
		}
		for i := range auths {
			a := &auths[i]
			if !d.concerns(e, a.Lat, a.Lon, a.RadiusM, true) {
				continue
			}
			if v, ok := d.sentVersion(e, a.ID); ok && v == a.UpdatedAt.UnixNano() {
				continue
			}
			if d.send(e, a.AuthorityHazard) {
				d.markSent(e, a.ID, a.UpdatedAt.UnixNano())
			}
		}
		copies, err := d.o.Store.EdgeAuthorities(ctx, e)
		if err != nil {
			d.o.Log.Warn("downlink: reconcile: read edge copies", "edge", e, "err", err)
			continue
		}
		for _, c := range copies {
			if c.State != "active" || (!c.Expiry.IsZero() && !now.Before(c.Expiry)) {
				continue
			}
			if v, ok := d.sentVersion(e, c.AuthorityID); ok && v == -1 {
				continue // termination already sent
			}
			a, err := d.o.Store.Authority(ctx, c.AuthorityID)
			if err != nil || a.Active(now) {
				continue // relays ("relay:…") are not in the table; active ones stay
			}
			a.Terminate = true
			if d.send(e, a.AuthorityHazard) {
				d.markSent(e, a.ID, -1)
			}
		}
	}
}
