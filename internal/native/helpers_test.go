package native

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/michi-v2x/michi/internal/testutil"
	"github.com/michi-v2x/michi/internal/tlsconf"
	"github.com/michi-v2x/michi/pkg/geo"
	"github.com/michi-v2x/michi/pkg/v2x"
	"github.com/michi-v2x/michi/pkg/v2x/native"
	"github.com/quic-go/quic-go"
)

// wait bounds every wait of these tests; it is generous for the race detector on 2 cores.
const wait = 10 * time.Second

// recv receives from ch or fails the test after wait.
func recv[T any](tb testing.TB, ch <-chan T, what string) T {
	tb.Helper()
	t := time.NewTimer(wait)
	defer t.Stop()
	select {
	case v, ok := <-ch:
		if !ok {
			tb.Fatalf("channel closed waiting for %s", what)
		}
		return v
	case <-t.C:
		tb.Fatalf("timed out waiting for %s", what)
	}
	var zero T
	return zero
}

// waitClosed waits until ch is closed, or fails the test after wait.
func waitClosed(tb testing.TB, ch <-chan struct{}, what string) {
	tb.Helper()
	t := time.NewTimer(wait)
	defer t.Stop()
	select {
	case <-ch:
	case <-t.C:
		tb.Fatalf("timed out waiting for %s", what)
	}
}

// The server's certificate, made once; clients pin its fingerprint as vehicles do.
var testTLS = sync.OnceValues(func() (*tls.Config, string) {
	conf, fp, _, err := tlsconf.ServerConfig("", "")
	if err != nil {
		panic(err)
	}
	return conf, fp
})

func clientTLS(tb testing.TB) *tls.Config {
	_, fp := testTLS()
	conf, err := tlsconf.ClientConfig(tlsconf.ClientOptions{PinnedFingerprint: fp})
	if err != nil {
		tb.Fatal(err)
	}
	return conf
}

// startServer runs a server on 127.0.0.1:0 until the test ends.
func startServer(tb testing.TB, o Options, h Handler) *Server {
	tb.Helper()
	o.Addr = "127.0.0.1:0"
	o.TLS, _ = testTLS()
	if o.CloseLinger == 0 {
		o.CloseLinger = 50 * time.Millisecond // the raw clients never close first
	}
	srv, err := New(o, h)
	if err != nil {
		tb.Fatal(err)
	}
	testutil.Start(tb, srv)
	return srv
}

func hello(station uint32) native.Hello {
	return native.Hello{StationID: station, StationType: v2x.StationPassengerCar, SourceUUID: fmt.Sprintf("car_%d", station)}
}

// dial connects a native client for station to srv.
func dial(tb testing.TB, srv *Server, station uint32, d native.Dialer) *native.Conn {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	c, err := d.Dial(ctx, srv.Addr().String(), clientTLS(tb), hello(station))
	if err != nil {
		tb.Fatalf("dial station %d: %v", station, err)
	}
	tb.Cleanup(func() { _ = c.Close() })
	return c
}

var t0 = time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)

func camOf(station uint32, at time.Time) *v2x.CAM {
	return v2x.NewCAM(v2x.CAMSpec{
		SourceUUID: fmt.Sprintf("car_%d", station), StationID: station, StationType: v2x.StationPassengerCar,
		Pos: geo.Point{Lat: 48.85, Lon: 2.35}, SpeedMPS: 10, HeadingDeg: 90, At: at,
	})
}

// hazard returns version ref of the edge's hazard seq.
func hazard(seq uint16, ref time.Time) *v2x.DENM {
	return v2x.NewDENM(v2x.DENMSpec{
		SourceUUID: "michi_edge-1", StationID: 900001, StationType: v2x.StationRoadSideUnit,
		ActionID: v2x.ActionID{OriginatingStationID: 900001, SequenceNumber: seq},
		Cause:    v2x.CauseStationaryVehicle, Pos: geo.Point{Lat: 48.851, Lon: 2.351},
		Detection: t0, Reference: ref, Validity: time.Hour, At: ref,
	})
}

