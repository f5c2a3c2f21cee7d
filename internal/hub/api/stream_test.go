package api_test

import (
	"bufio"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/michi-v2x/michi/internal/httpsrv"
	"github.com/michi-v2x/michi/internal/hub/api"
	"github.com/michi-v2x/michi/internal/hub/store"
	"github.com/michi-v2x/michi/internal/hub/storetest"
	"github.com/michi-v2x/michi/pkg/v2x"
)

// sse reads Server-Sent Events (type, data) from a stream response.
func sse(t *testing.T, resp *http.Response) <-chan [2]string {
	out := make(chan [2]string, 64)
	go func() {
		defer close(out)
		sc := bufio.NewScanner(resp.Body)
		sc.Buffer(make([]byte, 1<<20), 1<<20)
		var typ, data string
		for sc.Scan() {
			line := sc.Text()
			switch {
			case strings.HasPrefix(line, "event: "):
				typ = strings.TrimPrefix(line, "event: ")
			case strings.HasPrefix(line, "data: "):
				data = strings.TrimPrefix(line, "data: ")
			case line == "" && typ != "":
				out <- [2]string{typ, data}
				typ, data = "", ""
			}
		}
	}()
	return out
}

func openStream(t *testing.T, f *fixture, query string) (*http.Response, <-chan [2]string) {
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, f.srv.URL+"/api/v1/stream"+query, nil)
	require.NoError(t, err)
	resp, err := f.srv.Client().Do(req)
	require.NoError(t, err)
	t.Cleanup(func() { resp.Body.Close() })
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.Equal(t, "text/event-stream", resp.Header.Get("Content-Type"))
	require.Eventually(t, func() bool { return f.api.Broker().Subscribers() == 1 }, 5*time.Second, time.Millisecond)
	return resp, sse(t, resp)
}

func next(t *testing.T, evs <-chan [2]string) [2]string {
	t.Helper()
	select {
	case ev, ok := <-evs:
		require.True(t, ok, "stream ended")
		return ev
	case <-time.After(5 * time.Second):
		t.Fatal("no event within 5 s")
	}
	return [2]string{}
}

func TestStreamDeliversStoredRecordsAndEdgeEvents(t *testing.T) {
	f := newFixture(t, storetest.SQLite(t), token)
	_, evs := openStream(t, f, "?types=hazard,edge,traffic")

	f.api.PublishEdge("edge-a", true)
	ev := next(t, evs)
	require.Equal(t, api.EventEdge, ev[0])
	require.Contains(t, ev[1], `"event":"connected"`)

	recs := []store.Record{
		{Seq: 1, Kind: store.KindHazard, At: t0, Hazard: &store.HazardEvent{ActionID: v2x.ActionID{OriginatingStationID: 1, SequenceNumber: 2},
			Event: "created", Cause: 97, Lat: 48.1, Lon: 11.2, RadiusM: 100}},
		{Seq: 2, Kind: store.KindTraffic, At: t0, Traffic: &store.TrafficAggregate{Quadkey: "1202211133310130", Minute: t0, Count: 3, MeanSpeedMPS: 9}},
	}
	f.api.PublishRecords("edge-a", recs)
	ev = next(t, evs)
	require.Equal(t, api.EventHazard, ev[0])
	require.Contains(t, ev[1], `"cause_name":"collisionRisk"`)
	require.Contains(t, ev[1], `"id":"edge-a/1/2"`)
	ev = next(t, evs)
	require.Equal(t, api.EventTraffic, ev[0])
	require.Contains(t, ev[1], `"count":3`)

	// An authority event is not among the requested types; the next edge event is.
	f.do(t, http.MethodPost, "/api/v1/hazards", token, `{"cause":3,"lat":48,"lon":11}`)
	f.api.PublishEdge("edge-a", false)
	ev = next(t, evs)
	require.Equal(t, api.EventEdge, ev[0])
	require.Contains(t, ev[1], `"disconnected"`)
}

