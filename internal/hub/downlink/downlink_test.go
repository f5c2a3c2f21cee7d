package downlink_test

import (
	"context"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/michi-v2x/michi/internal/hub/downlink"
	"github.com/michi-v2x/michi/internal/hub/store"
	"github.com/michi-v2x/michi/internal/hub/storetest"
	"github.com/michi-v2x/michi/internal/uplink"
	"github.com/michi-v2x/michi/pkg/geo"
	"github.com/michi-v2x/michi/pkg/v2x"
)

// fakeSender stands in for the uplink Server: a set of connected edges and what each got.
type fakeSender struct {
	mu        sync.Mutex
	connected []string
	got       map[string][]uplink.AuthorityHazard
}

func (f *fakeSender) SendAuthority(edgeID string, h uplink.AuthorityHazard) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	if !slices.Contains(f.connected, edgeID) {
		return false
	}
	if f.got == nil {
		f.got = map[string][]uplink.AuthorityHazard{}
	}
	f.got[edgeID] = append(f.got[edgeID], h)
	return true
}

func (f *fakeSender) Connected() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.connected)
}

func (f *fakeSender) take(edgeID string) []uplink.AuthorityHazard {
	f.mu.Lock()
	defer f.mu.Unlock()
	g := f.got[edgeID]
	delete(f.got, edgeID)
	return g
}

func (f *fakeSender) connect(ids ...string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.connected = append(f.connected, ids...)
}

var (
	t0     = time.Date(2026, 3, 2, 8, 0, 0, 0, time.UTC)
	westB  = geo.Box{Min: geo.Point{Lat: 48.0, Lon: 11.0}, Max: geo.Point{Lat: 48.2, Lon: 11.5}}
	eastB  = geo.Box{Min: geo.Point{Lat: 48.0, Lon: 11.5}, Max: geo.Point{Lat: 48.2, Lon: 12.0}}
	farB   = geo.Box{Min: geo.Point{Lat: 52.0, Lon: 13.0}, Max: geo.Point{Lat: 52.2, Lon: 13.5}}
	border = geo.Point{Lat: 48.1, Lon: 11.499} // 75 m west of the west/east border
)

func health(seq uint64, cov geo.Box) store.Record {
	return store.Record{Seq: seq, Kind: store.KindHealth, At: t0, Health: &store.Health{Coverage: cov}}
}

func setup(t *testing.T) (*downlink.Dispatcher, *fakeSender, *store.Store) {
	s := storetest.SQLite(t).Open(t)
	f := &fakeSender{}
	d, err := downlink.New(downlink.Options{Store: s, Sender: f, Now: func() time.Time { return t0 }})
	require.NoError(t, err)
	// Coverage as the hub learns it: from stored health records.
	for id, cov := range map[string]geo.Box{"west": westB, "east": eastB, "far": farB} {
		r, err := s.StoreBatch(context.Background(), id, []store.Record{health(1, cov)})
		require.NoError(t, err)
		d.Stored(id, r.Stored)
	}
	return d, f, s
}

func roadworks(id string, p geo.Point, radius float64) uplink.AuthorityHazard {
	return uplink.AuthorityHazard{ID: id, Cause: 3, Lat: p.Lat, Lon: p.Lon, RadiusM: radius, Start: t0, Validity: time.Hour, Issuer: "city"}
}

func ids(hs []uplink.AuthorityHazard) []string {
	var out []string
	for _, h := range hs {
		s := h.ID
		if h.Terminate {
			s += "!"
		}
		out = append(out, s)
	}
	return out
}

func TestIssueReachesEdgesWhoseCoverageItTouches(t *testing.T) {
	d, f, _ := setup(t)
	f.connect("west", "east", "far", "new") // "new" has sent no health yet
	ctx := context.Background()

	a, created, sent, err := d.Issue(ctx, roadworks("rw-1", border, 200)) // crosses into east
	require.NoError(t, err)
	require.True(t, created)
	require.Equal(t, []string{"east", "new", "west"}, sorted(sent))
	require.Equal(t, t0, a.CreatedAt)
	require.Equal(t, []string{"rw-1"}, ids(f.take("west")))
	require.Empty(t, f.take("far"))

	_, _, sent, err = d.Issue(ctx, roadworks("rw-2", geo.Point{Lat: 48.1, Lon: 11.2}, 50)) // west only
	require.NoError(t, err)
	require.Equal(t, []string{"new", "west"}, sorted(sent))

	// Update: sent again, still not created.
	upd := roadworks("rw-2", geo.Point{Lat: 48.1, Lon: 11.2}, 80)
	_, created, _, err = d.Issue(ctx, upd)
	require.NoError(t, err)
	require.False(t, created)

	// Terminate goes to every connected edge; updating it afterwards is refused.
	term, sent, err := d.Terminate(ctx, "rw-2")
	require.NoError(t, err)
	require.True(t, term.Terminate)
	require.Len(t, sent, 4)
	_, _, _, err = d.Issue(ctx, upd)
	require.ErrorIs(t, err, store.ErrTerminated)
	_, _, err = d.Terminate(ctx, "missing")
	require.ErrorIs(t, err, store.ErrNotFound)

	st := d.Stats()
	require.Equal(t, uint64(3+2+2+4), st.Sent)
}

