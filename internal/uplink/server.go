package uplink

import (
	"context"
	"crypto/tls"
	"errors"
	"log/slog"
	"net"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/quic-go/quic-go"

	"github.com/michi-v2x/michi/internal/tlsconf"
)

// Server is the hub's end of the uplink: it accepts edges over QUIC with mutual TLS, stores
// their records through the Sink exactly once, and sends authority hazards down.
//
// Lock rule: mu guards edges and draining, including each edgeState's fields; a session's own
// mu guards only its ack state. No lock is held while taking another one, nor across I/O or a
// callback.
type Server struct {
	o        Options
	tlsConf  *tls.Config
	quicConf *quic.Config

	started atomic.Bool
	ready   chan struct{}
	addr    net.Addr // set before ready is closed

	mu       sync.Mutex
	edges    map[string]*edgeState
	draining bool
	wg       sync.WaitGroup // accept loop and connections

	tags  atomic.Uint64 // authority delivery tags
	stats serverCounters
}

// edgeState is what the server keeps per edge id: the current session and the authority
// hazards not yet acknowledged, which outlive a connection.
type edgeState struct {
	sess   *session
	outbox []*outEntry // in the order SendAuthority queued them
}

type outEntry struct {
	tag  uint64
	h    AuthorityHazard
	sent bool // written on the current session
}

type serverCounters struct {
	connections, refused, batches, records, protocolErrors atomic.Uint64
}

// ServerStats are the Server's counters since New, for metrics.
type ServerStats struct {
	Edges          int    // connected now
	Connections    uint64 // sessions that completed Hello
	Refused        uint64 // connections closed before or at Hello (identity, timeout, malformed)
	Batches        uint64 // batches stored
	Records        uint64 // records received in them (duplicates included)
	ProtocolErrors uint64 // sessions ended by a protocol violation or bad record
}

// New checks o and returns a Server; it does no I/O.
func New(o Options) (*Server, error) {
	o.setDefaults()
	if err := o.Validate(); err != nil {
		return nil, err
	}
	tc := o.TLS.Clone()
	tc.NextProtos = []string{ALPN}
	if tc.MinVersion < tls.VersionTLS13 {
		tc.MinVersion = tls.VersionTLS13
	}
	return &Server{
		o:        o,
		tlsConf:  tc,
		quicConf: quicConfig(o.QUIC, true),
		ready:    make(chan struct{}),
		edges:    make(map[string]*edgeState),
	}, nil
}

// Ready is closed once Run is listening; Addr is valid from then on.
func (s *Server) Ready() <-chan struct{} { return s.ready }

// Addr returns the UDP address the Server listens on, nil before Ready.
func (s *Server) Addr() net.Addr {
	select {
	case <-s.ready:
		return s.addr
	default:
		return nil
	}
}

// Run listens on Options.Addr and serves edges until ctx ends, then drains: it stops
// accepting, lets every session finish the batch it is storing and write its Ack, ends the
// sessions with CodeGoingAway, and after DrainTimeout closes whatever is left. It returns nil
// after a drain, or the error that kept it from listening.
func (s *Server) Run(ctx context.Context) error {
	if !s.started.CompareAndSwap(false, true) {
		return ErrStarted
	}
	pc := s.o.PacketConn
	if pc == nil {
		udpAddr, err := net.ResolveUDPAddr("udp", s.o.Addr)
		if err != nil {
			return err
		}
		udp, err := net.ListenUDP("udp", udpAddr)
		if err != nil {
			return err
		}
		defer udp.Close()
		pc = udp
	}
	tr := &quic.Transport{Conn: pc}
	defer tr.Close()
	ln, err := tr.Listen(s.tlsConf, s.quicConf)
	if err != nil {
		return err
	}
	s.addr = ln.Addr()
	close(s.ready)
	s.o.Log.Info("uplink server listening", "addr", s.addr.String())

	// hard ends the connections: after the drain, or at once on a second cancellation path.
	hard, hardCancel := context.WithCancel(context.WithoutCancel(ctx))
	defer hardCancel()
	s.wg.Add(1)
	go s.acceptLoop(ctx, hard, ln)

	<-ctx.Done()
	s.mu.Lock()
	s.draining = true
	var sessions []*session
	for _, st := range s.edges {
		if st.sess != nil {
			sessions = append(sessions, st.sess)
		}
	}
	s.mu.Unlock()
	_ = ln.Close()
	for _, ss := range sessions {
		ss.drain()
	}
	done := make(chan struct{})
	go func() {
		s.wg.Wait()
		close(done)
	}()
	t := time.NewTimer(s.o.DrainTimeout)
	select {
	case <-done:
	case <-t.C:
		s.o.Log.Warn("uplink server drain timed out; closing connections")
		hardCancel()
		<-done
	}
	t.Stop()
	hardCancel()
	s.o.Log.Info("uplink server stopped")
	return nil
}

