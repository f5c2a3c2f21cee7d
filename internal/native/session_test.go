package native

import (
	"context"
	"encoding/hex"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/michi-v2x/michi/internal/testutil"
	"github.com/michi-v2x/michi/pkg/v2x/native"
	"github.com/quic-go/quic-go"
)

// goldenFrame reads a frame of the codec's shared fixture table (pkg/v2x/native/testdata).
func goldenFrame(tb testing.TB, name string) []byte {
	tb.Helper()
	text, err := os.ReadFile(filepath.Join("..", "..", "pkg", "v2x", "native", "testdata", name+".hex"))
	if err != nil {
		tb.Fatal(err)
	}
	b, err := hex.DecodeString(strings.Join(strings.Fields(string(text)), ""))
	if err != nil {
		tb.Fatal(err)
	}
	return b
}

// The golden frames other implementations test against are what the server speaks.
func TestGoldenFrames(t *testing.T) {
	rec := newRecorder()
	srv := startServer(t, Options{}, rec)
	rc := dialRaw(t, srv, nil, nil)
	if _, err := rc.ctrl.Write(goldenFrame(t, "hello")); err != nil {
		t.Fatal(err)
	}
	f, err := rc.r.ReadFrame()
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := f.(*native.Welcome); !ok {
		t.Fatalf("got %+v", f)
	}
	if info := recv(t, rec.hellos, "OnHello"); info.StationID != 1234 || info.SourceUUID != "car_1234" {
		t.Fatalf("info %+v", info)
	}
	for _, name := range []string{"ping", "cam"} {
		if _, err := rc.ctrl.Write(goldenFrame(t, name)); err != nil {
			t.Fatal(err)
		}
	}
	if f, err := rc.r.ReadFrame(); err != nil || f.Type() != native.TypePong {
		t.Fatalf("answer to ping: %v, %v", f, err)
	}
	if m := recv(t, rec.cams, "OnCAM"); m.StationID() != 1234 {
		t.Fatalf("cam %+v", m)
	}
	if _, err := rc.ctrl.Write(goldenFrame(t, "bye")); err != nil {
		t.Fatal(err)
	}
	if code := rc.closeCode(t); code != native.CodeNone {
		t.Fatalf("closed after bye with %v", code)
	}
	recv(t, rec.closes, "OnClose")
}

// Garbage on the control stream is answered with a fatal Error frame and the close.
func TestGarbageOnControlStream(t *testing.T) {
	for _, tc := range []struct {
		name  string
		hello bool // garbage after a successful hello, or instead of it
		bytes []byte
		code  native.Code
	}{
		{"junk payload", true, []byte{0, 0, 0, 3, 0xc1, 0xc1, 0xc1}, native.CodeBadFrame},
		{"huge length", true, []byte("GET / HTTP/1.1\r\n\r\n"), native.CodeTooLarge},
		{"junk instead of hello", false, []byte{0, 0, 0, 2, 0x91, 0x01}, native.CodeBadFrame},
		{"welcome instead of hello", false, goldenFrame(t, "welcome"), native.CodeBadFrame},
		{"alert on the control stream", true, goldenFrame(t, "alert"), native.CodeBadFrame},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := startServer(t, Options{MaxBadFrames: 1}, nil)
			var rc *rawClient
			if tc.hello {
				h := hello(1001)
				rc = dialRaw(t, srv, &h, nil)
			} else {
				rc = dialRaw(t, srv, nil, nil)
			}
			if _, err := rc.ctrl.Write(tc.bytes); err != nil {
				t.Fatal(err)
			}
			e := rc.readError(t)
			if e.Code != tc.code || !e.Fatal {
				t.Fatalf("error frame %+v, want fatal %v", e, tc.code)
			}
			if code := rc.closeCode(t); code != tc.code {
				t.Fatalf("closed with %v", code)
			}
			testutil.WaitFor(t, wait, "the session to go", func() bool { return srv.Sessions() == 0 })
		})
	}
}

func TestUnauthorized(t *testing.T) {
	rec := newRecorder()
	rec.hello = func(s SessionInfo) error {
		if s.StationID == 666 {
			return native.Errorf(native.CodeForbidden, "station 666 is banned")
		}
		return nil
	}
	srv := startServer(t, Options{Authenticate: func(h native.Hello) (Grant, error) {
		if h.Token != "letmein" {
			return Grant{}, errors.New("bad token")
		}
		return Grant{Role: "member", Credential: h.SourceUUID}, nil
	}}, rec)
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	addr := srv.Addr().String()

	h := hello(1001)
	h.Token = "guess"
	_, err := native.Dial(ctx, addr, clientTLS(t), h)
	if e, ok := errors.AsType[*native.Error](err); !ok || e.Code != native.CodeUnauthorized || !e.Remote {
		t.Fatalf("bad token: %v", err)
	}
	h = hello(666)
	h.Token = "letmein"
	_, err = native.Dial(ctx, addr, clientTLS(t), h)
	if e, ok := errors.AsType[*native.Error](err); !ok || e.Code != native.CodeForbidden || e.Reason != "station 666 is banned" {
		t.Fatalf("OnHello refusal: %v", err)
	}
	h = hello(1001)
	h.Token = "letmein"
	c, err := native.Dial(ctx, addr, clientTLS(t), h)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	// The server counts a handshake once its welcome is written: the client may read it first.
	testutil.WaitFor(t, wait, "the handshake to be counted", func() bool { return srv.Stats().Handshakes == 1 })
	if st := srv.Stats(); st.Refused != 2 {
		t.Fatalf("stats %+v", st)
	}
	if len(rec.closes) != 0 {
		t.Fatal("OnClose for a refused hello")
	}
	h = native.Hello{StationID: 7}
	if _, err := native.Dial(ctx, addr, clientTLS(t), h); !errors.Is(err, native.CodeBadFrame) {
		t.Fatalf("hello without source_uuid: %v", err)
	}
}

