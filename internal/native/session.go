package native

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/michi-v2x/michi/pkg/v2x/native"
	"github.com/quic-go/quic-go"
)

// Bounds of a hello's strings.
const (
	maxSourceUUID = 128
	maxToken      = 4096
)

// session is one vehicle's connection after its hello.
type session struct {
	srv  *Server
	info SessionInfo
	qc   *quic.Conn
	ctrl *quic.Stream
	log  *slog.Logger

	// ctx is cancelled by fail: every goroutine of the session ends.
	ctx    context.Context
	cancel context.CancelFunc
	failMu sync.Mutex
	code   native.Code // why the session ends, set by the first fail
	reason string

	ctrlMu     sync.Mutex     // serialises writes on the control stream
	ctrlReader *native.Reader // owned by readControl

	qmu      sync.Mutex
	queue    alertQueue
	draining bool          // shutdown: write what is queued, then close
	wake     chan struct{} // signals the writer (capacity 1)

	ingestMu sync.Mutex // one Handler call at a time
	lastCAM  int64      // timestamp of the newest CAM handled
	badRun   int        // frames refused in a row

	lastSeq atomic.Uint64 // Seq of the last alert written completely

	wg sync.WaitGroup // the session's goroutines
	c  counters
}

// serveConn runs one connection: the handshake, then the session until it ends.
func (s *Server) serveConn(qc *quic.Conn) {
	defer s.wg.Done()
	log := s.o.Log.With("peer", qc.RemoteAddr().String())
	sess, err := s.handshake(qc, log)
	if err != nil {
		s.stats.add(cRefused)
		log.Debug("native hello refused", "err", err)
		return
	}
	sess.run()
}

// handshake accepts the control stream, reads the hello and answers it with a welcome, or with
// a fatal Error frame and the connection's close.
func (s *Server) handshake(qc *quic.Conn, log *slog.Logger) (*session, error) {
	ctx, cancel := context.WithTimeout(s.hsCtx, s.o.HandshakeTimeout)
	defer cancel()
	ctrl, err := qc.AcceptStream(ctx)
	if err != nil {
		code := native.CodeTimeout
		if s.hsCtx.Err() != nil {
			code = native.CodeShuttingDown
		}
		_ = qc.CloseWithError(quic.ApplicationErrorCode(code), "no control stream")
		return nil, err
	}
	stop := context.AfterFunc(ctx, func() { _ = ctrl.SetReadDeadline(time.Now()) })
	r := native.NewReader(ctrl)
	f, err := r.ReadFrame()
	stop()
	if err != nil {
		code := native.CodeOf(err, native.CodeBadFrame)
		if errors.Is(err, os.ErrDeadlineExceeded) {
			code = native.CodeTimeout
			if s.hsCtx.Err() != nil {
				code = native.CodeShuttingDown
			}
		}
		return nil, s.refuse(qc, ctrl, native.WrapError(code, fmt.Errorf("reading the hello: %w", err)))
	}
	_ = ctrl.SetReadDeadline(time.Time{})
	hello, ok := f.(*native.Hello)
	if !ok {
		return nil, s.refuse(qc, ctrl, native.Errorf(native.CodeBadFrame, "the first frame must be a hello, not "+f.Type().String()))
	}
	switch {
	case hello.SourceUUID == "" || len(hello.SourceUUID) > maxSourceUUID:
		return nil, s.refuse(qc, ctrl, native.Errorf(native.CodeBadFrame, fmt.Sprintf("source_uuid must have 1 … %d bytes", maxSourceUUID)))
	case len(hello.Token) > maxToken:
		return nil, s.refuse(qc, ctrl, native.Errorf(native.CodeBadFrame, fmt.Sprintf("token longer than %d bytes", maxToken)))
	}
	var grant Grant
	if s.o.Authenticate != nil {
		if grant, err = s.o.Authenticate(*hello); err != nil {
			return nil, s.refuse(qc, ctrl, protocolError(err, native.CodeUnauthorized))
		}
	}

	sess := s.newSession(qc, ctrl, hello, grant, log)
	if err := s.register(sess); err != nil {
		return nil, s.refuse(qc, ctrl, err)
	}
	if err := s.h.OnHello(sess.info); err != nil {
		s.unregister(sess)
		return nil, s.refuse(qc, ctrl, protocolError(err, native.CodeUnauthorized))
	}
	welcome := &native.Welcome{
		EdgeID: s.o.EdgeID, SessionID: sess.info.ID, ServerTimeNS: s.o.Now().UnixNano(),
		Datagrams: sess.info.Datagrams, MaxFrame: native.MaxFrameSize,
	}
	if err := sess.writeControl(welcome); err != nil {
		sess.fail(native.CodeNone, "writing the welcome: "+err.Error())
	}
	s.stats.add(cHandshakes)
	sess.ctrlReader = r
	return sess, nil
}

// refuse answers a hello with a fatal Error frame and closes the connection; it returns err.
func (s *Server) refuse(qc *quic.Conn, ctrl *quic.Stream, err error) error {
	e := protocolError(err, native.CodeBadFrame)
	goodbye(qc, ctrl, nil, &native.ErrorFrame{Code: e.Code, Reason: e.Reason, Fatal: true}, s.o.WriteTimeout, s.o.CloseLinger)
	return err
}

