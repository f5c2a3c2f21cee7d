package edge

import (
	"errors"
	"fmt"
	"time"

	"github.com/michi-v2x/michi/internal/auth"
	"github.com/michi-v2x/michi/internal/broker"
	"github.com/michi-v2x/michi/internal/native"
	"github.com/michi-v2x/michi/pkg/v2x"
	nativewire "github.com/michi-v2x/michi/pkg/v2x/native"
)

// nativeHandler is the edge as the native QUIC server's native.Handler: it admits what native
// sessions send through the same checks as MQTT ingest (mqtt.go is the MQTT broker's).
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
