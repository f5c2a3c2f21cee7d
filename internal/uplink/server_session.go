package uplink

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"sync"
	"time"

	"github.com/quic-go/quic-go"
)

// serverLinger bounds how long a gracefully ending session waits, after its FIN, for the edge
// to close the connection, so that the last Ack is not cut off by CONNECTION_CLOSE.
const serverLinger = 2 * time.Second

// session is one edge connection after Hello. Its reader goroutine (run) reads frames and
// stores batches; its writer goroutine writes Welcome, Acks and authority hazards, so a reader
// busy in Sink.Store never waits for the network and an edge that does not read cannot stall
// the reader for longer than WriteTimeout.
type session struct {
	s      *Server
	qc     *quic.Conn
	str    *quic.Stream
	edgeID string
	log    *slog.Logger

	mu       sync.Mutex // guards welcome, ackHW, ackDirty
	welcome  bool       // Welcome not yet written
	ackHW    uint64     // the mark to report: the Welcome's, then the latest Store's
	ackDirty bool

	wakeC  chan struct{} // capacity 1: the writer has something to write
	finish chan struct{} // closed when the reader ended gracefully: flush, then stop

	dmu      sync.Mutex // orders read deadlines against drain
	draining bool
}

func newSession(s *Server, qc *quic.Conn, str *quic.Stream, edgeID string, log *slog.Logger, hw uint64) *session {
	return &session{
		s: s, qc: qc, str: str, edgeID: edgeID, log: log,
		welcome: true, ackHW: hw,
		wakeC:  make(chan struct{}, 1),
		finish: make(chan struct{}),
	}
}

func (ss *session) wake() {
	select {
	case ss.wakeC <- struct{}{}:
	default:
	}
}

// close ends the session from outside (a newer connection replaced it).
func (ss *session) close(pe *ProtocolError) {
	_ = ss.qc.CloseWithError(pe.Code, pe.Reason)
}

// live reports whether the edge at the other end still answers: the session writes it an Ack
// (which its QUIC stack acknowledges at once) and waits up to d for any packet from it.
func (ss *session) live(d time.Duration) bool {
	if ss.qc.Context().Err() != nil {
		return false
	}
	before := ss.qc.ConnectionStats().PacketsReceived
	ss.mu.Lock()
	ss.ackDirty = true
	ss.mu.Unlock()
	ss.wake()
	deadline := time.NewTimer(d)
	defer deadline.Stop()
	tick := time.NewTicker(5 * time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case <-ss.qc.Context().Done():
			return false
		case <-deadline.C:
			return false
		case <-tick.C:
			if ss.qc.ConnectionStats().PacketsReceived > before {
				return true
			}
		}
	}
}

// drain stops the reader after the frame it is handling; run then flushes the Ack and ends
// the session with CodeGoingAway.
func (ss *session) drain() {
	ss.dmu.Lock()
	defer ss.dmu.Unlock()
	ss.draining = true
	_ = ss.str.SetReadDeadline(time.Unix(1, 0))
}

func (ss *session) isDraining() bool {
	ss.dmu.Lock()
	defer ss.dmu.Unlock()
	return ss.draining
}

// frameDeadline bounds the rest of a frame once its first byte has arrived.
func (ss *session) frameDeadline(start bool) {
	ss.dmu.Lock()
	defer ss.dmu.Unlock()
	if ss.draining {
		return
	}
	if start {
		_ = ss.str.SetReadDeadline(time.Now().Add(ss.s.o.FrameTimeout))
	} else {
		_ = ss.str.SetReadDeadline(time.Time{})
	}
}

// run serves the session until it ends and returns why (nil: the edge finished its side).
func (ss *session) run(hard context.Context) error {
	writerDone := make(chan error, 1)
	go func() { writerDone <- ss.writeLoop() }()
	ss.wake() // the Welcome

	err := ss.readLoop(hard)
	if err == nil { // the edge finished, or the hub drains: flush the last Ack, then FIN
		close(ss.finish)
		if werr := <-writerDone; werr == nil {
			_ = ss.str.Close()
			t := time.NewTimer(serverLinger)
			select {
			case <-ss.qc.Context().Done():
			case <-hard.Done():
			case <-t.C:
			}
			t.Stop()
		}
		if ss.isDraining() {
			err = protoErr(CodeGoingAway, "hub shutting down")
		}
		code := CodeNoError
		if err != nil {
			code = CodeGoingAway
		}
		_ = ss.qc.CloseWithError(code, "")
		return err
	}
	if pe := asProtocolError(err); pe != nil && !pe.Remote {
		_ = ss.qc.CloseWithError(pe.Code, pe.Reason)
	} else {
		_ = ss.qc.CloseWithError(CodeNoError, "")
	}
	<-writerDone
	return err
}

