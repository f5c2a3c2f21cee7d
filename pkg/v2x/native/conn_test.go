package native

import (
	"context"
	"errors"
	"net"
	"testing"
	"time"

	"github.com/quic-go/quic-go"

	"github.com/michi-v2x/michi/internal/testutil"
)

const wait = 5 * time.Second

func TestDialHandshakeAndClockOffset(t *testing.T) {
	s := newFakeServer(t, fakeOpts{datagrams: true, skew: 5 * time.Second})
	c, ss := dialFake(t, s, Dialer{})
	if ss.hello.StationID != 1234 || ss.hello.SourceUUID != "car_1234" || ss.hello.ClientTimeNS == 0 {
		t.Fatalf("hello = %+v", ss.hello)
	}
	if w := c.Welcome(); w.EdgeID != "fake" || !w.Datagrams || !c.Datagrams() {
		t.Fatalf("welcome = %+v, datagrams %v", w, c.Datagrams())
	}
	if !c.QUIC().ConnectionState().SupportsDatagrams.Remote {
		t.Fatal("datagrams not negotiated")
	}
	// The three early pings measure the offset to within the round trip.
	testutil.WaitFor(t, wait, "a ping round trip", func() bool { return c.RTT() > 0 && c.RTT() < 50*time.Millisecond })
	if off := c.ClockOffset(); (off - s.skew).Abs() > c.RTT() {
		t.Fatalf("clock offset %v, want 5s ± %v", off, c.RTT())
	}
}

func TestDialRefused(t *testing.T) {
	s := newFakeServer(t, fakeOpts{datagrams: true, answer: func(h *Hello) *ErrorFrame {
		return &ErrorFrame{Code: CodeUnauthorized, Reason: "bad token " + h.Token, Fatal: true}
	}})
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	_, err := Dial(ctx, s.addr, clientTLS(), Hello{StationID: 1, SourceUUID: "x", Token: "t0"})
	e, ok := errors.AsType[*Error](err)
	if !ok || e.Code != CodeUnauthorized || !e.Remote || !errors.Is(err, CodeUnauthorized) {
		t.Fatalf("err = %v", err)
	}
}

func TestDialErrors(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	if _, err := Dial(ctx, "127.0.0.1:1", nil, Hello{}); !errors.Is(err, ErrHandshake) {
		t.Errorf("nil TLS: %v", err)
	}
	// Nobody listens: the handshake times out with ctx.
	if _, err := Dial(ctx, "127.0.0.1:9", clientTLS(), Hello{SourceUUID: "x"}); !errors.Is(err, ErrHandshake) {
		t.Errorf("no server: %v", err)
	}
}

// Connections dialed on a shared transport use its one socket; closing one leaves the
// transport, and the other connections on it, to the caller.
func TestDialSharedTransport(t *testing.T) {
	s := newFakeServer(t, fakeOpts{datagrams: true})
	pc, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	tr := &quic.Transport{Conn: pc}
	t.Cleanup(func() {
		_ = tr.Close()
		_ = pc.Close()
	})
	a, _ := dialFake(t, s, Dialer{Transport: tr})
	b, sb := dialFake(t, s, Dialer{Transport: tr})
	if a.QUIC().LocalAddr().String() != pc.LocalAddr().String() || b.QUIC().LocalAddr().String() != pc.LocalAddr().String() {
		t.Fatalf("local addresses %v and %v, want the shared socket's %v", a.QUIC().LocalAddr(), b.QUIC().LocalAddr(), pc.LocalAddr())
	}
	if err := a.Close(); err != nil {
		t.Fatal(err)
	}
	if err := b.SendDENM(context.Background(), fixtureReport()); err != nil {
		t.Fatal("SendDENM after the other connection closed:", err)
	}
	if f := testutil.Within(t, wait, "the DENM", sb.frames); f.Type() != TypeDENM {
		t.Fatalf("got a %s frame, want the DENM", f.Type())
	}
}

func TestClose(t *testing.T) {
	s := newFakeServer(t, fakeOpts{datagrams: true})
	c, ss := dialFake(t, s, Dialer{})
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	if err := c.Close(); err != nil {
		t.Fatal("second Close:", err)
	}
	if !errors.Is(c.Err(), ErrClosed) {
		t.Fatalf("Err = %v", c.Err())
	}
	if err := c.SendCAM(fixtureCAM()); !errors.Is(err, ErrClosed) {
		t.Fatalf("SendCAM: %v", err)
	}
	if err := c.SendDENM(context.Background(), fixtureReport()); !errors.Is(err, ErrClosed) {
		t.Fatalf("SendDENM: %v", err)
	}
	// The server saw a Bye, or at least the end of the connection.
	for f := range ss.frames {
		if _, ok := f.(*Bye); ok {
			return
		}
	}
	// No Bye read (the stream ended first): the connection's close reaches the server.
	select {
	case <-ss.qc.Context().Done():
	case <-time.After(5 * time.Second):
		t.Fatal("the server's connection is still open")
	}
}