// protocolError returns err as the *native.Error to send: err itself when it is one, else an
// Error with the code err carries (def when none) and err's text as the reason.
func protocolError(err error, def native.Code) *native.Error {
	if e, ok := err.(*native.Error); ok {
		return e
	}
	return native.WrapError(native.CodeOf(err, def), err)
}

// goodbye sends the fatal Error frame e (none for CodeNone), gives the client up to linger to
// read it (and the alerts up to e.LastSeq) and close first, and closes the connection with
// e.Code. ctrlMu, if not nil, is the lock of the control stream's writes.
func goodbye(qc *quic.Conn, ctrl *quic.Stream, ctrlMu *sync.Mutex, e *native.ErrorFrame, writeTimeout, linger time.Duration) {
	if e.Code != native.CodeNone && qc.Context().Err() == nil {
		if b, err := native.EncodeFrame(e); err == nil {
			if ctrlMu != nil {
				ctrlMu.Lock()
			}
			_ = ctrl.SetWriteDeadline(time.Now().Add(min(writeTimeout, time.Second)))
			_, err = ctrl.Write(b)
			if err == nil {
				_ = ctrl.Close()
			}
			if ctrlMu != nil {
				ctrlMu.Unlock()
			}
			if err == nil {
				t := time.NewTimer(linger)
				select {
				case <-qc.Context().Done():
				case <-t.C:
				}
				t.Stop()
			}
		}
	}
	_ = qc.CloseWithError(quic.ApplicationErrorCode(e.Code), e.Reason)
}

func (s *Server) newSession(qc *quic.Conn, ctrl *quic.Stream, h *native.Hello, grant Grant, log *slog.Logger) *session {
	ctx, cancel := context.WithCancel(context.Background())
	info := SessionInfo{
		ID:          s.nextID.Add(1),
		StationID:   h.StationID,
		StationType: h.StationType,
		SourceUUID:  h.SourceUUID,
		Grant:       grant,
		Remote:      qc.RemoteAddr(),
		Datagrams:   !s.o.DisableDatagrams && qc.ConnectionState().SupportsDatagrams.Remote,
		Connected:   s.o.Now(),
	}
	return &session{
		srv:    s,
		info:   info,
		qc:     qc,
		ctrl:   ctrl,
		log:    log.With("session", info.ID, "station", info.StationID),
		ctx:    ctx,
		cancel: cancel,
		queue:  newAlertQueue(s.o.QueueLen),
		wake:   make(chan struct{}, 1),
	}
}

// run starts the session's goroutines and, once the session fails, closes it and waits for
// them.
func (sess *session) run() {
	sess.log.Info("native session opened", "source_uuid", sess.info.SourceUUID, "datagrams", sess.info.Datagrams)
	stop := context.AfterFunc(sess.qc.Context(), func() {
		sess.fail(native.CodeNone, "connection closed: "+context.Cause(sess.qc.Context()).Error())
	})
	defer stop()
	sess.wg.Add(3)
	go sess.readControl()
	go sess.writeAlerts()
	go sess.acceptTelemetry()
	if sess.info.Datagrams {
		sess.wg.Add(1)
		go sess.readDatagrams()
	}
	<-sess.ctx.Done()
	sess.srv.unregister(sess) // Deliver finds it no more; a reconnecting vehicle may register
	code, reason := sess.why()
	e := &native.ErrorFrame{Code: code, Reason: reason, Fatal: true, LastSeq: sess.lastSeq.Load()}
	goodbye(sess.qc, sess.ctrl, &sess.ctrlMu, e, sess.srv.o.WriteTimeout, sess.srv.o.CloseLinger)
	sess.wg.Wait()
	sess.srv.h.OnClose(sess.info)
	sess.log.Info("native session closed", "code", code.String(), "reason", reason)
}

// fail ends the session with code (CodeNone: a normal end, no Error frame). Only the first call
// counts; it never blocks.
func (sess *session) fail(code native.Code, reason string) {
	sess.failMu.Lock()
	defer sess.failMu.Unlock()
	if sess.ctx.Err() != nil {
		return
	}
	sess.code, sess.reason = code, reason
	if code == native.CodeSlowConsumer {
		sess.count(cEvicted)
		sess.log.Warn("native session evicted", "reason", reason)
	}
	sess.cancel()
}

func (sess *session) why() (native.Code, string) {
	sess.failMu.Lock()
	defer sess.failMu.Unlock()
	return sess.code, sess.reason
}

// drain makes the writer close the session with shutting_down once the queue is empty.
func (sess *session) drain() {
	sess.qmu.Lock()
	sess.draining = true
	sess.qmu.Unlock()
	sess.signal()
}

func (sess *session) signal() {
	select {
	case sess.wake <- struct{}{}:
	default:
	}
}

// writeControl writes f on the control stream within the write timeout.
func (sess *session) writeControl(f native.Frame) error {
	b, err := native.EncodeFrame(f)
	if err != nil {
		return err
	}
	sess.ctrlMu.Lock()
	defer sess.ctrlMu.Unlock()
	_ = sess.ctrl.SetWriteDeadline(time.Now().Add(sess.srv.o.WriteTimeout))
	_, err = sess.ctrl.Write(b)
	return err
}
