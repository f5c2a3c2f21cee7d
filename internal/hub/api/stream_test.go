package api_test

import (
	"bufio"
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

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