func TestBusyAndReplaced(t *testing.T) {
	rec := newRecorder()
	srv := startServer(t, Options{MaxSessions: 1}, rec)
	first := dial(t, srv, 1001, native.Dialer{})
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	if _, err := native.Dial(ctx, srv.Addr().String(), clientTLS(t), hello(1002)); !errors.Is(err, native.CodeBusy) {
		t.Fatalf("second station: %v", err)
	}
	// The same station again (a vehicle reconnecting before its old connection timed out).
	second := dial(t, srv, 1001, native.Dialer{})
	waitClosed(t, first.Done(), "the old session to close")
	if !errors.Is(first.Err(), native.CodeReplaced) {
		t.Fatalf("old session: %v", first.Err())
	}
	old := recv(t, rec.closes, "OnClose of the old session")
	if old.ID != first.Welcome().SessionID || srv.Sessions() != 1 {
		t.Fatalf("closed %+v, %d sessions", old, srv.Sessions())
	}
	if !srv.Deliver(1001, native.NewAlert(hazard(1, t0))) {
		t.Fatal("Deliver to the new session")
	}
	recv(t, second.Alerts(), "the alert on the new session")
}

// Item 1 of issue 14: a hello for a station whose live session belongs to another credential is
// refused with forbidden, and that session goes on; the same credential takes its session over.
func TestTakeoverOnlyBySameCredential(t *testing.T) {
	srv := startServer(t, Options{Authenticate: func(h native.Hello) (Grant, error) {
		return Grant{Role: "vehicle", Credential: h.SourceUUID}, nil
	}}, newRecorder())
	owner := dial(t, srv, 1001, native.Dialer{})
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	thief := hello(1001)
	thief.SourceUUID = "car_1002"
	_, err := native.Dial(ctx, srv.Addr().String(), clientTLS(t), thief)
	if e, ok := errors.AsType[*native.Error](err); !ok || e.Code != native.CodeForbidden {
		t.Fatalf("hello of another credential: %v", err)
	}
	if !srv.Deliver(1001, native.NewAlert(hazard(1, t0))) {
		t.Fatal("Deliver to the owner")
	}
	recv(t, owner.Alerts(), "the alert on the owner's session")
	select {
	case <-owner.Done():
		t.Fatalf("the owner's session ended: %v", owner.Err())
	default:
	}
	testutil.WaitFor(t, wait, "the refusal counted", func() bool { return srv.Stats().Refused == 1 }) // counted once the refused connection is gone
	if st := srv.Stats(); st.Replaced != 0 || st.Refused != 1 {
		t.Fatalf("stats %+v", st)
	}
	again := dial(t, srv, 1001, native.Dialer{}) // the owner reconnecting
	waitClosed(t, owner.Done(), "the old session to close")
	if !errors.Is(owner.Err(), native.CodeReplaced) {
		t.Fatalf("old session: %v", owner.Err())
	}
	if !srv.Deliver(1001, native.NewAlert(hazard(2, t0))) {
		t.Fatal("Deliver to the new session")
	}
	recv(t, again.Alerts(), "the alert on the new session")
}

func TestHandshakeTimeout(t *testing.T) {
	srv := startServer(t, Options{HandshakeTimeout: 100 * time.Millisecond}, nil)
	// A connection that never opens its control stream.
	tc := clientTLS(t)
	tc.NextProtos = []string{native.ALPN}
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	qc, err := quic.DialAddr(ctx, srv.Addr().String(), tc, nil)
	if err != nil {
		t.Fatal(err)
	}
	rc := &rawClient{qc: qc}
	if code := rc.closeCode(t); code != native.CodeTimeout {
		t.Fatalf("no control stream: closed with %v", code)
	}
	// One that starts the hello and stops.
	rc = dialRaw(t, srv, nil, nil)
	if _, err := rc.ctrl.Write([]byte{0, 0}); err != nil {
		t.Fatal(err)
	}
	if e := rc.readError(t); e.Code != native.CodeTimeout {
		t.Fatalf("error frame %+v", e)
	}
	testutil.WaitFor(t, wait, "two refusals", func() bool { return srv.Stats().Refused == 2 })
}

// A client offering another ALPN does not get a connection at all.
func TestWrongALPN(t *testing.T) {
	srv := startServer(t, Options{}, nil)
	tc := clientTLS(t)
	tc.NextProtos = []string{"mqtt"}
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	if _, err := quic.DialAddr(ctx, srv.Addr().String(), tc, nil); err == nil {
		t.Fatal("handshake with ALPN mqtt succeeded")
	}
}
