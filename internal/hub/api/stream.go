package api

import (
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"
)

// serveStream: GET /api/v1/stream[?types=hazard,edge,traffic,authority] — Server-Sent Events.
// Each event is "id: N", "event: TYPE", "data: JSON". An idle stream gets a comment line every
// StreamHeartbeat; a subscriber that cannot keep up (its buffer of StreamBuffer events fills)
// is told so in a final "event: dropped" and disconnected, and may reconnect. Events are those
// this hub replica stores or issues. At most MaxStreams subscribers are served at once: beyond,
// 503 with Retry-After, counted in michi_hub_stream_refused_total.
//
// The stream outlives the server's request bounds (httpsrv.Timeouts): net/http clears the read
// deadline once the request is read, and the stream sets a write deadline before every write.
func (a *API) serveStream(w http.ResponseWriter, r *http.Request) {
	q := newQuery(r.URL.Query(), a.o.Now(), "types")
	var types []string
	if s := q.v.Get("types"); s != "" {
		for _, t := range strings.Split(s, ",") {
			t = strings.TrimSpace(t)
			if !slices.Contains(EventTypes, t) {
				q.fail(badParam("types", "unknown event type %q; want a comma-separated subset of %s", t, strings.Join(EventTypes, ",")))
				break
			}
			types = append(types, t)
		}
	}
	if q.err != nil {
		a.fail(w, r, q.err)
		return
	}
	rc := http.NewResponseController(w)
	sub, ok := a.o.Broker.SubscribeAtMost(a.o.MaxStreams, a.o.StreamBuffer, types...)
	if !ok {
		a.m.streamRefused.Inc()
		w.Header().Set("Retry-After", "10")
		writeError(w, http.StatusServiceUnavailable, "", fmt.Sprintf("the live stream has its %d subscribers (max_streams); retry later", a.o.MaxStreams))
		return
	}
	defer a.o.Broker.Unsubscribe(sub)

	h := w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Accel-Buffering", "no") // nginx: do not buffer the stream
	w.WriteHeader(http.StatusOK)
	fmt.Fprintf(w, "retry: 2000\n: michi hub stream\n\n")
	if err := rc.Flush(); err != nil {
		return
	}
	beat := time.NewTicker(a.o.StreamHeartbeat)
	defer beat.Stop()
	// A stalled connection must not hold the subscriber forever: every write has a deadline.
	deadline := func() { rc.SetWriteDeadline(time.Now().Add(10 * time.Second)) }
	for {
		select {
		case <-r.Context().Done():
			return
		case <-beat.C:
			deadline()
			if _, err := fmt.Fprint(w, ": keep-alive\n\n"); err != nil {
				return
			}
			if rc.Flush() != nil {
				return
			}
		case ev, ok := <-sub.C:
			deadline()
			if !ok {
				if sub.Dropped() {
					fmt.Fprint(w, "event: dropped\ndata: {\"reason\":\"the client read too slowly; reconnect\"}\n\n")
					rc.Flush()
				}
				return
			}
			if _, err := fmt.Fprintf(w, "id: %d\nevent: %s\ndata: %s\n\n", ev.ID, ev.Type, ev.Data); err != nil {
				return
			}
			// Send what else is already queued before flushing once.
			for n := len(sub.C); n > 0; n-- {
				ev, ok := <-sub.C
				if !ok {
					break
				}
				fmt.Fprintf(w, "id: %d\nevent: %s\ndata: %s\n\n", ev.ID, ev.Type, ev.Data)
			}
			if rc.Flush() != nil {
				return
			}
		}
	}
}
