package uplink

import (
	"context"
	"crypto/tls"
	"encoding/binary"
	"errors"
	"io"
	"net"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/quic-go/quic-go"
	"github.com/stretchr/testify/require"
	"github.com/vmihailenco/msgpack/v5"

	"github.com/michi-v2x/michi/internal/testutil"
)

// rawEdge speaks the protocol frame by frame, to test the server with what a well-behaved
// Client never sends.
type rawEdge struct {
	t   *testing.T
	qc  *quic.Conn
	str *quic.Stream
	fr  *frameReader
	enc *frameEncoder
}

func dialRaw(t *testing.T, s *Server, tlsConf *tls.Config) (*rawEdge, error) {
	return dialRawWithin(t, s, tlsConf, 10*time.Second)
}

func dialRawWithin(t *testing.T, s *Server, tlsConf *tls.Config, d time.Duration) (*rawEdge, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	tc := tlsConf.Clone()
	tc.NextProtos = []string{ALPN}
	tc.ServerName = "127.0.0.1"
	qc, err := quic.DialAddr(ctx, s.Addr().String(), tc, quicConfig(nil, false))
	if err != nil {
		return nil, err
	}
	t.Cleanup(func() { qc.CloseWithError(0, "") })
	str, err := qc.OpenStreamSync(ctx)
	if err != nil {
		return nil, err
	}
	return &rawEdge{t: t, qc: qc, str: str, fr: &frameReader{r: str, max: DefaultMaxFrameBytes}, enc: newFrameEncoder()}, nil
}

func mustDialRaw(t *testing.T, s *Server, edgeID string) *rawEdge {
	t.Helper()
	e, err := dialRaw(t, s, sharedPKI(t).edgeTLS(t, edgeID))
	require.NoError(t, err)
	return e
}

func (e *rawEdge) send(ft frameType, v any) {
	e.t.Helper()
	b, err := e.enc.encode(ft, v)
	require.NoError(e.t, err)
	_, err = e.str.Write(b)
	require.NoError(e.t, err)
}

func (e *rawEdge) sendBytes(b []byte) {
	e.t.Helper()
	_, err := e.str.Write(b)
	require.NoError(e.t, err)
}

// recv reads the next frame within 10 s.
func (e *rawEdge) recv() (frameType, []byte, error) {
	_ = e.str.SetReadDeadline(time.Now().Add(10 * time.Second))
	return e.fr.next()
}

func (e *rawEdge) expect(ft frameType, v any) {
	e.t.Helper()
	got, body, err := e.recv()
	require.NoError(e.t, err)
	require.Equal(e.t, ft, got)
	require.NoError(e.t, decodeBody(got, body, v))
}

// hello says Hello and returns the Welcome's mark.
func (e *rawEdge) hello(edgeID string) uint64 {
	e.t.Helper()
	e.send(frameHello, &helloFrame{EdgeID: edgeID})
	var w welcomeFrame
	e.expect(frameWelcome, &w)
	return w.HighWater
}

// refusal says Hello as edgeID and returns how the server refused it.
func (e *rawEdge) refusal(edgeID string) *ProtocolError {
	e.t.Helper()
	e.send(frameHello, &helloFrame{EdgeID: edgeID})
	_, _, err := e.recv()
	pe := asProtocolError(err)
	require.NotNil(e.t, pe, "read error %v", err)
	return pe
}

func (e *rawEdge) batch(recs ...Record) uint64 {
	e.t.Helper()
	e.send(frameBatch, encodeBatch(e.t, recs...))
	var a ackFrame
	e.expect(frameAck, &a)
	return a.HighWater
}

func encodeBatch(t testing.TB, recs ...Record) *batchFrame {
	b := &batchFrame{}
	for _, r := range recs {
		b.Records = append(b.Records, marshalCompact(t, &r))
	}
	return b
}

// closedWith waits for the connection to end and returns the code the server closed it with.
func (e *rawEdge) closedWith() Code {
	e.t.Helper()
	select {
	case <-e.qc.Context().Done():
	case <-time.After(10 * time.Second):
		e.t.Fatal("connection not closed")
	}
	ae, ok := errors.AsType[*quic.ApplicationError](context.Cause(e.qc.Context()))
	require.True(e.t, ok, "closed with %v", context.Cause(e.qc.Context()))
	require.True(e.t, ae.Remote)
	return ae.ErrorCode
}

func withSeq(r Record, seq uint64) Record {
	r.Seq = seq
	return r
}

