package api_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/michi-v2x/michi/internal/hub/api"
	"github.com/michi-v2x/michi/internal/hub/downlink"
	"github.com/michi-v2x/michi/internal/hub/store"
	"github.com/michi-v2x/michi/internal/hub/storetest"
	"github.com/michi-v2x/michi/internal/uplink"
	"github.com/michi-v2x/michi/pkg/geo"
	"github.com/michi-v2x/michi/pkg/v2x"
)

var t0 = time.Date(2026, 3, 2, 8, 0, 0, 0, time.UTC)

const token = "s3cret-token"

// sender is a stand-in uplink Server: connected edges and what they were sent.
type sender struct {
	mu        sync.Mutex
	connected []string
	got       map[string][]uplink.AuthorityHazard
}

func (s *sender) SendAuthority(edgeID string, h uplink.AuthorityHazard) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !slices.Contains(s.connected, edgeID) {
		return false
	}
	if s.got == nil {
		s.got = map[string][]uplink.AuthorityHazard{}
	}
	s.got[edgeID] = append(s.got[edgeID], h)
	return true
}

func (s *sender) Connected() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.connected)
}

type fixture struct {
	api    *api.API
	srv    *httptest.Server
	store  *store.Store
	sender *sender
	dl     *downlink.Dispatcher
}

func newFixture(t *testing.T, b storetest.Backend, tok string, mod ...func(*api.Options)) *fixture {
	t.Helper()
	s := b.Open(t, func(o *store.Options) { o.Now = func() time.Time { return t0 } })
	snd := &sender{connected: []string{"edge-a", "edge-b"}}
	dl, err := downlink.New(downlink.Options{Store: s, Sender: snd, Now: func() time.Time { return t0 }})
	require.NoError(t, err)
	o := api.Options{Store: s, Downlink: dl, Token: tok, Now: func() time.Time { return t0.Add(time.Minute) }}
	for _, m := range mod {
		m(&o)
	}
	a, err := api.New(o)
	require.NoError(t, err)
	srv := httptest.NewServer(a)
	t.Cleanup(srv.Close)
	return &fixture{api: a, srv: srv, store: s, sender: snd, dl: dl}
}

// seed stores a small world: two edges with coverage, hazards, traffic.
func (f *fixture) seed(t *testing.T) {
	t.Helper()
	ctx := context.Background()
	covA := geo.Box{Min: geo.Point{Lat: 48.0, Lon: 11.0}, Max: geo.Point{Lat: 48.2, Lon: 11.5}}
	covB := geo.Box{Min: geo.Point{Lat: 48.0, Lon: 11.5}, Max: geo.Point{Lat: 48.2, Lon: 12.0}}
	hz := func(seq uint64, num uint16, event string, lat, lon float64, cause uint8) store.Record {
		return store.Record{Seq: seq, Kind: store.KindHazard, At: t0.Add(time.Duration(seq) * time.Second), Hazard: &store.HazardEvent{
			ActionID: v2x.ActionID{OriginatingStationID: 77, SequenceNumber: num}, Event: event, Cause: cause, SubCause: 1,
			Lat: lat, Lon: lon, RadiusM: 200, Quality: 2, Sources: []string{"=evil", "station:5"}, Detection: t0,
			Reference: t0, Expiry: t0.Add(10 * time.Minute)}}
	}
	tr := func(seq uint64, p geo.Point, minute time.Time, count int, speed float64) store.Record {
		return store.Record{Seq: seq, Kind: store.KindTraffic, At: minute, Traffic: &store.TrafficAggregate{
			Quadkey: geo.Quadkey(p, 16), Minute: minute, Count: count, MeanSpeedMPS: speed}}
	}
	for edge, recs := range map[string][]store.Record{
		"edge-a": {
			{Seq: 1, Kind: store.KindHealth, At: t0, Health: &store.Health{Clients: 3, Vehicles: 2, AlertP99Ms: 1.5, Coverage: covA}},
			hz(2, 1, "created", 48.1, 11.2, 94),
			hz(3, 2, "created", 48.15, 11.3, 2),
			hz(4, 2, "terminated", 48.15, 11.3, 2),
			tr(5, geo.Point{Lat: 48.1, Lon: 11.2}, t0, 10, 20),
			tr(6, geo.Point{Lat: 48.1, Lon: 11.2}, t0.Add(time.Minute), 6, 10),
			tr(7, geo.Point{Lat: 48.19, Lon: 11.45}, t0, 4, 5),
		},
		"edge-b": {
			{Seq: 1, Kind: store.KindHealth, At: t0, Health: &store.Health{Clients: 1, Coverage: covB}},
			hz(2, 9, "created", 48.1, 11.8, 27),
		},
	} {
		r, err := f.store.StoreBatch(ctx, edge, recs)
		require.NoError(t, err)
		f.dl.Stored(edge, r.Stored)
	}
}

func (f *fixture) do(t *testing.T, method, path, tok, body string) (*http.Response, []byte) {
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, f.srv.URL+path, rd)
	require.NoError(t, err)
	if tok != "" {
		req.Header.Set("Authorization", "Bearer "+tok)
	}
	resp, err := f.srv.Client().Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return resp, b
}

func (f *fixture) get(t *testing.T, path string) (*http.Response, []byte) {
	return f.do(t, http.MethodGet, path, "", "")
}

type fc struct {
	Type      string `json:"type"`
	Truncated bool   `json:"truncated"`
	Features  []struct {
		ID       string `json:"id"`
		Geometry struct {
			Type        string          `json:"type"`
			Coordinates json.RawMessage `json:"coordinates"`
		} `json:"geometry"`
		Properties map[string]any `json:"properties"`
	} `json:"features"`
}

func decodeFC(t *testing.T, b []byte) fc {
	t.Helper()
	var c fc
	require.NoError(t, json.Unmarshal(b, &c), string(b))
	require.Equal(t, "FeatureCollection", c.Type)
	return c
}

func featureIDs(c fc) []string {
	var out []string
	for _, f := range c.Features {
		out = append(out, f.ID)
	}
	slices.Sort(out)
	return out
}