func (s *Server) acceptLoop(drainCtx, hard context.Context, ln *quic.Listener) {
	defer s.wg.Done()
	for {
		qc, err := ln.Accept(context.Background())
		if err != nil {
			return // the listener was closed
		}
		s.mu.Lock()
		if s.draining {
			s.mu.Unlock()
			_ = qc.CloseWithError(CodeGoingAway, "hub shutting down")
			continue
		}
		s.wg.Add(1)
		s.mu.Unlock()
		go s.serveConn(drainCtx, hard, qc)
	}
}

// serveConn runs one edge connection from Hello to its end.
func (s *Server) serveConn(drainCtx, hard context.Context, qc *quic.Conn) {
	defer s.wg.Done()
	stopHard := context.AfterFunc(hard, func() { _ = qc.CloseWithError(CodeGoingAway, "hub shutting down") })
	defer stopHard()
	log := s.o.Log.With("peer", qc.RemoteAddr().String())

	id, err := tlsconf.PeerIdentity(qc.ConnectionState().TLS)
	if err != nil { // unreachable with RequireAndVerifyClientCert, unless the CN is empty
		s.refuse(qc, log, protoErr(CodeIdentity, "%v", err))
		return
	}
	log = log.With("edge", id)

	// Until the session is registered, a drain simply closes the connection.
	stopDrain := context.AfterFunc(drainCtx, func() { _ = qc.CloseWithError(CodeGoingAway, "hub shutting down") })
	str, hello, err := s.awaitHello(hard, qc)
	if err != nil {
		stopDrain()
		s.refuse(qc, log, err)
		return
	}
	if hello.EdgeID != "" && hello.EdgeID != id {
		stopDrain()
		s.refuse(qc, log, protoErr(CodeIdentity, "hello names edge %q but the certificate is %q", hello.EdgeID, id))
		return
	}
	storeCtx, cancel := context.WithTimeout(hard, s.o.StoreTimeout)
	hw, err := s.o.Sink.HighWater(storeCtx, id)
	cancel()
	if err != nil {
		stopDrain()
		s.refuse(qc, log, protoErr(CodeStorage, "high-water mark: %v", err))
		return
	}
	if !stopDrain() { // drain began meanwhile: the connection is closing
		return
	}

	ss := newSession(s, qc, str, id, log, hw)
	if err := s.register(ss); err != nil {
		if asProtocolError(err).Code == CodeGoingAway {
			_ = qc.CloseWithError(CodeGoingAway, "hub shutting down")
			return
		}
		s.refuse(qc, log, err) // a clear line: which edge, connected from where
		return
	}
	s.stats.connections.Add(1)
	log.Info("edge connected", "high_water", hw, "edge_acked", hello.LastAcked, "edge_depth", hello.Depth)
	if s.o.OnEdge != nil {
		s.o.OnEdge(id, true)
	}
	err = ss.run(hard)
	current := s.unregister(ss)
	if pe := asProtocolError(err); pe != nil && !pe.Remote && pe.Code != CodeGoingAway && pe.Code != CodeReplaced && pe.Code != CodeStorage {
		s.stats.protocolErrors.Add(1)
	}
	log.Info("edge disconnected", "reason", errString(err))
	if current && s.o.OnEdge != nil {
		s.o.OnEdge(id, false)
	}
}

