package quicconn

import (
	"context"
	"crypto/tls"
	"errors"
	"io"
	"net"
	"testing"
	"time"

	"github.com/quic-go/quic-go"

	"github.com/michi-v2x/michi/internal/testutil"
)

func TestListenerCloseEndsAcceptAndConnections(t *testing.T) {
	l := newListener(t, ListenConfig{Linger: time.Hour})
	connect := func() (client, server net.Conn) {
		c := dial(t, l)
		if _, err := c.Write([]byte{1}); err != nil {
			t.Fatal(err)
		}
		s := accept(t, l)
		if _, err := io.ReadFull(s, make([]byte, 1)); err != nil {
			t.Fatal(err)
		}
		return c, s
	}
	open, _ := connect()
	leaving, leavingServer := connect()
	silent := dial(t, l) // accepted by QUIC, still waiting for its stream
	testutil.CheckFor(t, 5*time.Second, func() error {
		l.mu.Lock()
		defer l.mu.Unlock()
		if len(l.conns) != 3 {
			return errors.New("third connection not yet accepted from quic-go")
		}
		return nil
	})

	acceptErr := make(chan error, 1)
	go func() {
		_, err := l.Accept()
		acceptErr <- err
	}()

	// One server-side Conn says goodbye and closes before the listener closes: its peer must get
	// the goodbye, which keeps listener's Close waiting (the linger is an hour) until it has.
	if _, err := leavingServer.Write([]byte("bye")); err != nil {
		t.Fatal(err)
	}
	leavingServer.Close()
	closed := make(chan error, 1)
	go func() { closed <- l.Close() }()
	got, err := io.ReadAll(leaving)
	if err != nil || string(got) != "bye" {
		t.Fatalf("closing connection during listener Close: read %q, %v", got, err)
	}
	leaving.Close()
	if err := within(t, 10*time.Second, "listener Close", closed); err != nil {
		t.Fatal(err)
	}

	if err := within(t, 5*time.Second, "Accept after Close", acceptErr); !errors.Is(err, net.ErrClosed) {
		t.Fatalf("Accept after Close: %v, want net.ErrClosed", err)
	}
	if _, err := l.Accept(); !errors.Is(err, net.ErrClosed) {
		t.Fatalf("second Accept after Close: %v", err)
	}
	if err := l.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	// The others were closed at once with CodeNoError; the open one's Read reports the cut.
	for name, c := range map[string]net.Conn{"open": open, "waiting for its stream": silent} {
		qc := c.(*Conn).QUIC()
		within(t, 5*time.Second, name+" connection closed", qc.Context().Done())
		appErr, ok := errors.AsType[*quic.ApplicationError](context.Cause(qc.Context()))
		if !ok || !appErr.Remote || appErr.ErrorCode != CodeNoError {
			t.Errorf("%s: closed with %v, want remote application error 0", name, context.Cause(qc.Context()))
		}
	}
	if _, err := open.Read(make([]byte, 1)); !errors.Is(err, ErrPeerClosed) {
		t.Errorf("open connection's Read: %v, want ErrPeerClosed", err)
	}
	// ListenAddr's socket is released: the port can be bound again.
	pc, err := net.ListenPacket("udp", l.Addr().String())
	if err != nil {
		t.Fatalf("port still in use after Close: %v", err)
	}
	pc.Close()
}

func TestListenLeavesPacketConnOpen(t *testing.T) {
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer pc.Close()
	server, _ := testTLS(t)
	l, err := Listen(pc, server, nil)
	if err != nil {
		t.Fatal(err)
	}
	c := dial(t, l)
	if _, err := c.Write([]byte("x")); err != nil {
		t.Fatal(err)
	}
	accept(t, l)
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := pc.WriteTo([]byte("still mine"), pc.LocalAddr()); err != nil {
		t.Fatalf("the caller's PacketConn was closed: %v", err)
	}
}

func TestALPN(t *testing.T) {
	server, client := testTLS(t)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()

	l := newListener(t, ListenConfig{})
	other := client.Clone()
	other.NextProtos = []string{"michi-v2x/1"}
	if c, err := Dial(ctx, l.Addr().String(), other, nil); err == nil {
		c.Close()
		t.Fatal("a client offering another ALPN connected to an MQTT listener")
	}

	custom := server.Clone()
	custom.NextProtos = []string{"michi-v2x/1"}
	l2, err := ListenAddr("127.0.0.1:0", custom, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer l2.Close()
	c, err := Dial(ctx, l2.Addr().String(), other, nil)
	if err != nil {
		t.Fatalf("custom ALPN: %v", err)
	}
	defer c.Close()
	if got := c.(*Conn).ConnectionState().NegotiatedProtocol; got != "michi-v2x/1" {
		t.Fatalf("negotiated %q", got)
	}
	if len(server.NextProtos) != 0 || len(client.NextProtos) != 0 {
		t.Fatal("the caller's tls.Config was modified")
	}
}

func TestRequiresTLSConfig(t *testing.T) {
	if _, err := ListenAddr("127.0.0.1:0", nil, nil); !errors.Is(err, ErrNoTLSConfig) {
		t.Errorf("ListenAddr without TLS: %v", err)
	}
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer pc.Close()
	if _, err := Listen(pc, nil, nil); !errors.Is(err, ErrNoTLSConfig) {
		t.Errorf("Listen without TLS: %v", err)
	}
	if _, err := Dial(context.Background(), pc.LocalAddr().String(), nil, nil); !errors.Is(err, ErrNoTLSConfig) {
		t.Errorf("Dial without TLS: %v", err)
	}
	if _, err := ListenAddr("127.0.0.1:0", &tls.Config{}, nil); !errors.Is(err, ErrNoCertificate) {
		t.Errorf("ListenAddr with a certificate-less TLS config: %v", err)
	}
}

// A dialled connection's linger ends as soon as the server has finished too.
func TestDialledCloseFinishesWithServer(t *testing.T) {
	l := newListener(t, ListenConfig{})
	c := dial(t, l)
	if _, err := c.Write([]byte("bye")); err != nil {
		t.Fatal(err)
	}
	s := accept(t, l)
	c.Close()
	if _, err := io.ReadAll(s); err != nil {
		t.Fatalf("server read: %v", err)
	}
	s.Close()
	within(t, 5*time.Second, "client connection closed", c.(*Conn).QUIC().Context().Done())
}
