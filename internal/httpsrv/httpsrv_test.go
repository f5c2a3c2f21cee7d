package httpsrv_test

import (
	"errors"
	"io"
	"net"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/michi-v2x/michi/internal/httpsrv"
)

func TestDefaultsAndNone(t *testing.T) {
	s := httpsrv.Timeouts{}.Server(http.NotFoundHandler(), nil)
	require.Equal(t, httpsrv.DefaultReadHeader, s.ReadHeaderTimeout)
	require.Equal(t, httpsrv.DefaultRead, s.ReadTimeout)
	require.Equal(t, httpsrv.DefaultWrite, s.WriteTimeout)
	require.Equal(t, httpsrv.DefaultIdle, s.IdleTimeout)
	require.NotNil(t, s.ErrorLog)
	s = httpsrv.Timeouts{Write: -1, Idle: time.Second}.Server(http.NotFoundHandler(), nil)
	require.Zero(t, s.WriteTimeout)
	require.Equal(t, time.Second, s.IdleTimeout)
	require.Error(t, httpsrv.Timeouts{ReadHeader: time.Minute, Read: time.Second}.Validate())
	require.NoError(t, httpsrv.Timeouts{}.Validate())
}

// A client that trickles its headers, or idles after an answer, is closed.
func TestSlowAndIdleClientsAreClosed(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	s := httpsrv.Timeouts{ReadHeader: 100 * time.Millisecond, Idle: 200 * time.Millisecond}.Server(http.NotFoundHandler(), nil)
	go func() { _ = s.Serve(ln) }()
	t.Cleanup(func() { s.Close() })
	for _, req := range []string{"GET / HTTP/1.1\r\nHost: x\r\n", "GET / HTTP/1.1\r\nHost: x\r\n\r\n"} {
		conn, err := net.Dial("tcp", ln.Addr().String())
		require.NoError(t, err)
		_, err = conn.Write([]byte(req))
		require.NoError(t, err)
		require.NoError(t, conn.SetReadDeadline(time.Now().Add(5*time.Second)))
		_, err = io.Copy(io.Discard, conn)
		var ne net.Error
		require.False(t, errors.As(err, &ne) && ne.Timeout(), "%q: the connection was kept 5 s", req)
		conn.Close()
	}
}