// awaitHello accepts the edge's stream and reads its Hello, within HelloTimeout.
func (s *Server) awaitHello(ctx context.Context, qc *quic.Conn) (*quic.Stream, helloFrame, error) {
	var h helloFrame
	ctx, cancel := context.WithTimeout(ctx, s.o.HelloTimeout)
	defer cancel()
	str, err := qc.AcceptStream(ctx)
	if err != nil {
		if ctx.Err() != nil {
			return nil, h, protoErr(CodeTimeout, "no stream within %v", s.o.HelloTimeout)
		}
		return nil, h, err
	}
	deadline, _ := ctx.Deadline()
	_ = str.SetReadDeadline(deadline)
	fr := &frameReader{r: str, max: s.o.MaxFrameBytes}
	t, body, err := fr.next()
	if err != nil {
		return nil, h, readError(err, "hello")
	}
	if t != frameHello {
		return nil, h, protoErr(CodeProtocol, "first frame is %s, want Hello", t)
	}
	if err := decodeBody(t, body, &h); err != nil {
		return nil, h, protoErr(CodeProtocol, "%v", err)
	}
	_ = str.SetReadDeadline(time.Time{})
	return str, h, nil
}

// refuse closes a connection that did not become a session.
func (s *Server) refuse(qc *quic.Conn, log *slog.Logger, err error) {
	s.stats.refused.Add(1)
	pe := asProtocolError(err)
	if pe == nil {
		log.Warn("edge connection failed before hello", "err", err.Error())
		_ = qc.CloseWithError(CodeProtocol, "")
		return
	}
	log.Warn("edge refused", "code", uint64(pe.Code), "reason", pe.Reason)
	_ = qc.CloseWithError(pe.Code, pe.Reason)
}

// register makes ss the edge's current session. An edge id has one connection: while the
// current one is live — it answers a probe within LiveProbe — ss is refused with CodeDuplicate
// (two edges sharing a certificate would otherwise take the link from each other for ever); a
// current one that does not answer (the edge restarted, and its old connection has not timed
// out yet) is closed with CodeReplaced and ss takes its place.
func (s *Server) register(ss *session) error {
	for {
		s.mu.Lock()
		if s.draining {
			s.mu.Unlock()
			return protoErr(CodeGoingAway, "hub shutting down")
		}
		st := s.edges[ss.edgeID]
		if st == nil {
			st = &edgeState{}
			s.edges[ss.edgeID] = st
		}
		old := st.sess
		if old == nil {
			s.takeLocked(st, ss)
			s.mu.Unlock()
			return nil
		}
		s.mu.Unlock()
		if old.live(s.o.LiveProbe) {
			return protoErr(CodeDuplicate, "edge %s is connected already from %s, and that connection answers: a second edge with the same certificate?",
				ss.edgeID, old.qc.RemoteAddr())
		}
		s.mu.Lock()
		if s.edges[ss.edgeID] == st && st.sess == old && !s.draining {
			s.takeLocked(st, ss)
			s.mu.Unlock()
			old.close(protoErr(CodeReplaced, "the edge reconnected and this connection did not answer for %v", s.o.LiveProbe))
			return nil
		}
		s.mu.Unlock() // the edge's state changed meanwhile: look again
	}
}

// takeLocked makes ss st's session; s.mu is held.
func (s *Server) takeLocked(st *edgeState, ss *session) {
	st.sess = ss
	for _, e := range st.outbox {
		e.sent = false // the new session delivers everything not yet acknowledged
	}
}

// unregister forgets ss; it reports whether ss was still the edge's current session.
func (s *Server) unregister(ss *session) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := s.edges[ss.edgeID]
	if st == nil || st.sess != ss {
		return false
	}
	st.sess = nil
	for _, e := range st.outbox {
		e.sent = false
	}
	if len(st.outbox) == 0 {
		delete(s.edges, ss.edgeID)
	}
	return true
}

