package broker

import (
	"context"
	"errors"
	"net"
	"net/http"
	"sync"

	"github.com/coder/websocket"

	"github.com/michi-v2x/michi/internal/tlsconf"
)

// wsListener turns MQTT-over-WebSocket connections into plain net.Conns, so the broker serves
// them through the same net.Listener path as TCP. Any request path is accepted; the "mqtt"
// subprotocol is negotiated when the client offers it. A browser's request must come from an
// allowed origin (Options.WSOrigins, originAllowed): 403 otherwise.
type wsListener struct {
	ln       net.Listener
	srv      *http.Server
	conns    chan net.Conn
	ctx      context.Context
	stop     context.CancelFunc
	once     sync.Once
	origins  []string
	loopback bool
	refused  func() // counts a refused origin
}

func (s *Server) newWSListener(ln net.Listener) *wsListener {
	ctx, cancel := context.WithCancel(context.Background())
	l := &wsListener{ln: ln, conns: make(chan net.Conn), ctx: ctx, stop: cancel,
		origins: s.o.WSOrigins, loopback: tlsconf.Loopback(ln.Addr().String()),
		refused: func() { s.m.Limited.WithLabelValues("origin").Inc() }}
	l.srv = s.o.HTTP.Server(http.HandlerFunc(l.upgrade), s.log.With("component", "websocket"))
	go func() { _ = l.srv.Serve(ln) }()
	return l
}

func (l *wsListener) upgrade(w http.ResponseWriter, r *http.Request) {
	if !originAllowed(r, l.origins, l.loopback) {
		l.refused()
		http.Error(w, "origin not allowed (limits.ws_origins)", http.StatusForbidden)
		return
	}
	// Checked above: the library's own check would pass a same-host name rebound to loopback.
	c, err := websocket.Accept(w, r, &websocket.AcceptOptions{Subprotocols: []string{"mqtt"}, InsecureSkipVerify: true})
	if err != nil {
		return
	}
	c.SetReadLimit(-1) // the broker enforces its own packet size limits
	done := make(chan struct{})
	conn := &closeNotifyConn{Conn: websocket.NetConn(l.ctx, c, websocket.MessageBinary), done: done}
	select {
	case l.conns <- conn:
	case <-l.ctx.Done():
		_ = c.CloseNow()
		return
	}
	select { // keep the handler alive for the life of the connection
	case <-done:
	case <-l.ctx.Done():
		_ = c.CloseNow()
	}
}

func (l *wsListener) Accept() (net.Conn, error) {
	select {
	case c := <-l.conns:
		return c, nil
	case <-l.ctx.Done():
		return nil, net.ErrClosed
	}
}

func (l *wsListener) Close() error {
	var err error
	l.once.Do(func() {
		l.stop()
		err = l.srv.Close()
		if errors.Is(err, http.ErrServerClosed) {
			err = nil
		}
	})
	return err
}

func (l *wsListener) Addr() net.Addr { return l.ln.Addr() }

type closeNotifyConn struct {
	net.Conn
	done chan struct{}
	once sync.Once
}

func (c *closeNotifyConn) Close() error {
	c.once.Do(func() { close(c.done) })
	return c.Conn.Close()
}
