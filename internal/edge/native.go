package edge

import (
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/michi-v2x/michi/internal/broker"

	"github.com/michi-v2x/michi/internal/auth"
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

// nativeHandler admits what native sessions send through the same checks as MQTT ingest.
type nativeHandler struct{ n *Node }

// OnHello makes the session the holder of its station (stations.go): refused with forbidden when
// a live connection of another credential holds it. The session then takes one of its source's
// MaxSessions, which MQTT and native sessions share (quota.go): beyond, it is refused with busy
// (the protocol's code for no room for another session; the client may retry once one ends) and
// counted as michi_edge_limit_refused_total{limit="sessions"}, as MQTT's 0x97.
func (h nativeHandler) OnHello(s native.SessionInfo) error {
	if s.Grant.Credential == "" {
		return nil
	}
	if err := h.n.stations.claim(s.StationID, s.Grant.Credential, s.ID); err != nil {
		h.n.rejected(reject("hello", ReasonStation, broker.CodeNotAuthorized, err))
		return nativewire.WrapError(nativewire.CodeForbidden, err)
	}
	if !h.n.quotas.openNative(s.SourceUUID, s.StationID, s.ID) {
		h.n.stations.release(s.ID, s.StationID)
		h.n.metrics.limited.WithLabelValues("sessions").Inc()
		remote := ""
		if s.Remote != nil {
			remote = s.Remote.String()
		}
		h.n.logLimit("sessions", remote, s.SourceUUID)
		return nativewire.Errorf(nativewire.CodeBusy, fmt.Sprintf("%s holds %d sessions, the most a credential may", s.SourceUUID, h.n.opts.Limits.MaxSessions))
	}
	return nil
}

func (h nativeHandler) OnClose(s native.SessionInfo) {
	h.n.stations.release(s.ID, s.StationID)
	if s.Grant.Credential != "" {
		h.n.quotas.closeNative(s.SourceUUID, s.StationID, s.ID)
	}
}

func (h nativeHandler) OnCAM(s native.SessionInfo, m *v2x.CAM) error {
	if err := h.admit(s, m); err != nil {
		return err
	}
	heading, ok := m.Heading()
	h.n.geo.offer(s.StationID, m.Position(), heading, ok)
	return nil
}

func (h nativeHandler) OnDENM(s native.SessionInfo, m *v2x.DENM) error { return h.admit(s, m) }

// admit checks that the session speaks for itself (the server has already matched station ids)
// and may publish m, and hands the message to the transport-independent checks. A message beyond
// its source's PublishRate, which MQTT and native publishes draw on alike, is dropped and counted
// (reason rate_limited) and answered with busy; the server closes a session refused
// MaxBadFrames times in a row.
func (h nativeHandler) admit(s native.SessionInfo, m v2x.Message) error {
	if l := h.n.opts.Limits; l.PublishRate > 0 {
		if q := h.n.quotas.nativeQuota(s.ID); q != nil && !q.allow(l.PublishRate, l.PublishBurst, time.Now()) {
			rej := h.n.rejected(reject(string(m.Type()), ReasonRateLimited, broker.CodeQuotaExceeded,
				fmt.Errorf("%s publishes more than %g messages a second", q.source, l.PublishRate)))
			return nativewire.WrapError(nativewire.CodeBusy, rej)
		}
	}
	if m.Source() != s.SourceUUID {
		err := fmt.Errorf("source_uuid %q is not this session's %q", m.Source(), s.SourceUUID)
		h.n.rejected(reject(string(m.Type()), ReasonImpersonation, broker.CodeNotAuthorized, err))
		return nativewire.WrapError(nativewire.CodeForbidden, err)
	}
	if err := auth.Role(s.Grant.Role).MayPublish(m); err != nil {
		h.n.rejected(reject(string(m.Type()), ReasonForbidden, broker.CodeNotAuthorized, err))
		return nativewire.WrapError(nativewire.CodeForbidden, err)
	}
	err := h.n.validate(m)
	if err == nil {
		err = h.n.admit(m, reporter{identity: s.Grant.Credential, role: auth.Role(s.Grant.Role)})
	}
	var rej *Rejection
	if errors.As(err, &rej) {
		return nativewire.WrapError(nativewire.CodeInvalid, rej)
	}
	return err
}