// recorder is a Handler that records what it is given; refuse, when set, decides OnCAM's and
// OnDENM's answer.
type recorder struct {
	hellos chan SessionInfo
	cams   chan *v2x.CAM
	denms  chan *v2x.DENM
	closes chan SessionInfo
	refuse func(v2x.Message) error
	hello  func(SessionInfo) error
}

func newRecorder() *recorder {
	return &recorder{
		hellos: make(chan SessionInfo, 1024), cams: make(chan *v2x.CAM, 1024),
		denms: make(chan *v2x.DENM, 1024), closes: make(chan SessionInfo, 1024),
	}
}

func (r *recorder) OnHello(s SessionInfo) error {
	if r.hello != nil {
		if err := r.hello(s); err != nil {
			return err
		}
	}
	r.hellos <- s
	return nil
}

func (r *recorder) OnCAM(_ SessionInfo, m *v2x.CAM) error {
	if r.refuse != nil {
		if err := r.refuse(m); err != nil {
			return err
		}
	}
	r.cams <- m
	return nil
}

func (r *recorder) OnDENM(_ SessionInfo, m *v2x.DENM) error {
	if r.refuse != nil {
		if err := r.refuse(m); err != nil {
			return err
		}
	}
	r.denms <- m
	return nil
}

func (r *recorder) OnClose(s SessionInfo) { r.closes <- s }

// rawClient speaks the protocol by hand, to misbehave: send garbage, never take its alert
// streams.
type rawClient struct {
	qc   *quic.Conn
	ctrl *quic.Stream
	r    *native.Reader
}

// dialRaw connects and opens the control stream; with h set it sends it and reads the welcome.
func dialRaw(tb testing.TB, srv *Server, h *native.Hello, qconf *quic.Config) *rawClient {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	tc := clientTLS(tb)
	tc.NextProtos = []string{native.ALPN}
	if qconf == nil {
		qconf = &quic.Config{}
	}
	qc, err := quic.DialAddr(ctx, srv.Addr().String(), tc, qconf)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { _ = qc.CloseWithError(0, "") })
	ctrl, err := qc.OpenStreamSync(ctx)
	if err != nil {
		tb.Fatal(err)
	}
	rc := &rawClient{qc: qc, ctrl: ctrl, r: native.NewReader(ctrl)}
	if h != nil {
		rc.write(tb, h)
		f, err := rc.r.ReadFrame()
		if err != nil {
			tb.Fatal(err)
		}
		if _, ok := f.(*native.Welcome); !ok {
			tb.Fatalf("got %+v, want a welcome", f)
		}
	}
	return rc
}

func (rc *rawClient) write(tb testing.TB, f native.Frame) {
	tb.Helper()
	if err := native.WriteFrame(rc.ctrl, f); err != nil {
		tb.Fatal(err)
	}
}

// closeCode waits for the server to close the connection and returns the code it closed with.
func (rc *rawClient) closeCode(tb testing.TB) native.Code {
	tb.Helper()
	waitClosed(tb, rc.qc.Context().Done(), "the server to close the connection")
	ae, ok := errors.AsType[*quic.ApplicationError](context.Cause(rc.qc.Context()))
	if !ok || !ae.Remote {
		tb.Fatalf("connection ended with %v, want the server's application close", context.Cause(rc.qc.Context()))
	}
	return native.Code(ae.ErrorCode)
}

// readError reads control frames until an Error frame and returns it.
func (rc *rawClient) readError(tb testing.TB) *native.ErrorFrame {
	tb.Helper()
	_ = rc.ctrl.SetReadDeadline(time.Now().Add(wait))
	for {
		f, err := rc.r.ReadFrame()
		if err != nil {
			tb.Fatalf("reading for an error frame: %v", err)
		}
		if e, ok := f.(*native.ErrorFrame); ok {
			return e
		}
	}
}