func TestServerRoundTripExactlyOnce(t *testing.T) {
	sink := &MemorySink{}
	s := startServer(t, Options{Sink: sink})
	e := mustDialRaw(t, s, "edge-a")
	require.Zero(t, e.hello("edge-a"))
	testutil.CheckFor(t, 5*time.Second, func() error {
		if got := s.Connected(); len(got) != 1 || got[0] != "edge-a" {
			return errorf("connected = %v", got)
		}
		return nil
	})
	require.Equal(t, uint64(3), e.batch(withSeq(hazardRecord(1), 1), withSeq(trafficRecord(2), 2), withSeq(healthRecord(3), 3)))
	// A resend overlapping what is stored: only seq 4 is new.
	require.Equal(t, uint64(4), e.batch(withSeq(trafficRecord(2), 2), withSeq(healthRecord(3), 3), withSeq(trafficRecord(4), 4)))
	// Gaps are fine (records dropped at the edge).
	require.Equal(t, uint64(9), e.batch(withSeq(hazardRecord(9), 9)))

	got := sink.Records("edge-a")
	require.Equal(t, []uint64{1, 2, 3, 4, 9}, seqs(got))
	for _, r := range got {
		require.Equal(t, "edge-a", r.EdgeID, "edge id filled in from the certificate")
	}
	requireSameRecord(t, func() Record { r := withSeq(hazardRecord(1), 1); r.EdgeID = "edge-a"; return r }(), got[0])

	// A new connection resumes at the stored mark; an empty Hello id means "my certificate's".
	require.NoError(t, e.qc.CloseWithError(CodeNoError, ""))
	e2 := mustDialRaw(t, s, "edge-a")
	require.Equal(t, uint64(9), e2.hello(""))
	require.Equal(t, []string{"edge-a"}, s.Connected())
	st := s.Stats()
	require.Equal(t, uint64(2), st.Connections)
	require.Equal(t, uint64(3), st.Batches)
}

func TestServerRefusesClaimOfAnotherEdge(t *testing.T) {
	sink := &MemorySink{}
	s := startServer(t, Options{Sink: sink})
	pe := mustDialRaw(t, s, "edge-a").refusal("edge-b")
	require.Equal(t, CodeIdentity, pe.Code)
	require.Contains(t, pe.Reason, "edge-b")
	require.Empty(t, s.Connected())
	require.Equal(t, uint64(1), s.Stats().Refused)

	// Records naming another edge are refused too.
	e := mustDialRaw(t, s, "edge-a")
	e.hello("edge-a")
	r := withSeq(trafficRecord(1), 1)
	r.EdgeID = "edge-b"
	e.send(frameBatch, encodeBatch(t, r))
	require.Equal(t, CodeBadRecord, e.closedWith())
	require.Zero(t, sink.Len("edge-a"))
	require.Zero(t, sink.Len("edge-b"))
}

func TestServerRefusesForeignCertificate(t *testing.T) {
	sink := &MemorySink{}
	s := startServer(t, Options{Sink: sink})
	stranger := newStrangerTLS(t, "edge-a")
	e, err := dialRaw(t, s, stranger)
	if err == nil {
		// TLS 1.3: the client may finish before the server rejects its certificate.
		e.send(frameHello, &helloFrame{EdgeID: "edge-a"})
		_, _, err = e.recv()
	}
	require.Error(t, err)
	var te *quic.TransportError
	require.True(t, errors.As(err, &te), "want a TLS alert as a QUIC transport error, got %v", err)
	require.Empty(t, s.Connected())
	require.Zero(t, sink.Len("edge-a"))
}

