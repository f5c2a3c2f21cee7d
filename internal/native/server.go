package native

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/michi-v2x/michi/pkg/v2x"
	"github.com/michi-v2x/michi/pkg/v2x/native"
	"github.com/quic-go/quic-go"
)

// SessionInfo describes a session to the Handler. It does not change during the session.
type SessionInfo struct {
	ID          uint64 // unique among the server's sessions since it started
	StationID   uint32
	StationType v2x.StationType
	SourceUUID  string
	Grant       Grant    // what Options.Authenticate granted the hello's credentials (zero without it)
	Remote      net.Addr // the client's address at the handshake (it may migrate later)
	Datagrams   bool     // CAMs arrive as QUIC datagrams
	Connected   time.Time
}

// Grant is what Options.Authenticate admits a hello as.
type Grant struct {
	Role string // what the credentials allow, for the Handler to apply
	// Credential is whom the session speaks for. A station's session is taken over only by a
	// hello of the same Credential (a vehicle reconnecting); a hello of another is refused with
	// forbidden and the station's session goes on.
	Credential string
}

// Handler is what the edge plugs into the server. Its methods are called concurrently for
// different sessions; for one session they are called one at a time, OnHello first and OnClose
// last (OnClose only after an OnHello that returned nil).
//
// An error returned by OnCAM or OnDENM drops the frame and is sent to the client as a non-fatal
// Error frame, with the native.Code it wraps (native.Errorf, native.WrapError) or bad_frame;
// after Options.MaxBadFrames refusals in a row the session is closed. An error from OnHello
// refuses the session, with the code it wraps or unauthorized.
//
// A station that reconnects, with the same Grant.Credential, replaces its old session: the old
// session's OnClose may come after the new one's OnHello, so keep per-session state by
// SessionInfo.ID.
//
// The server checks before calling OnCAM and OnDENM that the message's station_id is the
// session's (else forbidden), and drops a CAM older than one it passed on already (datagrams
// may be reordered); everything else (validation, clock skew) is the Handler's.
type Handler interface {
	OnHello(s SessionInfo) error
	OnCAM(s SessionInfo, m *v2x.CAM) error
	OnDENM(s SessionInfo, m *v2x.DENM) error
	OnClose(s SessionInfo)
}

// Server serves michi-v2x/1: it accepts vehicle sessions, hands their frames to a Handler and
// delivers alerts to them (Deliver).
//
// Lock rule: mu guards sessions and closing; it is never held while calling out (Handler,
// quic-go) or while taking a session's locks. A session's locks: ingestMu (one Handler call at
// a time) may be held while taking ctrlMu (control-stream writes); qmu (its alert queue) is
// taken alone.
type Server struct {
	o       Options
	h       Handler
	tlsConf *tls.Config

	started atomic.Bool
	ready   chan struct{}
	addr    net.Addr // set before ready is closed

	// hsCtx is cancelled when shutdown starts: handshakes in progress give up.
	hsCtx    context.Context
	hsCancel context.CancelFunc

	mu       sync.RWMutex
	sessions map[uint32]*session // by station id
	closing  bool

	nextID atomic.Uint64
	wg     sync.WaitGroup // the accept loop and one goroutine per connection
	stats  counters
}

// New checks the options and returns a server that Run will start. It does no I/O. A nil
// Handler accepts everything and does nothing.
func New(o Options, h Handler) (*Server, error) {
	if err := o.Validate(); err != nil {
		return nil, fmt.Errorf("native: %w", err)
	}
	if h == nil {
		h = nopHandler{}
	}
	tc := o.TLS.Clone()
	tc.NextProtos = []string{native.ALPN}
	ctx, cancel := context.WithCancel(context.Background())
	return &Server{
		o:        o,
		h:        h,
		tlsConf:  tc,
		ready:    make(chan struct{}),
		hsCtx:    ctx,
		hsCancel: cancel,
		sessions: make(map[uint32]*session),
	}, nil
}

// Ready is closed once Run listens; Addr is valid from then on.
func (s *Server) Ready() <-chan struct{} { return s.ready }

// Addr returns the UDP address the server listens on, nil before Ready.
func (s *Server) Addr() net.Addr {
	select {
	case <-s.ready:
		return s.addr
	default:
		return nil
	}
}

func (s *Server) quicConfig() *quic.Config {
	return &quic.Config{
		HandshakeIdleTimeout:  s.o.HandshakeTimeout,
		MaxIdleTimeout:        s.o.IdleTimeout,
		MaxIncomingStreams:    1, // the control stream
		MaxIncomingUniStreams: 4, // telemetry streams
		EnableDatagrams:       !s.o.DisableDatagrams,
		Allow0RTT:             false, // the hello carries credentials; see docs/native-protocol.md
	}
}

