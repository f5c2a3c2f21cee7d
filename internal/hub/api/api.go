package api

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/michi-v2x/michi/internal/hub/store"
	"github.com/michi-v2x/michi/internal/uplink"
)

// Downlink issues and terminates authority hazards: stores them and sends them to the edges
// whose coverage they touch. The hub implements it (internal/hub/downlink).
type Downlink interface {
	// Issue stores h (a new hazard, or an update of the one with the same ID) and sends it to
	// the connected edges it concerns, returning what was stored, whether it was new, and the
	// edges it was sent to. An update of a terminated hazard fails with store.ErrTerminated.
	Issue(ctx context.Context, h uplink.AuthorityHazard) (a store.Authority, created bool, sentTo []string, err error)
	// Terminate ends the hazard everywhere; store.ErrNotFound if there is none with that id.
	Terminate(ctx context.Context, id string) (store.Authority, []string, error)
	// Connected lists the edges connected to this hub now.
	Connected() []string
}

// Options configures the API. Store is required; the zero value of every other field means
// its default.
type Options struct {
	Store    *store.Store
	Downlink Downlink // nil: POST/DELETE answer 503 and no edge shows as connected
	Broker   *Broker  // live stream source; nil: a new one (see API.Broker)
	// Token is the bearer token that authorises POST and DELETE on /api/v1/hazards. Empty
	// disables those (403): issuing hazards to vehicles is never open by default.
	Token string
	// Registry receives the API's metrics and is served at /metrics; nil: a new one.
	Registry *prometheus.Registry

	StreamBuffer    int           // events buffered per stream subscriber before it is dropped, default 256
	StreamHeartbeat time.Duration // comment line sent on an idle stream, default 15 s
	MaxStreams      int           // stream subscribers served at once, default 256; beyond, 503
	MaxBody         int64         // request body limit, default 64 KiB

	Log *slog.Logger
	Now func() time.Time
}

func (o *Options) setDefaults() {
	if o.Broker == nil {
		o.Broker = NewBroker()
	}
	if o.Registry == nil {
		o.Registry = prometheus.NewRegistry()
	}
	if o.StreamBuffer == 0 {
		o.StreamBuffer = 256
	}
	if o.StreamHeartbeat == 0 {
		o.StreamHeartbeat = 15 * time.Second
	}
	if o.MaxStreams == 0 {
		o.MaxStreams = 256
	}
	if o.MaxBody == 0 {
		o.MaxBody = 64 << 10
	}
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	if o.Now == nil {
		o.Now = time.Now
	}
}

// API is the hub's HTTP interface; it is an http.Handler.
type API struct {
	o   Options
	mux *http.ServeMux
	m   *metrics
}

// New builds the API; it does no I/O.
func New(o Options) (*API, error) {
	if o.Store == nil {
		return nil, errors.New("api: Store is required")
	}
	o.setDefaults()
	a := &API{o: o, mux: http.NewServeMux()}
	m, err := newMetrics(o.Registry, o.Broker)
	if err != nil {
		return nil, err
	}
	a.m = m
	a.routes()
	return a, nil
}

// Broker is the stream's event source; the hub publishes what it stores to it.
func (a *API) Broker() *Broker { return a.o.Broker }

// Registry is where the API's metrics live (and where the hub adds its own).
func (a *API) Registry() *prometheus.Registry { return a.o.Registry }

func (a *API) routes() {
	a.mux.HandleFunc("GET /healthz", a.serveHealthz)
	a.mux.Handle("GET /metrics", promhttp.HandlerFor(a.o.Registry, promhttp.HandlerOpts{Registry: a.o.Registry}))
	a.mux.HandleFunc("GET /api/v1/edges", a.serveEdges)
	a.mux.HandleFunc("GET /api/v1/edges/{id}/health", a.serveEdgeHealth)
	a.mux.HandleFunc("GET /api/v1/hazards", a.serveHazards)
	a.mux.HandleFunc("GET /api/v1/hazards/{id}", a.serveAuthority)
	a.mux.HandleFunc("POST /api/v1/hazards", a.authorised(a.serveIssue))
	a.mux.HandleFunc("DELETE /api/v1/hazards/{id}", a.authorised(a.serveTerminate))
	a.mux.HandleFunc("GET /api/v1/hazard-events", a.serveHazardEvents)
	a.mux.HandleFunc("GET /api/v1/traffic", a.serveTraffic)
	a.mux.HandleFunc("GET /api/v1/stream", a.serveStream)
}

// ServeHTTP implements http.Handler, counting requests per route and status.
func (a *API) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	sw := &statusWriter{ResponseWriter: w, status: http.StatusOK}
	a.mux.ServeHTTP(sw, r)
	route := r.Pattern // set by the mux on a match
	if route == "" {
		route = "other"
	}
	a.m.requests.WithLabelValues(route, strconv.Itoa(sw.status)).Inc()
	if route != "GET /api/v1/stream" {
		a.m.latency.WithLabelValues(route).Observe(time.Since(start).Seconds())
	}
}

type statusWriter struct {
	http.ResponseWriter
	status  int
	written bool
}

func (w *statusWriter) WriteHeader(code int) {
	if !w.written {
		w.status, w.written = code, true
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	w.written = true
	return w.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach Flush and write deadlines.
func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.Encode(v)
}

func writeGeoJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/geo+json")
	w.Header().Set("Cache-Control", "no-store")
	json.NewEncoder(w).Encode(v)
}

// writeError answers {"error": msg, "field": field}.
func writeError(w http.ResponseWriter, status int, field, msg string) {
	body := map[string]string{"error": msg}
	if field != "" {
		body["field"] = field
	}
	writeJSON(w, status, body)
}

func (a *API) fail(w http.ResponseWriter, r *http.Request, err error) {
	var pe *ParamError
	switch {
	case errors.As(err, &pe):
		writeError(w, http.StatusBadRequest, pe.Field, pe.Error())
	case errors.Is(err, store.ErrNotFound):
		writeError(w, http.StatusNotFound, "", err.Error())
	case errors.Is(err, store.ErrTerminated):
		writeError(w, http.StatusConflict, "id", err.Error())
	case errors.Is(err, context.Canceled):
		// the client went away
	default:
		a.o.Log.Warn("api request failed", "method", r.Method, "path", r.URL.Path, "err", err)
		writeError(w, http.StatusInternalServerError, "", "internal error: "+err.Error())
	}
}

func (a *API) serveHealthz(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
	defer cancel()
	body := map[string]any{"status": "ok", "backend": a.o.Store.Backend(), "schema_version": store.SchemaVersion()}
	if a.o.Downlink != nil {
		body["edges_connected"] = len(a.o.Downlink.Connected())
	}
	if err := a.o.Store.Ping(ctx); err != nil {
		body["status"], body["error"] = "unavailable", err.Error()
		writeJSON(w, http.StatusServiceUnavailable, body)
		return
	}
	writeJSON(w, http.StatusOK, body)
}
