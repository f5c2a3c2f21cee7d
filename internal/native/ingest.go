package native

import (
	"errors"
	"fmt"
	"io"

	"github.com/michi-v2x/michi/pkg/v2x/native"
	"github.com/quic-go/quic-go"
)

// path says where a frame arrived.
type path uint8

const (
	viaControl path = iota
	viaDatagram
	viaStream
)

// readControl handles the control stream after the hello: pings, bye, DENMs and CAMs. A frame
// that cannot be decoded closes the session: the control stream is the session's backbone.
func (sess *session) readControl() {
	defer sess.wg.Done()
	for {
		f, err := sess.ctrlReader.ReadFrame()
		if err != nil {
			sess.streamFailed("control stream", err)
			return
		}
		switch f := f.(type) {
		case *native.Ping:
			if err := sess.writeControl(&native.Pong{TNS: f.TNS, ServerTimeNS: sess.srv.o.Now().UnixNano()}); err != nil {
				sess.fail(native.CodeNone, "writing a pong: "+err.Error())
				return
			}
		case *native.Bye:
			sess.fail(native.CodeNone, "bye: "+f.Reason)
			return
		case *native.CAMFrame, *native.DENMFrame:
			sess.ingest(f, viaControl)
		default:
			sess.refuseFrame(native.Errorf(native.CodeBadFrame, "a "+f.Type().String()+" frame is not allowed on the control stream"))
		}
	}
}

// streamFailed ends the session after a read error on one of its streams: a protocol error is
// answered with its code, the end of the connection or of the control stream is a normal end.
func (sess *session) streamFailed(what string, err error) {
	if sess.ctx.Err() != nil || sess.qc.Context().Err() != nil {
		return
	}
	if e, ok := errors.AsType[*native.Error](err); ok {
		sess.count(cBadFrames)
		sess.fail(e.Code, what+": "+e.Reason)
		return
	}
	if errors.Is(err, io.EOF) {
		sess.fail(native.CodeNone, what+" ended by the client")
		return
	}
	sess.fail(native.CodeNone, what+": "+err.Error())
}

// readDatagrams handles CAMs (and DENMs) sent as QUIC datagrams, one frame each. A datagram that
// cannot be decoded is dropped and refused, but does not close the session by itself.
func (sess *session) readDatagrams() {
	defer sess.wg.Done()
	for {
		b, err := sess.qc.ReceiveDatagram(sess.ctx)
		if err != nil {
			return
		}
		f, err := native.DecodeFrame(b)
		if err != nil {
			sess.count(cDatagramsDropped)
			sess.refuseFrame(fmt.Errorf("datagram: %w", err))
			continue
		}
		switch f.(type) {
		case *native.CAMFrame, *native.DENMFrame:
			sess.ingest(f, viaDatagram)
		default:
			sess.count(cDatagramsDropped)
			sess.refuseFrame(native.Errorf(native.CodeBadFrame, "a "+f.Type().String()+" frame is not allowed in a datagram"))
		}
	}
}

// acceptTelemetry accepts the client's unidirectional streams, on which it sends CAMs when
// datagrams are off or a CAM is too large for one.
func (sess *session) acceptTelemetry() {
	defer sess.wg.Done()
	for {
		str, err := sess.qc.AcceptUniStream(sess.ctx)
		if err != nil {
			return
		}
		sess.wg.Add(1) // the counter is ≥ 1 (this goroutine)
		go sess.readTelemetry(str)
	}
}

func (sess *session) readTelemetry(str *quic.ReceiveStream) {
	defer sess.wg.Done()
	r := native.NewReader(str)
	for {
		f, err := r.ReadFrame()
		if err != nil {
			if errors.Is(err, io.EOF) {
				return // the client finished this stream; the session goes on
			}
			sess.streamFailed("telemetry stream", err)
			return
		}
		switch f.(type) {
		case *native.CAMFrame, *native.DENMFrame:
			sess.ingest(f, viaStream)
		default:
			sess.refuseFrame(native.Errorf(native.CodeBadFrame, "a "+f.Type().String()+" frame is not allowed on a telemetry stream"))
		}
	}
}

// ingest checks a CAM or DENM against the session's identity and hands it to the Handler.
func (sess *session) ingest(f native.Frame, via path) {
	sess.ingestMu.Lock()
	defer sess.ingestMu.Unlock()
	h, info := sess.srv.h, sess.info
	var err error
	switch f := f.(type) {
	case *native.CAMFrame:
		m := f.CAM
		if m.StationID() != info.StationID {
			err = native.Errorf(native.CodeForbidden, fmt.Sprintf("cam of station %d on the session of station %d", m.StationID(), info.StationID))
			break
		}
		if m.Timestamp < sess.lastCAM { // reordered: a newer state was handled already
			if via == viaDatagram {
				sess.count(cDatagramsDropped)
			}
			return
		}
		if err = h.OnCAM(info, m); err == nil {
			sess.lastCAM = m.Timestamp
			sess.count(cCAMs)
			if via == viaDatagram {
				sess.count(cCAMDatagrams)
			}
		}
	case *native.DENMFrame:
		m := f.DENM
		if m.StationID() != info.StationID {
			err = native.Errorf(native.CodeForbidden, fmt.Sprintf("denm of station %d on the session of station %d", m.StationID(), info.StationID))
			break
		}
		if err = h.OnDENM(info, m); err == nil {
			sess.count(cDENMs)
		}
	}
	if err != nil {
		sess.refuseFrameLocked(err)
		return
	}
	sess.badRun = 0
}

// refuseFrame answers a dropped frame with a non-fatal Error frame, and closes the session after
// MaxBadFrames refusals in a row.
func (sess *session) refuseFrame(err error) {
	sess.ingestMu.Lock()
	defer sess.ingestMu.Unlock()
	sess.refuseFrameLocked(err)
}

func (sess *session) refuseFrameLocked(err error) {
	e := protocolError(err, native.CodeBadFrame)
	code, reason := e.Code, e.Reason
	sess.count(cBadFrames)
	sess.badRun++
	if sess.badRun >= sess.srv.o.MaxBadFrames {
		sess.fail(code, fmt.Sprintf("%d frames refused in a row, the last: %s", sess.badRun, reason))
		return
	}
	if err := sess.writeControl(&native.ErrorFrame{Code: code, Reason: reason}); err != nil {
		sess.fail(native.CodeNone, "writing an error frame: "+err.Error())
	}
}
