package native

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/michi-v2x/michi/internal/testutil"
	"github.com/michi-v2x/michi/pkg/v2x"
	"github.com/michi-v2x/michi/pkg/v2x/native"
	"github.com/quic-go/quic-go"
)

func TestCAMViaDatagram(t *testing.T) {
	rec := newRecorder()
	srv := startServer(t, Options{}, rec)
	c := dial(t, srv, 1001, native.Dialer{})
	if !c.Datagrams() {
		t.Fatal("datagrams not in use")
	}
	if err := c.SendCAM(camOf(1001, t0)); err != nil {
		t.Fatal(err)
	}
	if m := recv(t, rec.cams, "OnCAM"); m.StationID() != 1001 || m.Timestamp != t0.UnixMilli() {
		t.Fatalf("cam = %+v", m)
	}
	testutil.WaitFor(t, wait, "the CAM counted as a datagram", func() bool {
		st, ok := srv.SessionStats(1001)
		return ok && st.CAMs == 1 && st.CAMDatagrams == 1
	})

	// A datagram overtaken by a newer CAM is dropped, not handed on.
	if err := c.SendCAM(camOf(1001, t0.Add(-time.Second))); err != nil {
		t.Fatal(err)
	}
	testutil.WaitFor(t, wait, "the stale CAM to be dropped", func() bool { return srv.Stats().DatagramsDropped == 1 })
	if len(rec.cams) != 0 {
		t.Fatal("stale CAM handed to the handler")
	}
}

func TestCAMViaStreamFallback(t *testing.T) {
	for _, tc := range []struct {
		name   string
		server Options
		dialer native.Dialer
	}{
		{"client without datagrams", Options{}, native.Dialer{DisableDatagrams: true}},
		{"server without datagrams", Options{DisableDatagrams: true}, native.Dialer{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rec := newRecorder()
			srv := startServer(t, tc.server, rec)
			c := dial(t, srv, 1001, tc.dialer)
			if c.Datagrams() || c.Welcome().Datagrams {
				t.Fatal("datagrams in use")
			}
			for i := range 3 {
				if err := c.SendCAM(camOf(1001, t0.Add(time.Duration(i)*100*time.Millisecond))); err != nil {
					t.Fatal(err)
				}
				m := recv(t, rec.cams, "OnCAM")
				if m.Timestamp != t0.UnixMilli()+int64(i)*100 {
					t.Fatalf("cam %d: timestamp %d", i, m.Timestamp)
				}
			}
			testutil.WaitFor(t, wait, "three CAMs counted, none as a datagram", func() bool {
				st, _ := srv.SessionStats(1001)
				return st.CAMs == 3 && st.CAMDatagrams == 0
			})
		})
	}
}

func TestDENM(t *testing.T) {
	rec := newRecorder()
	srv := startServer(t, Options{}, rec)
	c := dial(t, srv, 900001, native.Dialer{}) // the hazard fixture's station
	report := hazard(5, t0)
	if err := c.SendDENM(context.Background(), report); err != nil {
		t.Fatal(err)
	}
	if m := recv(t, rec.denms, "OnDENM"); m.ActionID() != report.ActionID() {
		t.Fatalf("denm %+v", m)
	}
}

// The session is bound to the hello's station: another station's messages are refused.
func TestForbiddenStation(t *testing.T) {
	rec := newRecorder()
	srv := startServer(t, Options{}, rec)
	errs := make(chan *native.Error, 8)
	c := dial(t, srv, 1001, native.Dialer{OnError: func(e *native.Error) { errs <- e }})
	if err := c.SendCAM(camOf(2002, t0)); err != nil {
		t.Fatal(err)
	}
	if e := recv(t, errs, "an error frame"); e.Code != native.CodeForbidden {
		t.Fatalf("error %v", e)
	}
	if err := c.SendDENM(context.Background(), hazard(1, t0)); err != nil {
		t.Fatal(err)
	}
	if e := recv(t, errs, "an error frame"); e.Code != native.CodeForbidden {
		t.Fatalf("error %v", e)
	}
	if len(rec.cams)+len(rec.denms) != 0 {
		t.Fatal("a foreign message reached the handler")
	}
}

// A Handler's error reaches the client with its code; repeated refusals close the session.
func TestHandlerErrors(t *testing.T) {
	rec := newRecorder()
	n := 0
	rec.refuse = func(v2x.Message) error {
		n++
		if n == 1 {
			return native.Errorf(native.CodeInvalid, "latitude out of range")
		}
		return errors.New("no good")
	}
	srv := startServer(t, Options{MaxBadFrames: 3}, rec)
	errs := make(chan *native.Error, 8)
	c := dial(t, srv, 1001, native.Dialer{OnError: func(e *native.Error) { errs <- e }})

	send := func(i int) {
		if err := c.SendCAM(camOf(1001, t0.Add(time.Duration(i)*time.Second))); err != nil {
			t.Fatal(err)
		}
	}
	send(0)
	if e := recv(t, errs, "error 1"); e.Code != native.CodeInvalid || e.Reason != "latitude out of range" {
		t.Fatalf("error 1: %v", e)
	}
	send(1)
	if e := recv(t, errs, "error 2"); e.Code != native.CodeBadFrame {
		t.Fatalf("error 2: %v", e)
	}
	send(2) // the third in a row: the session is closed with its code
	waitClosed(t, c.Done(), "the session to close")
	if !errors.Is(c.Err(), native.CodeBadFrame) {
		t.Fatalf("Err = %v", c.Err())
	}
	if st := srv.Stats(); st.BadFrames != 3 {
		t.Fatalf("stats %+v", st)
	}
}

// A bad datagram is refused without closing the session; the control stream stays usable.
func TestBadDatagram(t *testing.T) {
	rec := newRecorder()
	srv := startServer(t, Options{}, rec)
	h := hello(1001)
	rc := dialRaw(t, srv, &h, &quic.Config{EnableDatagrams: true})
	if err := rc.qc.SendDatagram([]byte{0, 0, 0, 1, 0xc1}); err != nil {
		t.Fatal(err)
	}
	if e := rc.readError(t); e.Code != native.CodeBadFrame || e.Fatal {
		t.Fatalf("error frame %+v", e)
	}
	if err := rc.qc.SendDatagram(goldenFrame(t, "ping")); err != nil { // wrong place for a ping
		t.Fatal(err)
	}
	if e := rc.readError(t); e.Code != native.CodeBadFrame || !strings.Contains(e.Reason, "datagram") {
		t.Fatalf("error frame %+v", e)
	}
	cam, err := native.EncodeFrame(&native.CAMFrame{CAM: camOf(1001, t0)})
	if err != nil {
		t.Fatal(err)
	}
	if err := rc.qc.SendDatagram(cam); err != nil {
		t.Fatal(err)
	}
	recv(t, rec.cams, "the good CAM")
	if st := srv.Stats(); st.DatagramsDropped != 2 || st.BadFrames != 2 || st.Sessions != 1 {
		t.Fatalf("stats %+v", st)
	}
}
