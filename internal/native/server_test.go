package native

import (
	"context"
	"errors"
	"net"
	"testing"
	"time"

	"github.com/michi-v2x/michi/internal/testutil"
	"github.com/michi-v2x/michi/pkg/v2x/native"
	"github.com/quic-go/quic-go"
)

func TestHandshake(t *testing.T) {
	rec := newRecorder()
	srv := startServer(t, Options{EdgeID: "edge-7"}, rec)
	c := dial(t, srv, 1001, native.Dialer{})

	w := c.Welcome()
	if w.EdgeID != "edge-7" || w.SessionID == 0 || !w.Datagrams || w.MaxFrame != native.MaxFrameSize {
		t.Fatalf("welcome = %+v", w)
	}
	info := recv(t, rec.hellos, "OnHello")
	if info.StationID != 1001 || info.SourceUUID != "car_1001" || info.ID != w.SessionID || !info.Datagrams || info.Remote == nil {
		t.Fatalf("session info = %+v", info)
	}
	if srv.Sessions() != 1 {
		t.Fatalf("Sessions = %d", srv.Sessions())
	}
	// Same clock on both ends: the offset is within the round trip.
	testutil.WaitFor(t, wait, "a ping round trip", func() bool { return c.RTT() > 0 })
	if off := c.ClockOffset(); off.Abs() > c.RTT()+time.Millisecond {
		t.Fatalf("clock offset %v with rtt %v on one machine", off, c.RTT())
	}

	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	if got := recv(t, rec.closes, "OnClose"); got.ID != info.ID {
		t.Fatalf("OnClose for %+v", got)
	}
	testutil.WaitFor(t, wait, "the session to go", func() bool { return srv.Sessions() == 0 })
	if st := srv.Stats(); st.Handshakes != 1 || st.Refused != 0 {
		t.Fatalf("stats %+v", st)
	}
}

func TestShutdownDrains(t *testing.T) {
	rec := newRecorder()
	o := Options{Addr: "127.0.0.1:0"}
	o.TLS, _ = testTLS()
	srv, err := New(o, rec)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.Run(ctx) }()
	<-srv.Ready()
	if err := srv.Run(ctx); !errors.Is(err, ErrRunning) {
		t.Fatalf("second Run: %v", err)
	}

	const clients, alerts = 3, 20
	conns := make([]*native.Conn, clients)
	for i := range conns {
		conns[i] = dial(t, srv, uint32(1001+i), native.Dialer{})
	}
	for seq := range alerts {
		a := native.NewAlert(hazard(uint16(seq), t0))
		for i := range conns {
			if !srv.Deliver(uint32(1001+i), a) {
				t.Fatalf("Deliver to %d refused", 1001+i)
			}
		}
	}
	cancel() // at once: the queues drain before the sessions close
	for i, c := range conns {
		got := 0
		for range c.Alerts() {
			got++
		}
		if got != alerts {
			t.Errorf("client %d got %d alerts of %d", i, got, alerts)
		}
		if !errors.Is(c.Err(), native.CodeShuttingDown) {
			t.Errorf("client %d: Err = %v", i, c.Err())
		}
	}
	if err := recv(t, done, "Run to return"); err != nil {
		t.Fatal(err)
	}
	if len(rec.closes) != clients || srv.Sessions() != 0 {
		t.Fatalf("%d OnClose, %d sessions left", len(rec.closes), srv.Sessions())
	}
	if srv.Deliver(1001, native.NewAlert(hazard(1, t0))) {
		t.Fatal("Deliver after shutdown")
	}
}

// A vehicle changing networks keeps its session: quic-go's server follows the client to its new
// address; CAM datagrams and alert streams go on.
func TestClientMigration(t *testing.T) {
	pc, err := net.ListenPacket("udp", "127.0.0.1:0") // the new network
	if err != nil {
		t.Fatal(err)
	}
	tr := &quic.Transport{Conn: pc}
	t.Cleanup(func() { tr.Close(); pc.Close() }) // after the connection's cleanup

	rec := newRecorder()
	srv := startServer(t, Options{}, rec)
	c := dial(t, srv, 1001, native.Dialer{})
	path, err := c.QUIC().AddPath(tr)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	if err := path.Probe(ctx); err != nil {
		t.Fatalf("probe: %v", err)
	}
	if err := path.Switch(); err != nil {
		t.Fatalf("switch: %v", err)
	}
	if err := c.SendCAM(camOf(1001, t0)); err != nil {
		t.Fatal(err)
	}
	recv(t, rec.cams, "a CAM from the new address")
	srv.Deliver(1001, native.NewAlert(hazard(1, t0)))
	recv(t, c.Alerts(), "an alert at the new address")
	if srv.Sessions() != 1 || c.Err() != nil {
		t.Fatalf("%d sessions, client error %v", srv.Sessions(), c.Err())
	}
}
