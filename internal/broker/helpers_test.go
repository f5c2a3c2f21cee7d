package broker

import (
	"net"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// admitAll is a Handler that admits every client and message and lets everyone read anything.
type admitAll struct{}

func (admitAll) Connect(*Conn) error                 { return nil }
func (admitAll) Publish(*Conn, string, []byte) error { return nil }
func (admitAll) MayRead(*Conn, string) bool          { return true }
func (admitAll) Disconnect(*Conn, bool)              {}

// testOptions are the edge's defaults.
func testOptions() Options {
	return Options{
		Root: "michi", PublisherID: "michi-test", ClientQueue: 256, MaxPacketSize: 64 << 10,
		ConnectTimeout: 10 * time.Second, MaxKeepAlive: 5 * time.Minute, SessionExpiry: 10 * time.Minute,
		MaxSubscriptions: 64, SlowClientDrops: 64,
	}
}

// startServer serves MQTT on a loopback port until the test ends and returns its address.
func startServer(tb testing.TB, h Handler) (*Server, string) {
	tb.Helper()
	s, err := New(testOptions(), h)
	require.NoError(tb, err)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(tb, err)
	require.NoError(tb, s.Listen("tcp", ln))
	require.NoError(tb, s.Serve())
	tb.Cleanup(func() { _ = s.Close() })
	return s, ln.Addr().String()
}
