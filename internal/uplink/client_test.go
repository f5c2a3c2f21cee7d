package uplink

import (
	"context"
	"crypto/tls"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/michi-v2x/michi/internal/testutil"
)

// fastRetry makes a client redial quickly in tests.
func fastRetry(o ClientOptions) ClientOptions {
	o.BackoffMin, o.BackoffMax, o.DialTimeout = 20*time.Millisecond, 200*time.Millisecond, 500*time.Millisecond
	if o.Log == nil {
		o.Log = discard
	}
	return o
}

// runClient starts c.Run until the returned stop is called (or the test ends); stop waits for
// Run to return.
func runClient(t testing.TB, c *Client) (stop func()) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- c.Run(ctx) }()
	stopped := false
	stop = func() {
		if stopped {
			return
		}
		stopped = true
		cancel()
		require.NoError(t, testutil.Within(t, 10*time.Second, "client Run to return", done))
	}
	t.Cleanup(stop)
	return stop
}

func newClient(t testing.TB, o ClientOptions) *Client {
	t.Helper()
	c, err := NewClient(fastRetry(o))
	require.NoError(t, err)
	return c
}

// waitStored waits until sink holds exactly the seqs want for edgeID.
func waitStored(t testing.TB, sink *MemorySink, edgeID string, want []uint64) {
	t.Helper()
	testutil.CheckFor(t, 20*time.Second, func() error {
		got := seqs(sink.Records(edgeID))
		if len(got) < len(want) {
			return errorf("stored %d of %d records", len(got), len(want))
		}
		require.Equal(t, want, got)
		return nil
	})
}

func TestClientStreamsRecords(t *testing.T) {
	sink := &MemorySink{}
	s := startServer(t, Options{Sink: sink})
	q := openQueue(t, t.TempDir(), QueueOptions{SyncInterval: 5 * time.Millisecond})
	c := newClient(t, ClientOptions{HubAddr: s.Addr().String(), TLS: sharedPKI(t).edgeTLS(t, "edge-1"), Queue: q, BatchMax: 16})
	require.Equal(t, "edge-1", c.EdgeID())
	for i := range 50 { // before Run: replayed
		_, err := q.Append(trafficRecord(i))
		require.NoError(t, err)
	}
	runClient(t, c)
	for i := range 250 { // while running: streamed
		_, err := q.Append([]Record{hazardRecord(i), healthRecord(i)}[i%2])
		require.NoError(t, err)
	}
	waitStored(t, sink, "edge-1", seqRange(1, 300))
	testutil.CheckFor(t, 5*time.Second, func() error {
		if st := c.Stats(); st.Depth != 0 || st.AckedSeq != 300 || !st.Connected {
			return errorf("stats %+v", st)
		}
		return nil
	})
	require.Equal(t, []string{"edge-1"}, s.Connected())
	got := sink.Records("edge-1")
	want := hazardRecord(0)
	want.Seq, want.EdgeID = 51, "edge-1"
	requireSameRecord(t, want, got[50])
}

// The hub already holds seqs up to 40 (say, the edge was restored from an old backup): the
// Welcome acks them in the queue and sending resumes after 40.
func TestClientResumesFromHubHighWater(t *testing.T) {
	sink := &MemorySink{}
	var pre []Record
	for i := 1; i <= 40; i++ {
		pre = append(pre, withSeq(trafficRecord(i), uint64(i)))
	}
	_, err := sink.Store(context.Background(), "edge-1", pre)
	require.NoError(t, err)
	s := startServer(t, Options{Sink: sink})
	q := openQueue(t, t.TempDir(), QueueOptions{})
	for i := range 60 {
		_, err := q.Append(hazardRecord(i))
		require.NoError(t, err)
	}
	require.NoError(t, q.Sync())
	c := newClient(t, ClientOptions{HubAddr: s.Addr().String(), TLS: sharedPKI(t).edgeTLS(t, "edge-1"), Queue: q})
	runClient(t, c)
	waitStored(t, sink, "edge-1", seqRange(1, 60))
	got := sink.Records("edge-1")
	require.Equal(t, KindTraffic, got[39].Kind, "a record at or below the hub's mark was stored again")
	require.Equal(t, KindHazard, got[40].Kind)
	testutil.CheckFor(t, 5*time.Second, func() error {
		if d := q.Depth(); d != 0 {
			return errorf("depth %d", d)
		}
		return nil
	})
}