// Run binds Options.Addr, serves until ctx ends, then shuts down: it stops accepting, lets
// every session write its queued alerts (at most DrainTimeout), closes the sessions with
// shutting_down and returns once every goroutine it started has ended. A Server runs once.
func (s *Server) Run(ctx context.Context) error {
	if !s.started.CompareAndSwap(false, true) {
		return ErrRunning
	}
	udpAddr, err := net.ResolveUDPAddr("udp", s.o.Addr)
	if err != nil {
		return fmt.Errorf("native: %w", err)
	}
	pc, err := net.ListenUDP("udp", udpAddr)
	if err != nil {
		return fmt.Errorf("native: %w", err)
	}
	tr := &quic.Transport{Conn: pc}
	ln, err := tr.Listen(s.tlsConf, s.quicConfig())
	if err != nil {
		_ = tr.Close()
		_ = pc.Close()
		return fmt.Errorf("native: %w", err)
	}
	s.addr = ln.Addr()
	close(s.ready)
	s.o.Log.Info("native QUIC listening", "addr", s.addr.String(), "alpn", native.ALPN, "datagrams", !s.o.DisableDatagrams)

	s.wg.Add(1)
	go s.acceptLoop(ln)
	<-ctx.Done()
	s.shutdown(ln)
	_ = tr.Close()
	_ = pc.Close()
	s.o.Log.Info("native QUIC stopped")
	return nil
}

func (s *Server) acceptLoop(ln *quic.Listener) {
	defer s.wg.Done()
	for {
		qc, err := ln.Accept(context.Background())
		if err != nil {
			if !errors.Is(err, quic.ErrServerClosed) {
				s.o.Log.Error("native QUIC accept failed", "err", err)
			}
			return
		}
		s.wg.Add(1) // the counter is ≥ 1 (this goroutine), so Add may race with Wait
		go s.serveConn(qc)
	}
}

// shutdown drains the sessions, then closes whatever is left.
func (s *Server) shutdown(ln *quic.Listener) {
	s.mu.Lock()
	s.closing = true
	s.mu.Unlock()
	_ = ln.Close()
	s.hsCancel()
	for _, sess := range s.snapshot() {
		sess.drain()
	}
	done := make(chan struct{})
	go func() { // not in wg: it waits for wg
		s.wg.Wait()
		close(done)
	}()
	t := time.NewTimer(s.o.DrainTimeout)
	defer t.Stop()
	select {
	case <-done:
		return
	case <-t.C:
	}
	for _, sess := range s.snapshot() {
		sess.fail(native.CodeShuttingDown, "server shutting down")
	}
	<-done
}

func (s *Server) snapshot() []*session {
	s.mu.RLock()
	defer s.mu.RUnlock()
	out := make([]*session, 0, len(s.sessions))
	for _, sess := range s.sessions {
		out = append(out, sess)
	}
	return out
}

// register makes sess the session of its station, replacing an older one of the same credential,
// which is closed with replaced. A live session of another credential keeps the station: sess is
// refused with forbidden.
func (s *Server) register(sess *session) error {
	s.mu.Lock()
	if s.closing {
		s.mu.Unlock()
		return native.Errorf(native.CodeShuttingDown, "server shutting down")
	}
	old := s.sessions[sess.info.StationID]
	if old != nil && old.info.Grant.Credential != sess.info.Grant.Credential {
		s.mu.Unlock()
		return native.Errorf(native.CodeForbidden, fmt.Sprintf("station %d has a live session of another credential", sess.info.StationID))
	}
	if old == nil && len(s.sessions) >= s.o.MaxSessions {
		s.mu.Unlock()
		return native.Errorf(native.CodeBusy, fmt.Sprintf("%d sessions, the most this server takes", s.o.MaxSessions))
	}
	s.sessions[sess.info.StationID] = sess
	s.mu.Unlock()
	if old != nil {
		s.stats.add(cReplaced)
		old.fail(native.CodeReplaced, fmt.Sprintf("session %d of the same station took over", sess.info.ID))
	}
	return nil
}

// unregister removes sess, unless a newer session of its station replaced it already.
func (s *Server) unregister(sess *session) {
	s.mu.Lock()
	if s.sessions[sess.info.StationID] == sess {
		delete(s.sessions, sess.info.StationID)
	}
	s.mu.Unlock()
}

// Deliver queues an alert for the session of a station and reports whether the station is
// connected and will have the alert: true when it was queued, superseded a queued older version
// of the same hazard, or was queued or sent before (an equal or newer version: nothing to do);
// false when the station has no session, the session is closing, or its queue overflowed — the
// session is then evicted as a slow consumer. Deliver never blocks.
//
// The edge may offer the active hazards on every CAM (late joiners, vehicles driving in): the
// session sends each version once. Build a alert with native.NewAlert to encode its DENM once
// for all sessions.
func (s *Server) Deliver(stationID uint32, a native.Alert) bool {
	if a.DENM == nil {
		return false
	}
	s.mu.RLock()
	sess := s.sessions[stationID]
	s.mu.RUnlock()
	if sess == nil {
		s.stats.add(cAlertsUndelivered)
		return false
	}
	return sess.offer(a)
}

// Sessions returns the number of sessions.
func (s *Server) Sessions() int {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return len(s.sessions)
}

// SessionStats returns the counters of the session of a station, if it has one.
func (s *Server) SessionStats(stationID uint32) (SessionStats, bool) {
	s.mu.RLock()
	sess := s.sessions[stationID]
	s.mu.RUnlock()
	if sess == nil {
		return SessionStats{}, false
	}
	return sess.stats(), true
}

// Stats returns the server's counters, totals since Run began.
func (s *Server) Stats() Stats {
	st := s.stats.snapshot()
	st.Sessions = s.Sessions()
	return st
}

type nopHandler struct{}

func (nopHandler) OnHello(SessionInfo) error           { return nil }
func (nopHandler) OnCAM(SessionInfo, *v2x.CAM) error   { return nil }
func (nopHandler) OnDENM(SessionInfo, *v2x.DENM) error { return nil }
func (nopHandler) OnClose(SessionInfo)                 {}