func TestReconcileOnConnectAndForEndedCopies(t *testing.T) {
	d, f, s := setup(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	_, _, sent, err := d.Issue(ctx, roadworks("rw-1", border, 200))
	require.NoError(t, err)
	require.Empty(t, sent, "nobody connected yet")
	_, _, _, err = d.Issue(ctx, roadworks("rw-far", geo.Point{Lat: 52.1, Lon: 13.2}, 100))
	require.NoError(t, err)

	done := make(chan error, 1)
	go func() { done <- d.Run(ctx) }()

	f.connect("east")
	d.EdgeConnected("east", true)
	require.Eventually(t, func() bool {
		f.mu.Lock()
		defer f.mu.Unlock()
		return len(f.got["east"]) > 0
	}, 5*time.Second, 5*time.Millisecond)
	require.Equal(t, []string{"rw-1"}, ids(f.take("east")), "only what its coverage touches")

	// A second reconcile sends nothing new.
	d.Reconcile(ctx, "east")
	require.Empty(t, f.take("east"))

	// The edge echoes rw-1 as its own hazard; then rw-1 is terminated while the edge is away.
	echo := store.Record{Seq: 2, Kind: store.KindHazard, At: t0, Hazard: &store.HazardEvent{
		ActionID: v2x.ActionID{OriginatingStationID: 5, SequenceNumber: 1}, Event: "created", Cause: 3,
		Lat: border.Lat, Lon: border.Lon, RadiusM: 200, Expiry: t0.Add(time.Hour), Authority: "rw-1"}}
	_, err = s.StoreBatch(ctx, "east", []store.Record{echo})
	require.NoError(t, err)
	d.EdgeConnected("east", false)
	f.mu.Lock()
	f.connected = nil
	f.mu.Unlock()
	_, _, err = d.Terminate(ctx, "rw-1")
	require.NoError(t, err)

	f.connect("east")
	d.EdgeConnected("east", true)
	require.Eventually(t, func() bool {
		f.mu.Lock()
		defer f.mu.Unlock()
		return len(f.got["east"]) > 0
	}, 5*time.Second, 5*time.Millisecond)
	require.Equal(t, []string{"rw-1!"}, ids(f.take("east")), "its stale copy is terminated")
	cancel()
	require.NoError(t, <-done)
}

func TestRelayToNeighbours(t *testing.T) {
	d, f, _ := setup(t)
	f.connect("west", "east", "far")
	hz := func(seq uint64, event string, p geo.Point, authority string) store.Record {
		return store.Record{Seq: seq, Kind: store.KindHazard, At: t0, Hazard: &store.HazardEvent{
			ActionID: v2x.ActionID{OriginatingStationID: 42, SequenceNumber: uint16(seq)}, Event: event, Cause: 94,
			Lat: p.Lat, Lon: p.Lon, RadiusM: 300, Detection: t0, Expiry: t0.Add(10 * time.Minute), Authority: authority}}
	}
	near := hz(1, "created", border, "")
	d.Stored("west", []store.Record{near})
	got := f.take("east")
	require.Len(t, got, 1)
	require.Equal(t, "relay:west:42/1", got[0].ID)
	require.Equal(t, "edge:west", got[0].Issuer)
	require.Equal(t, 10*time.Minute, got[0].Validity)
	require.Empty(t, f.take("west"), "never back to its origin")
	require.Empty(t, f.take("far"))

	// Deep inside west: no relay. An echoed authority hazard: no relay (no loops).
	d.Stored("west", []store.Record{hz(2, "created", geo.Point{Lat: 48.1, Lon: 11.1}, "")})
	d.Stored("west", []store.Record{hz(3, "created", border, "rw-9")})
	require.Empty(t, f.take("east"))

	// The end of a relayed hazard follows it.
	end := near
	end.Hazard = new(store.HazardEvent)
	*end.Hazard = *near.Hazard
	end.Hazard.Event = "terminated"
	d.Stored("west", []store.Record{end})
	require.Equal(t, []string{"relay:west:42/1!"}, ids(f.take("east")))
	require.Equal(t, uint64(2), d.Stats().Relayed)
}

func sorted(s []string) []string {
	s = slices.Clone(s)
	slices.Sort(s)
	return s
}