func TestServerClosesMalformed(t *testing.T) {
	sink := &MemorySink{}
	s := startServer(t, Options{Sink: sink, MaxFrameBytes: 64 << 10, MaxBatchRecords: 10})
	big := make([]byte, 5)
	binary.BigEndian.PutUint32(big, 1<<20)
	big[4] = byte(frameBatch)
	ten := make([]Record, 11)
	for i := range ten {
		ten[i] = withSeq(trafficRecord(i), uint64(i+1))
	}
	for _, tc := range []struct {
		name  string
		hello bool
		send  func(e *rawEdge)
		want  Code
	}{
		{"first frame not Hello", false, func(e *rawEdge) { e.send(frameBatch, &batchFrame{}) }, CodeProtocol},
		{"Hello not msgpack", false, func(e *rawEdge) { e.sendBytes([]byte{0, 0, 0, 3, byte(frameHello), 0xc1, 0xc1}) }, CodeProtocol},
		{"frame too large", true, func(e *rawEdge) { e.sendBytes(big) }, CodeFrameTooLarge},
		{"empty frame", true, func(e *rawEdge) { e.sendBytes([]byte{0, 0, 0, 0}) }, CodeProtocol},
		{"unknown frame type", true, func(e *rawEdge) { e.sendBytes([]byte{0, 0, 0, 2, 0x7f, 0xc0}) }, CodeProtocol},
		{"hub frame from an edge", true, func(e *rawEdge) { e.send(frameWelcome, &welcomeFrame{}) }, CodeProtocol},
		{"batch body not a batch", true, func(e *rawEdge) { e.send(frameBatch, "records") }, CodeProtocol},
		{"trailing bytes", true, func(e *rawEdge) { e.sendBytes([]byte{0, 0, 0, 3, byte(frameBatch), 0x80, 0x80}) }, CodeProtocol},
		{"record not a record", true, func(e *rawEdge) {
			e.send(frameBatch, &batchFrame{Records: []msgpack.RawMessage{{0x01}}}) // an int, not a map
		}, CodeBadRecord},
		{"record invalid", true, func(e *rawEdge) { e.send(frameBatch, encodeBatch(t, Record{Seq: 1, Kind: 9})) }, CodeBadRecord},
		{"seq zero", true, func(e *rawEdge) { e.send(frameBatch, encodeBatch(t, trafficRecord(1))) }, CodeBadRecord},
		{"seqs not ascending", true, func(e *rawEdge) {
			e.send(frameBatch, encodeBatch(t, withSeq(trafficRecord(1), 5), withSeq(trafficRecord(2), 5)))
		}, CodeBadRecord},
		{"batch too long", true, func(e *rawEdge) { e.send(frameBatch, encodeBatch(t, ten...)) }, CodeBadRecord},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := mustDialRaw(t, s, "edge-m")
			if tc.hello {
				e.hello("edge-m")
			}
			tc.send(e)
			require.Equal(t, tc.want, e.closedWith())
		})
	}
	require.Zero(t, sink.Len("edge-m"), "a malformed batch stored something")
	require.Positive(t, s.Stats().ProtocolErrors)
}

// A slow or hostile edge — stalling inside a frame, never saying Hello, stuck in a slow Store —
// delays no other edge.
func TestServerSlowEdgeBlocksNobody(t *testing.T) {
	release := make(chan struct{})
	defer close(release)
	sink := &hookSink{before: func(edgeID string, _ []Record) error {
		if edgeID == "edge-slow" {
			<-release
		}
		return nil
	}}
	s := startServer(t, Options{Sink: sink, FrameTimeout: 300 * time.Millisecond, HelloTimeout: 300 * time.Millisecond})

	stalled := mustDialRaw(t, s, "edge-stall")
	stalled.hello("edge-stall")
	stalled.sendBytes([]byte{0, 0, 1, 0, byte(frameBatch)}) // 256 bytes announced, 1 sent

	silent := mustDialRaw(t, s, "edge-silent")
	silent.sendBytes([]byte{0}) // makes the stream visible, never completes a Hello

	slow := mustDialRaw(t, s, "edge-slow")
	slow.hello("edge-slow")
	slow.send(frameBatch, encodeBatch(t, withSeq(trafficRecord(1), 1))) // its Store blocks

	fast := mustDialRaw(t, s, "edge-fast")
	fast.hello("edge-fast")
	for i := 1; i <= 20; i++ {
		require.Equal(t, uint64(i), fast.batch(withSeq(trafficRecord(i), uint64(i))))
	}
	require.Equal(t, CodeTimeout, stalled.closedWith())
	require.Equal(t, CodeTimeout, silent.closedWith())
	require.Equal(t, 20, sink.Len("edge-fast"))
}

// hookSink is a MemorySink whose before hook runs outside the sink's lock, so one edge's
// blocked Store does not hold the others (a real database does not serialise edges either).
type hookSink struct {
	MemorySink
	before func(edgeID string, recs []Record) error
}

func (h *hookSink) Store(ctx context.Context, edgeID string, recs []Record) (uint64, error) {
	if h.before != nil {
		if err := h.before(edgeID, recs); err != nil {
			return 0, err
		}
	}
	return h.MemorySink.Store(ctx, edgeID, recs)
}

func TestServerStorageFailureClosesAndRecovers(t *testing.T) {
	var mu sync.Mutex
	fail := true
	sink := &MemorySink{FailStore: func(string, []Record) error {
		mu.Lock()
		defer mu.Unlock()
		if fail {
			return errors.New("disk full")
		}
		return nil
	}}
	s := startServer(t, Options{Sink: sink})
	e := mustDialRaw(t, s, "edge-a")
	e.hello("edge-a")
	e.send(frameBatch, encodeBatch(t, withSeq(trafficRecord(1), 1)))
	require.Equal(t, CodeStorage, e.closedWith())
	mu.Lock()
	fail = false
	mu.Unlock()
	e = mustDialRaw(t, s, "edge-a")
	require.Zero(t, e.hello("edge-a"))
	require.Equal(t, uint64(1), e.batch(withSeq(trafficRecord(1), 1)))
}

