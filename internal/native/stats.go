package native

import "sync/atomic"

// Stats are the server's counters (totals since Run began), for metrics.
type Stats struct {
	Sessions   int    // sessions now
	Handshakes uint64 // sessions welcomed
	Refused    uint64 // hellos refused: credentials, handler, busy, malformed, timeout
	Replaced   uint64 // sessions taken over by a newer one of the same station
	Evicted    uint64 // slow consumers disconnected

	AlertsQueued       uint64 // alerts queued for a session
	AlertsSent         uint64 // alert streams written
	AlertsSuperseded   uint64 // queued alerts replaced by a newer version of their hazard
	AlertsDeduplicated uint64 // offers of a version queued or sent before
	AlertsUndelivered  uint64 // offers to a station without a session, or a closing one

	CAMs             uint64 // CAMs passed to the handler
	CAMDatagrams     uint64 // of which arrived as datagrams
	DENMs            uint64 // DENMs passed to the handler
	DatagramsDropped uint64 // datagrams dropped: undecodable, or a CAM older than one handled
	BadFrames        uint64 // frames refused (decode, placement, identity, handler)
}

// SessionStats are one session's counters.
type SessionStats struct {
	Info   SessionInfo
	Queued int // alerts waiting now

	AlertsQueued       uint64
	AlertsSent         uint64
	AlertsSuperseded   uint64
	AlertsDeduplicated uint64
	CAMs               uint64
	CAMDatagrams       uint64
	DENMs              uint64
	DatagramsDropped   uint64
	BadFrames          uint64
}

// counter names one of the counters.
type counter int

const (
	cHandshakes counter = iota
	cRefused
	cReplaced
	cEvicted
	cAlertsQueued
	cAlertsSent
	cAlertsSuperseded
	cAlertsDedup
	cAlertsUndelivered
	cCAMs
	cCAMDatagrams
	cDENMs
	cDatagramsDropped
	cBadFrames
	nCounters
)

// counters are kept per session and for the server; a session event increments both.
type counters [nCounters]atomic.Uint64

func (c *counters) add(k counter) { c[k].Add(1) }

func (c *counters) snapshot() Stats {
	return Stats{
		Handshakes: c[cHandshakes].Load(), Refused: c[cRefused].Load(), Replaced: c[cReplaced].Load(),
		Evicted: c[cEvicted].Load(), AlertsQueued: c[cAlertsQueued].Load(), AlertsSent: c[cAlertsSent].Load(),
		AlertsSuperseded: c[cAlertsSuperseded].Load(), AlertsDeduplicated: c[cAlertsDedup].Load(),
		AlertsUndelivered: c[cAlertsUndelivered].Load(), CAMs: c[cCAMs].Load(), CAMDatagrams: c[cCAMDatagrams].Load(),
		DENMs: c[cDENMs].Load(), DatagramsDropped: c[cDatagramsDropped].Load(), BadFrames: c[cBadFrames].Load(),
	}
}

// count increments a counter of the session and the same counter of the server.
func (sess *session) count(k counter) {
	sess.c.add(k)
	sess.srv.stats.add(k)
}

func (sess *session) stats() SessionStats {
	st := sess.c.snapshot()
	sess.qmu.Lock()
	queued := sess.queue.len()
	sess.qmu.Unlock()
	return SessionStats{
		Info: sess.info, Queued: queued,
		AlertsQueued: st.AlertsQueued, AlertsSent: st.AlertsSent, AlertsSuperseded: st.AlertsSuperseded,
		AlertsDeduplicated: st.AlertsDeduplicated, CAMs: st.CAMs, CAMDatagrams: st.CAMDatagrams, DENMs: st.DENMs,
		DatagramsDropped: st.DatagramsDropped, BadFrames: st.BadFrames,
	}
}
