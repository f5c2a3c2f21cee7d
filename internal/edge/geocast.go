package edge

import (
	"sync"

	"github.com/michi-v2x/michi/internal/hazard"
	"github.com/michi-v2x/michi/internal/ldm"
	"github.com/michi-v2x/michi/internal/native"
	"github.com/michi-v2x/michi/pkg/geo"
	"github.com/michi-v2x/michi/pkg/v2x"
	nativewire "github.com/michi-v2x/michi/pkg/v2x/native"
)

// geocast is the native-QUIC side of dissemination: alerts go to exactly the vehicles inside a
// hazard's relevance area and heading towards it, found through the LDM's R-tree, and every
// active hazard is offered again to each vehicle that connects or drives into its area (the
// native server sends a version to a session once).
//
// Lock rule: mu guards idx and active; it is never held while calling the LDM or the server.
type geocast struct {
	srv    *native.Server
	signer *v2x.Signer
	mu     sync.RWMutex
	idx    *geo.Index[v2x.ActionID]
	active map[v2x.ActionID]activeAlert
	maxR   float64 // largest relevance radius among active hazards
}

type activeAlert struct {
	h     hazard.Hazard
	alert nativewire.Alert
}

func newGeocast(srv *native.Server, signer *v2x.Signer) *geocast {
	return &geocast{srv: srv, signer: signer, idx: geo.NewIndex[v2x.ActionID](), active: map[v2x.ActionID]activeAlert{}}
}

// publish sends one hazard event to the relevant native sessions and updates the offer set.
// It runs under Node.pubMu, so versions of one hazard are handled in order.
func (g *geocast) publish(m *ldm.Map, ev hazard.Event, d *v2x.DENM) {
	h := ev.Hazard
	var a nativewire.Alert
	if d != nil {
		a = nativewire.NewAlert(d)
		a.Sign(g.signer)
	}
	hasHeading := h.HasHeading
	g.mu.Lock()
	switch ev.Kind {
	case hazard.Created, hazard.Updated:
		g.idx.Set(h.ActionID, h.Pos)
		g.active[h.ActionID] = activeAlert{h: h, alert: a}
		g.maxR = max(g.maxR, h.RadiusM)
	default:
		g.idx.Delete(h.ActionID)
		delete(g.active, h.ActionID)
		hasHeading = false // a termination goes to every session in the area, whatever its heading
	}
	g.mu.Unlock()
	if ev.Kind == hazard.Expired {
		return // every receiver knows the validity; nothing to send
	}
	var ids []uint32
	m.Relevant(h.Pos, h.RadiusM, h.HeadingDeg, hasHeading, func(o *ldm.Object) bool {
		ids = append(ids, o.StationID)
		return true
	})
	for _, id := range ids {
		g.srv.Deliver(id, a)
	}
}

// offer gives a vehicle, at its latest position, every active hazard relevant to it.
func (g *geocast) offer(station uint32, p geo.Point, heading float64, headingOK bool) {
	var due []nativewire.Alert
	g.mu.RLock()
	g.idx.Within(p, g.maxR, func(id v2x.ActionID, _ geo.Point, _ float64) bool {
		a := g.active[id]
		if ldm.Approaching(p, heading, headingOK, a.h.Pos, a.h.RadiusM, a.h.HeadingDeg, a.h.HasHeading) {
			due = append(due, a.alert)
		}
		return true
	})
	g.mu.RUnlock()
	for _, a := range due {
		g.srv.Deliver(station, a)
	}
}
