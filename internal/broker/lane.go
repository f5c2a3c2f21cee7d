package broker

import (
	"net"
	"sync"
	"sync/atomic"
	"syscall"
)

// laneListener hands the broker connections with a second way out, the alert lane, and a
// filtered way in, which takes vehicles' telemetry before the broker reads it (inbound.go).
type laneListener struct {
	net.Listener
	s   *Server
	max int // bytes a connection's lane may hold unwritten
}

func (l laneListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	lc := newLaneConn(c, l.max)
	lc.s = l.s
	l.s.open.Add(1) // until mochi closes it (laneConn.Close)
	// Until CONNECT: mochi-mqtt sets the keep-alive deadline after it, and none before.
	_ = lc.SetDeadline(l.s.connectDeadline())
	return lc, nil
}

// laneConn is a broker connection the edge's hazard fan-out (fanout.go) writes to directly,
// between the broker's own writes. mochi-mqtt writes each packet, or a run of whole packets, in
// one Write call; wmu makes every Write — the broker's or the lane's — whole, so the two never
// interleave inside a packet.
//
// The lane first tries one non-blocking write from the fan-out's goroutine (plain TCP only), so a
// hazard reaches a thousand vehicles in a thousand system calls without a thousand goroutine
// wake-ups. What the socket does not take at once (a full send buffer, a connection the broker is
// writing to, TLS, WebSocket, QUIC) is queued and written by a short-lived flusher goroutine. The
// queue is bounded: send reports false when it is full, and the caller counts that towards the
// slow-client eviction, as the broker does for its own queue.
type laneConn struct {
	net.Conn
	raw   syscall.RawConn // the socket, for non-blocking writes; nil when not plain TCP
	max   int
	state Conn     // what the server keeps per connection (hook.go)
	s     *Server  // takes the telemetry packets in Read (inbound.go); nil: none taken
	in    inFilter // the read goroutine's only

	closed atomic.Bool // Close was called: counted once out of Server.open

	wmu sync.Mutex // held for one whole write; held by a running flusher until it is done

	qmu      sync.Mutex
	pending  []byte // queued lane bytes, whole packets
	flushing bool   // a flusher owns wmu or is about to
}

func newLaneConn(c net.Conn, max int) *laneConn {
	lc := &laneConn{Conn: c, max: max}
	if tc, ok := c.(*net.TCPConn); ok {
		if raw, err := tc.SyscallConn(); err == nil {
			lc.raw = raw
		}
	}
	return lc
}

// Close closes the connection and counts it out of Server.open.
func (c *laneConn) Close() error {
	if c.closed.CompareAndSwap(false, true) && c.s != nil {
		c.s.open.Add(-1)
	}
	return c.Conn.Close()
}

// Write is the broker's way out.
func (c *laneConn) Write(b []byte) (int, error) {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	return c.Conn.Write(b)
}

// send writes b (whole packets) to the connection without ever blocking the caller: now if the
// socket takes it, else after what is queued. b is not retained.
func (c *laneConn) send(b []byte) bool {
	c.qmu.Lock()
	if c.flushing {
		ok := len(c.pending)+len(b) <= c.max
		if ok {
			c.pending = append(c.pending, b...)
		}
		c.qmu.Unlock()
		return ok
	}
	c.flushing = true
	c.qmu.Unlock()

	if c.raw != nil && c.wmu.TryLock() {
		n := writeNonBlocking(c.raw, b)
		if n == len(b) {
			c.wmu.Unlock()
			c.qmu.Lock()
			c.flushing = false
			c.qmu.Unlock()
			return true
		}
		// Part of a packet may be out: nothing else may be written before the rest, so the
		// flusher inherits wmu.
		rest := append([]byte(nil), b[n:]...)
		go c.flush(rest)
		return true
	}
	if len(b) > c.max {
		c.qmu.Lock()
		c.flushing = false
		c.qmu.Unlock()
		return false
	}
	rest := append([]byte(nil), b...)
	go func() {
		c.wmu.Lock()
		c.flush(rest)
	}()
	return true
}

// flush writes rest and then whatever was queued meanwhile, holding wmu, and releases both the
// lock and the flushing mark when the queue is empty. A write error (the connection closed)
// drops what is left; the broker notices the closed connection on its own.
func (c *laneConn) flush(rest []byte) {
	for {
		if len(rest) > 0 {
			if _, err := c.Conn.Write(rest); err != nil {
				c.qmu.Lock()
				c.pending, c.flushing = nil, false
				c.qmu.Unlock()
				c.wmu.Unlock()
				return
			}
		}
		c.qmu.Lock()
		rest, c.pending = c.pending, nil
		if len(rest) == 0 {
			c.flushing = false
			c.qmu.Unlock()
			c.wmu.Unlock()
			return
		}
		c.qmu.Unlock()
	}
}