func TestClientAuthorityReachesOnAuthority(t *testing.T) {
	acked := make(chan string, 1)
	s := startServer(t, Options{Sink: &MemorySink{}, OnAuthorityAck: func(edgeID, id string) { acked <- edgeID + "/" + id }})
	got := make(chan AuthorityHazard, 1)
	q := openQueue(t, t.TempDir(), QueueOptions{})
	c := newClient(t, ClientOptions{
		HubAddr: s.Addr().String(), TLS: sharedPKI(t).edgeTLS(t, "edge-1"), Queue: q,
		OnAuthority: func(h AuthorityHazard) { got <- h },
	})
	runClient(t, c)
	testutil.CheckFor(t, 10*time.Second, func() error {
		if !c.Stats().Connected {
			return errorf("not connected")
		}
		return nil
	})
	heading := 90.0
	closure := AuthorityHazard{ID: "closure-7", Cause: 5, Lat: 48.137, Lon: 11.575, RadiusM: 250, HeadingDeg: &heading,
		Start: t0, Validity: 2 * time.Hour, Issuer: "munich"}
	require.True(t, s.SendAuthority("edge-1", closure))
	h := testutil.Within(t, 10*time.Second, "OnAuthority", got)
	require.Equal(t, "closure-7", h.ID)
	require.Equal(t, 90.0, *h.HeadingDeg)
	require.True(t, h.Start.Equal(t0))
	require.Equal(t, "edge-1/closure-7", testutil.Within(t, 10*time.Second, "authority ack at the hub", acked))
	require.Equal(t, uint64(1), c.Stats().Authorities)
}

func TestClientRefused(t *testing.T) {
	sink := &MemorySink{}
	s := startServer(t, Options{Sink: sink})
	for _, tc := range []struct {
		name, want string
		o          ClientOptions
	}{
		{"hello claims another edge id", "identity refused", ClientOptions{TLS: sharedPKI(t).edgeTLS(t, "edge-1"), EdgeID: "edge-2"}},
		{"certificate from another CA", "certificate", ClientOptions{TLS: newStrangerTLS(t, "edge-1"), EdgeID: "edge-1"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			o := tc.o
			q := openQueue(t, t.TempDir(), QueueOptions{})
			_, err := q.Append(hazardRecord(1))
			require.NoError(t, err)
			o.HubAddr, o.Queue = s.Addr().String(), q
			c := newClient(t, o)
			stop := runClient(t, c)
			testutil.CheckFor(t, 10*time.Second, func() error {
				if c.Stats().Failures == 0 {
					return errorf("no failure yet")
				}
				return nil
			})
			stop()
			st := c.Stats()
			require.False(t, st.Connected)
			require.Zero(t, st.Connects)
			require.Equal(t, 1, st.Depth)
			require.Contains(t, st.LastError, tc.want)
		})
	}
	require.Empty(t, s.Connected())
	require.Zero(t, sink.Len("edge-1"))
	require.Zero(t, sink.Len("edge-2"))
}

func TestClientOptions(t *testing.T) {
	_, err := NewClient(ClientOptions{})
	require.Error(t, err)
	for _, want := range []string{"HubAddr", "Queue", "TLS"} {
		require.Contains(t, err.Error(), want)
	}
	q := openQueue(t, t.TempDir(), QueueOptions{})
	_, err = NewClient(ClientOptions{HubAddr: "127.0.0.1:1", Queue: q, TLS: &tls.Config{}})
	require.ErrorContains(t, err, "no client certificate")
	_, err = NewClient(ClientOptions{HubAddr: "127.0.0.1:1", Queue: q, TLS: sharedPKI(t).edgeTLS(t, "e"), BackoffMin: -1})
	require.ErrorContains(t, err, "BackoffMin")
	c, err := NewClient(ClientOptions{HubAddr: "hub.example:7443", Queue: q, TLS: sharedPKI(t).edgeTLS(t, "e")})
	require.NoError(t, err)
	require.Equal(t, "hub.example", c.tlsConf.ServerName)
	require.Equal(t, []string{ALPN}, c.tlsConf.NextProtos)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	require.NoError(t, c.Run(ctx))
	require.ErrorIs(t, c.Run(ctx), ErrStarted)
}