func (ss *session) readLoop(hard context.Context) error {
	fr := &frameReader{r: ss.str, max: ss.s.o.MaxFrameBytes, body: ss.frameDeadline}
	for {
		t, body, err := fr.next()
		if err != nil {
			if err == io.EOF {
				return nil
			}
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() && ss.isDraining() {
				return nil
			}
			return readError(err, "read")
		}
		switch t {
		case frameBatch:
			if err := ss.handleBatch(hard, body); err != nil {
				return err
			}
		case frameAuthorityAck:
			var a authorityAckFrame
			if err := decodeBody(t, body, &a); err != nil {
				return protoErr(CodeProtocol, "%v", err)
			}
			ss.s.ackAuthority(ss.edgeID, a.Tag)
		default:
			return protoErr(CodeProtocol, "unexpected %s frame from an edge", t)
		}
	}
}

// handleBatch validates a batch, stores it and queues the Ack.
func (ss *session) handleBatch(hard context.Context, body []byte) error {
	var b batchFrame
	if err := decodeBody(frameBatch, body, &b); err != nil {
		return protoErr(CodeProtocol, "%v", err)
	}
	if len(b.Records) > ss.s.o.MaxBatchRecords {
		return protoErr(CodeBadRecord, "batch of %d records, limit %d", len(b.Records), ss.s.o.MaxBatchRecords)
	}
	recs := make([]Record, len(b.Records))
	var last uint64
	for i, raw := range b.Records {
		r := &recs[i]
		if err := decodeRecord(raw, r); err != nil {
			return protoErr(CodeBadRecord, "record %d: %v", i, err)
		}
		if err := r.Validate(); err != nil {
			return protoErr(CodeBadRecord, "record seq %d: %v", r.Seq, err)
		}
		if r.Seq == 0 || r.Seq <= last {
			return protoErr(CodeBadRecord, "record seq %d after %d: seqs must be positive and ascending", r.Seq, last)
		}
		switch r.EdgeID {
		case "":
			r.EdgeID = ss.edgeID
		case ss.edgeID:
		default:
			return protoErr(CodeBadRecord, "record seq %d names edge %q, the certificate %q", r.Seq, r.EdgeID, ss.edgeID)
		}
		last = r.Seq
	}
	if len(recs) > 0 {
		ctx, cancel := context.WithTimeout(hard, ss.s.o.StoreTimeout)
		hw, err := ss.s.o.Sink.Store(ctx, ss.edgeID, recs)
		cancel()
		if err != nil {
			ss.log.Error("store failed", "err", err.Error(), "records", len(recs))
			return protoErr(CodeStorage, "store: %v", err)
		}
		ss.s.stats.batches.Add(1)
		ss.s.stats.records.Add(uint64(len(recs)))
		ss.mu.Lock()
		ss.ackHW = hw
		ss.mu.Unlock()
	}
	ss.mu.Lock()
	ss.ackDirty = true
	ss.mu.Unlock()
	ss.wake()
	return nil
}

// writeLoop writes what the session owes the edge until the reader finishes (then it flushes
// and returns nil) or a write fails (then it closes the connection and returns the error).
func (ss *session) writeLoop() error {
	enc := newFrameEncoder()
	for {
		finishing := false
		select {
		case <-ss.finish:
			finishing = true
		default:
		}
		n, err := ss.flush(enc)
		if err != nil {
			if pe := asProtocolError(err); pe == nil && ss.qc.Context().Err() == nil {
				ss.log.Warn("write to edge failed", "err", err.Error())
				_ = ss.qc.CloseWithError(CodeTimeout, "edge does not read")
			}
			return err
		}
		if n > 0 {
			continue
		}
		if finishing {
			return nil
		}
		select {
		case <-ss.wakeC:
		case <-ss.finish:
		case <-ss.qc.Context().Done():
			return context.Cause(ss.qc.Context())
		}
	}
}

// flush writes the Welcome (always the first frame; it carries the mark, so no Ack goes with
// it), else a pending Ack, then new authority hazards. It returns how many frames it wrote.
func (ss *session) flush(enc *frameEncoder) (int, error) {
	ss.mu.Lock()
	welcome, ack, hw := ss.welcome, ss.ackDirty, ss.ackHW
	ss.welcome, ss.ackDirty = false, false
	ss.mu.Unlock()

	n := 0
	write := func(t frameType, v any) error {
		b, err := enc.encode(t, v)
		if err != nil {
			return err
		}
		_ = ss.str.SetWriteDeadline(time.Now().Add(ss.s.o.WriteTimeout))
		if _, err := ss.str.Write(b); err != nil {
			return err
		}
		n++
		return nil
	}
	if welcome {
		if err := write(frameWelcome, &welcomeFrame{EdgeID: ss.edgeID, HighWater: hw}); err != nil {
			return n, err
		}
	} else if ack {
		if err := write(frameAck, &ackFrame{HighWater: hw}); err != nil {
			return n, err
		}
	}
	for _, a := range ss.s.takeAuthority(ss) { // after the Welcome, which this call wrote if due
		if err := write(frameAuthority, &a); err != nil {
			return n, err
		}
	}
	return n, nil
}
