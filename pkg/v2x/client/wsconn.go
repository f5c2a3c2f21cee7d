package client

import (
	"context"
	"crypto/tls"
	"io"
	"net"
	"net/http"
	"net/url"
	"sync"
	"time"

	"github.com/gorilla/websocket"
)

// wsConn presents a WebSocket connection carrying MQTT (subprotocol "mqtt", binary messages) as
// a byte stream. MQTT packets may span messages and a message may hold several packets.
type wsConn struct {
	*websocket.Conn
	rmu sync.Mutex // one Read at a time, as net.Conn allows
	r   io.Reader  // the message being read
	wmu sync.Mutex // gorilla allows one writer at a time
}

var _ net.Conn = (*wsConn)(nil)

func dialWebSocket(ctx context.Context, u *url.URL, tlsConf *tls.Config) (net.Conn, error) {
	d := websocket.Dialer{
		Proxy:           http.ProxyFromEnvironment,
		TLSClientConfig: tlsConf,
		Subprotocols:    []string{"mqtt"},
	}
	ws, resp, err := d.DialContext(ctx, u.String(), nil)
	if resp != nil && resp.Body != nil {
		resp.Body.Close()
	}
	if err != nil {
		return nil, err
	}
	return &wsConn{Conn: ws}, nil
}

func (c *wsConn) Read(p []byte) (int, error) {
	c.rmu.Lock()
	defer c.rmu.Unlock()
	for {
		if c.r == nil {
			_, r, err := c.NextReader()
			if err != nil {
				return 0, err
			}
			c.r = r
		}
		n, err := c.r.Read(p)
		if err == io.EOF {
			c.r = nil
			if n > 0 {
				return n, nil
			}
			continue
		}
		return n, err
	}
}

func (c *wsConn) Write(p []byte) (int, error) {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	if err := c.WriteMessage(websocket.BinaryMessage, p); err != nil {
		return 0, err
	}
	return len(p), nil
}

func (c *wsConn) SetDeadline(t time.Time) error {
	if err := c.SetReadDeadline(t); err != nil {
		return err
	}
	return c.SetWriteDeadline(t)
}