func TestServerAuthorityAtLeastOnce(t *testing.T) {
	acks := make(chan string, 4)
	edges := make(chan string, 8)
	s := startServer(t, Options{
		Sink:           &MemorySink{},
		OnAuthorityAck: func(edgeID, id string) { acks <- edgeID + "/" + id },
		OnEdge: func(edgeID string, connected bool) {
			if connected {
				edges <- "+" + edgeID
			} else {
				edges <- "-" + edgeID
			}
		},
	})
	roadworks := AuthorityHazard{ID: "rw-1", Cause: 3, Lat: 48.1, Lon: 11.5, RadiusM: 300, Start: t0, Validity: time.Hour, Issuer: "city"}
	require.False(t, s.SendAuthority("edge-a", roadworks), "queued for an edge that is not connected")

	e := mustDialRaw(t, s, "edge-a")
	e.hello("edge-a")
	require.Equal(t, "+edge-a", testutil.Within(t, 5*time.Second, "OnEdge", edges))
	require.False(t, s.SendAuthority("edge-a", AuthorityHazard{ID: "bad", Lat: 200}), "invalid hazard queued")
	require.True(t, s.SendAuthority("edge-a", roadworks))
	var a authorityFrame
	e.expect(frameAuthority, &a)
	require.Equal(t, "rw-1", a.Hazard.ID)
	require.True(t, a.Hazard.Start.Equal(t0))
	require.Equal(t, time.Hour, a.Hazard.Validity)

	// Not acknowledged: the next connection gets it again, and an update replaces it.
	require.NoError(t, e.qc.CloseWithError(CodeNoError, ""))
	e2 := mustDialRaw(t, s, "edge-a")
	e2.hello("edge-a")
	var again authorityFrame
	e2.expect(frameAuthority, &again)
	require.Equal(t, "rw-1", again.Hazard.ID)
	updated := roadworks
	updated.RadiusM = 600
	require.True(t, s.SendAuthority("edge-a", updated))
	var upd authorityFrame
	e2.expect(frameAuthority, &upd)
	require.Equal(t, 600.0, upd.Hazard.RadiusM)
	e2.send(frameAuthorityAck, &authorityAckFrame{Tag: again.Tag}) // the superseded version
	e2.send(frameAuthorityAck, &authorityAckFrame{Tag: upd.Tag})
	require.Equal(t, "edge-a/rw-1", testutil.Within(t, 5*time.Second, "OnAuthorityAck", acks))
	select {
	case extra := <-acks:
		t.Fatalf("superseded version acknowledged as %s", extra)
	default:
	}
	s.mu.Lock()
	require.Empty(t, s.edges["edge-a"].outbox)
	s.mu.Unlock()
}

// Graceful drain: the batch being stored is acknowledged before the hub goes away.
func TestServerDrain(t *testing.T) {
	entered := make(chan struct{})
	release := make(chan struct{})
	blocking := &hookSink{before: func(string, []Record) error {
		close(entered)
		<-release
		return nil
	}}
	s, err := New(Options{Addr: "127.0.0.1:0", TLS: sharedPKI(t).serverTLS(), Sink: blocking, Log: discard, DrainTimeout: time.Minute})
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx) }()
	testutil.Within(t, 5*time.Second, "ready", s.Ready())

	e := mustDialRaw(t, s, "edge-a")
	e.hello("edge-a")
	e.send(frameBatch, encodeBatch(t, withSeq(hazardRecord(1), 1)))
	testutil.Within(t, 5*time.Second, "store entered", entered)
	cancel()
	// New connections are refused while draining.
	testutil.CheckFor(t, 10*time.Second, func() error {
		if _, err := dialRawWithin(t, s, sharedPKI(t).edgeTLS(t, "edge-b"), 500*time.Millisecond); err == nil {
			return errors.New("still accepting")
		}
		return nil
	})
	close(release)
	var a ackFrame
	e.expect(frameAck, &a)
	require.Equal(t, uint64(1), a.HighWater)
	_, _, err = e.recv()
	require.ErrorIs(t, err, io.EOF, "the stream ends cleanly after the last Ack")
	e.qc.CloseWithError(0, "")
	require.NoError(t, testutil.Within(t, 10*time.Second, "Run to return", done))
	require.Equal(t, 1, blocking.Len("edge-a"))
}