// TestStalledStreamNeverBlocksPublishing: a client that stops reading is dropped; publishing
// goes on at full speed.
func TestStalledStreamNeverBlocksPublishing(t *testing.T) {
	f := newFixture(t, storetest.SQLite(t), token, func(o *api.Options) { o.StreamBuffer = 4 })
	resp, _ := openStreamRaw(t, f)
	defer resp.Body.Close() // never read
	big := strings.Repeat("x", 64<<10)
	done := make(chan struct{})
	go func() {
		for i := 0; i < 2000 && f.api.Broker().Subscribers() > 0; i++ {
			f.api.Broker().Publish(api.EventHazard, map[string]string{"pad": big})
		}
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(30 * time.Second):
		t.Fatal("publishing blocked on a stalled subscriber")
	}
	require.Eventually(t, func() bool { return f.api.Broker().Subscribers() == 0 }, 5*time.Second, time.Millisecond)
	_, body := f.get(t, "/metrics")
	require.Contains(t, string(body), "michi_hub_stream_dropped_subscribers_total 1")
}

func openStreamRaw(t *testing.T, f *fixture) (*http.Response, error) {
	req, err := http.NewRequest(http.MethodGet, f.srv.URL+"/api/v1/stream", nil)
	require.NoError(t, err)
	resp, err := f.srv.Client().Do(req)
	require.NoError(t, err)
	require.Eventually(t, func() bool { return f.api.Broker().Subscribers() == 1 }, 5*time.Second, time.Millisecond)
	return resp, nil
}

// Item 7 of issue 14: the stream serves MaxStreams subscribers at once; the next is told 503
// with Retry-After and counted, and gets in once one leaves.
func TestStreamSubscribersAreCapped(t *testing.T) {
	f := newFixture(t, storetest.SQLite(t), token, func(o *api.Options) { o.MaxStreams = 2 })
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	open := func(ctx context.Context) *http.Response {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, f.srv.URL+"/api/v1/stream", nil)
		require.NoError(t, err)
		resp, err := f.srv.Client().Do(req)
		require.NoError(t, err)
		t.Cleanup(func() { resp.Body.Close() })
		return resp
	}
	first, firstCancel := context.WithCancel(ctx)
	require.Equal(t, http.StatusOK, open(first).StatusCode)
	require.Equal(t, http.StatusOK, open(ctx).StatusCode)
	resp := open(ctx)
	require.Equal(t, http.StatusServiceUnavailable, resp.StatusCode)
	require.Equal(t, "10", resp.Header.Get("Retry-After"))
	body, _ := io.ReadAll(resp.Body)
	require.Contains(t, string(body), "max_streams")
	_, metrics := f.get(t, "/metrics")
	require.Contains(t, string(metrics), "michi_hub_stream_refused_total 1")

	firstCancel()
	require.Eventually(t, func() bool { return f.api.Broker().Subscribers() == 1 }, 5*time.Second, time.Millisecond)
	require.Equal(t, http.StatusOK, open(ctx).StatusCode)
}

// The stream outlives the server's read and write timeouts (httpsrv), which bound every other
// request.
func TestStreamOutlivesTheServerTimeouts(t *testing.T) {
	f := newFixture(t, storetest.SQLite(t), token, func(o *api.Options) { o.StreamHeartbeat = 50 * time.Millisecond })
	srv := httptest.NewUnstartedServer(f.api)
	srv.Config = httpsrv.Timeouts{ReadHeader: 100 * time.Millisecond, Read: 100 * time.Millisecond, Write: 200 * time.Millisecond}.Server(f.api, nil)
	srv.Start()
	defer srv.Close()
	resp, err := srv.Client().Get(srv.URL + "/api/v1/stream")
	require.NoError(t, err)
	defer resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)
	r := bufio.NewReader(resp.Body)
	deadline := time.Now().Add(time.Second)
	beats := 0
	for time.Now().Before(deadline) {
		line, err := r.ReadString('\n')
		require.NoError(t, err, "the stream ended after %d heartbeats", beats)
		if line == ": keep-alive\n" {
			beats++
		}
	}
	require.Greater(t, beats, 5)
}