// SendAuthority queues h for the connected edge edgeID and reports whether it did. A queued
// hazard is delivered at least once — again after a reconnect — until the edge acknowledges it
// (OnAuthorityAck); a newer hazard with the same ID replaces a queued older one. It returns
// false, queueing nothing, when the edge is not connected (the hub sends the hazards an edge
// needs when OnEdge reports it connected), when h is invalid, or when MaxOutbox hazards already
// wait for that edge. It never blocks on the network.
func (s *Server) SendAuthority(edgeID string, h AuthorityHazard) bool {
	if h.Validate() != nil {
		return false
	}
	s.mu.Lock()
	st := s.edges[edgeID]
	if s.draining || st == nil || st.sess == nil {
		s.mu.Unlock()
		return false
	}
	tag := s.tags.Add(1)
	i := slices.IndexFunc(st.outbox, func(e *outEntry) bool { return e.h.ID == h.ID })
	switch {
	case i >= 0:
		st.outbox[i] = &outEntry{tag: tag, h: h}
	case len(st.outbox) >= s.o.MaxOutbox:
		s.mu.Unlock()
		return false
	default:
		st.outbox = append(st.outbox, &outEntry{tag: tag, h: h})
	}
	ss := st.sess
	s.mu.Unlock()
	ss.wake()
	return true
}

// takeAuthority returns the authority frames ss has yet to write, marking them sent.
func (s *Server) takeAuthority(ss *session) []authorityFrame {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := s.edges[ss.edgeID]
	if st == nil || st.sess != ss {
		return nil
	}
	var out []authorityFrame
	for _, e := range st.outbox {
		if !e.sent {
			e.sent = true
			out = append(out, authorityFrame{Tag: e.tag, Hazard: e.h})
		}
	}
	return out
}

// ackAuthority removes the hazard delivered with tag from edgeID's outbox.
func (s *Server) ackAuthority(edgeID string, tag uint64) {
	s.mu.Lock()
	var id string
	if st := s.edges[edgeID]; st != nil {
		if i := slices.IndexFunc(st.outbox, func(e *outEntry) bool { return e.tag == tag }); i >= 0 {
			id = st.outbox[i].h.ID
			st.outbox = slices.Delete(st.outbox, i, i+1)
		}
	}
	s.mu.Unlock()
	if id != "" && s.o.OnAuthorityAck != nil {
		s.o.OnAuthorityAck(edgeID, id)
	}
}

// Connected returns the ids of the edges connected now, sorted.
func (s *Server) Connected() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var ids []string
	for id, st := range s.edges {
		if st.sess != nil {
			ids = append(ids, id)
		}
	}
	slices.Sort(ids)
	return ids
}

// Stats returns the Server's counters.
func (s *Server) Stats() ServerStats {
	return ServerStats{
		Edges:          len(s.Connected()),
		Connections:    s.stats.connections.Load(),
		Refused:        s.stats.refused.Load(),
		Batches:        s.stats.batches.Load(),
		Records:        s.stats.records.Load(),
		ProtocolErrors: s.stats.protocolErrors.Load(),
	}
}

func errString(err error) string {
	if err == nil {
		return "closed"
	}
	return err.Error()
}

// readError turns a frame read error into the ProtocolError the connection is closed with, or
// returns it as it is when the connection itself failed.
func readError(err error, what string) error {
	var ne net.Error
	switch {
	case errors.Is(err, ErrFrameTooLarge):
		return protoErr(CodeFrameTooLarge, "%s: %v", what, err)
	case errors.Is(err, ErrMalformed):
		return protoErr(CodeProtocol, "%s: %v", what, err)
	case errors.As(err, &ne) && ne.Timeout() && asProtocolError(err) == nil:
		if _, idle := errors.AsType[*quic.IdleTimeoutError](err); idle {
			return err
		}
		return protoErr(CodeTimeout, "%s: %v", what, err)
	}
	return err
}