func TestServerOptions(t *testing.T) {
	_, err := New(Options{})
	require.Error(t, err)
	for _, want := range []string{"Sink is required", "TLS is required"} {
		require.Contains(t, err.Error(), want)
	}
	_, err = New(Options{Sink: &MemorySink{}, TLS: &tls.Config{Certificates: []tls.Certificate{sharedPKI(t).hub}}, DrainTimeout: -1})
	require.Error(t, err)
	for _, want := range []string{"require and verify client certificates", "no client CA", "DrainTimeout"} {
		require.Contains(t, err.Error(), want)
	}
	s, err := New(Options{Sink: &MemorySink{}, TLS: sharedPKI(t).serverTLS()})
	require.NoError(t, err)
	require.Nil(t, s.Addr())
	require.Equal(t, []string{ALPN}, s.tlsConf.NextProtos)

	// A second Run is refused; a port in use is reported.
	s = startServer(t, Options{Sink: &MemorySink{}})
	require.ErrorIs(t, s.Run(context.Background()), ErrStarted)
	s2, err := New(Options{Addr: s.Addr().String(), Sink: &MemorySink{}, TLS: sharedPKI(t).serverTLS()})
	require.NoError(t, err)
	require.Error(t, s2.Run(context.Background()))
}

// Item 8 of issue 14: a second connection of an edge id whose connection is live is refused with
// a clear log line, and the live one keeps the link (before, each took it from the other: two
// edges with one certificate flapped every ~0.4 s).
func TestServerRefusesSecondLiveConnection(t *testing.T) {
	s := startServer(t, Options{Sink: &MemorySink{}, LiveProbe: 500 * time.Millisecond})
	e := mustDialRaw(t, s, "edge-a")
	e.hello("edge-a")
	pe := mustDialRaw(t, s, "edge-a").refusal("edge-a")
	require.Equal(t, CodeDuplicate, pe.Code)
	// The reason, also in the hub's log line ("edge refused"), names the edge and where the
	// live connection comes from.
	require.Contains(t, pe.Reason, "edge edge-a is connected already from 127.0.0.1:")

	var probe ackFrame
	e.expect(frameAck, &probe) // what the hub asked the live connection to acknowledge
	require.Equal(t, uint64(1), e.batch(withSeq(hazardRecord(1), 1)), "the live connection keeps the link")
	require.Equal(t, []string{"edge-a"}, s.Connected())
	require.Equal(t, uint64(1), s.Stats().Refused)
}

// A reconnect after the old connection died without a word (the edge restarted; QUIC has not
// timed the old one out yet) is not refused: the old one does not answer the probe.
func TestServerTakesReconnectFromDeadConnection(t *testing.T) {
	s := startServer(t, Options{Sink: &MemorySink{}, LiveProbe: 300 * time.Millisecond})
	pc, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	require.NoError(t, err)
	mute := &muteConn{PacketConn: pc}
	tr := &quic.Transport{Conn: mute}
	t.Cleanup(func() { tr.Close(); pc.Close() })
	tc := sharedPKI(t).edgeTLS(t, "edge-a").Clone()
	tc.NextProtos, tc.ServerName = []string{ALPN}, "127.0.0.1"
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	qc, err := tr.Dial(ctx, s.Addr(), tc, quicConfig(nil, false))
	require.NoError(t, err)
	str, err := qc.OpenStreamSync(ctx)
	require.NoError(t, err)
	old := &rawEdge{t: t, qc: qc, str: str, fr: &frameReader{r: str, max: DefaultMaxFrameBytes}, enc: newFrameEncoder()}
	old.hello("edge-a")
	mute.mute.Store(true) // the edge is gone: no packet in or out

	start := time.Now()
	e := mustDialRaw(t, s, "edge-a")
	e.hello("edge-a")
	require.Less(t, time.Since(start), DefaultIdleTimeout/2, "taken over at the probe, not at the idle timeout")
	require.Equal(t, []string{"edge-a"}, s.Connected())
	require.Equal(t, uint64(1), e.batch(withSeq(hazardRecord(1), 1)))
}

// muteConn drops every packet, both ways, once mute is set.
type muteConn struct {
	net.PacketConn
	mute atomic.Bool
}

func (c *muteConn) WriteTo(b []byte, addr net.Addr) (int, error) {
	if c.mute.Load() {
		return len(b), nil
	}
	return c.PacketConn.WriteTo(b, addr)
}

func (c *muteConn) ReadFrom(b []byte) (int, net.Addr, error) {
	for {
		n, addr, err := c.PacketConn.ReadFrom(b)
		if err != nil || !c.mute.Load() {
			return n, addr, err
		}
	}
}
