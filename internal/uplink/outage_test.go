package uplink

import (
	"context"
	"net"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/michi-v2x/michi/internal/testutil"
)

// hubOn runs Servers, one after another, on one UDP socket, so the hub can go away and come
// back at the same address. While it is away the socket stays open and unread: the edge's
// handshakes go unanswered, as when a hub is unreachable.
type hubOn struct {
	t    *testing.T
	pc   net.PacketConn
	sink Sink
	stop func()
}

func (h *hubOn) start() *Server {
	h.t.Helper()
	s, err := New(Options{PacketConn: h.pc, TLS: sharedPKI(h.t).serverTLS(), Sink: h.sink, Log: discard})
	require.NoError(h.t, err)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx) }()
	testutil.Within(h.t, 10*time.Second, "hub ready", s.Ready())
	h.stop = func() {
		cancel()
		require.NoError(h.t, testutil.Within(h.t, 20*time.Second, "hub Run to return", done))
		h.stop = nil
	}
	return s
}

// THE OUTAGE TEST: the hub is down at first, comes up, goes down while records stream, the
// edge restarts during the outage, the hub comes back — and every record arrives exactly once.
func TestOutageExactlyOnce(t *testing.T) {
	for _, restart := range []string{"clean restart", "crash restart"} {
		t.Run(restart, func(t *testing.T) {
			pc, err := net.ListenPacket("udp", "127.0.0.1:0")
			require.NoError(t, err)
			t.Cleanup(func() { pc.Close() })
			sink := &MemorySink{}
			hub := &hubOn{t: t, pc: pc, sink: sink}
			t.Cleanup(func() {
				if hub.stop != nil {
					hub.stop()
				}
			})

			dir := t.TempDir()
			qo := QueueOptions{SyncInterval: 5 * time.Millisecond, SegmentBytes: 8 << 10, Log: discard}
			q, err := OpenQueue(dir, qo)
			require.NoError(t, err)
			edgeTLS := sharedPKI(t).edgeTLS(t, "edge-o")
			startEdge := func(q *Queue) (*Client, func()) {
				c := newClient(t, ClientOptions{HubAddr: pc.LocalAddr().String(), TLS: edgeTLS, Queue: q, BatchMax: 32})
				return c, runClient(t, c)
			}
			var want []Record
			appendN := func(q *Queue, n int) {
				for range n {
					i := len(want)
					rec := []Record{hazardRecord(i), trafficRecord(i), healthRecord(i)}[i%3]
					seq, err := q.Append(rec) // never waits for the hub
					require.NoError(t, err)
					require.Equal(t, uint64(i+1), seq, "seq not monotonic")
					rec.Seq, rec.EdgeID = seq, "edge-o"
					want = append(want, rec)
				}
			}
			noticedOutage := func(c *Client) {
				testutil.CheckFor(t, 10*time.Second, func() error {
					if st := c.Stats(); st.Connected || st.Failures == 0 {
						return errorf("edge has not noticed the outage: %+v", st)
					}
					return nil
				})
			}

			// Hub down from the start.
			c, stopEdge := startEdge(q)
			appendN(q, 50)
			noticedOutage(c)

			// Hub up: the backlog arrives, new records stream.
			hub.start()
			appendN(q, 100)
			waitStored(t, sink, "edge-o", seqRange(1, 150))

			// Hub goes away while records are in flight.
			appendN(q, 100)
			hub.stop()
			appendN(q, 100)
			noticedOutage(c)

			// The edge restarts during the outage.
			stopEdge()
			if restart == "crash restart" {
				q.crash()
			} else {
				require.NoError(t, q.Close())
			}
			q, err = OpenQueue(dir, qo)
			require.NoError(t, err)
			t.Cleanup(func() { q.Close() })
			appendN(q, 100)
			c, _ = startEdge(q)
			noticedOutage(c)

			// The hub comes back: everything, exactly once, in order, as appended.
			hub.start()
			total := uint64(len(want))
			waitStored(t, sink, "edge-o", seqRange(1, total))
			got := sink.Records("edge-o")
			require.Len(t, got, len(want))
			for i := range want {
				requireSameRecord(t, want[i], got[i])
			}
			testutil.CheckFor(t, 10*time.Second, func() error {
				if st := c.Stats(); st.Depth != 0 || st.AckedSeq != total || !st.Connected {
					return errorf("edge after catching up: %+v", st)
				}
				return nil
			})
			require.Zero(t, q.Dropped())
		})
	}
}
