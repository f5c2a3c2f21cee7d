package hub

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/http"
	"sync"
	"sync/atomic"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/michi-v2x/michi/internal/hub/api"
	"github.com/michi-v2x/michi/internal/hub/downlink"
	"github.com/michi-v2x/michi/internal/hub/store"
	"github.com/michi-v2x/michi/internal/hub/web"
	"github.com/michi-v2x/michi/internal/tlsconf"
	"github.com/michi-v2x/michi/internal/uplink"
)

// Hub is michi's cloud hub: the uplink Server edges connect to, the store, the downlink of
// authority hazards, and the HTTP API.
type Hub struct {
	o       Options
	started atomic.Bool
	ready   chan struct{}

	// set before ready is closed
	uplinkAddr net.Addr
	httpAddr   net.Addr
}

// New checks the options and returns a Hub; it does no I/O.
func New(o Options) (*Hub, error) {
	if err := o.Validate(); err != nil {
		return nil, err
	}
	return &Hub{o: o, ready: make(chan struct{})}, nil
}

// Ready is closed once Run listens on both addresses.
func (h *Hub) Ready() <-chan struct{} { return h.ready }

// UplinkAddr is the UDP address edges connect to; nil before Ready.
func (h *Hub) UplinkAddr() net.Addr {
	select {
	case <-h.ready:
		return h.uplinkAddr
	default:
		return nil
	}
}

// HTTPAddr is the API's TCP address; nil before Ready.
func (h *Hub) HTTPAddr() net.Addr {
	select {
	case <-h.ready:
		return h.httpAddr
	default:
		return nil
	}
}

// Run opens the database (applying migrations), listens for edges and HTTP clients, and serves
// until ctx ends; then it ends the live streams, drains HTTP (DrainTimeout) and the uplink
// (its in-flight batches are stored and acknowledged), and closes the database. It returns nil
// after a clean shutdown or the error that stopped it.
func (h *Hub) Run(ctx context.Context) (err error) {
	if !h.started.CompareAndSwap(false, true) {
		return ErrStarted
	}
	log := h.o.Log
	tlsConf := h.o.TLS
	if tlsConf == nil {
		if tlsConf, err = tlsconf.MutualServerConfig(h.o.TLSCert, h.o.TLSKey, h.o.ClientCA, uplink.ALPN); err != nil {
			return err
		}
	}
	st, err := store.Open(ctx, h.o.Store)
	if err != nil {
		return err
	}
	defer st.Close()
	log.Info("database open", "backend", st.Backend(), "schema_version", store.SchemaVersion())

	reg := prometheus.NewRegistry()
	sk := &sink{st: st, log: log}
	var (
		dl *downlink.Dispatcher
		a  *api.API
		m  *metrics
	)
	srv, err := uplink.New(uplink.Options{
		Addr: h.o.UplinkAddr, TLS: tlsConf, Sink: sk, Log: log.With("component", "uplink"),
		OnEdge: func(edgeID string, connected bool) {
			log.Info("edge", "edge", edgeID, "connected", connected)
			dl.EdgeConnected(edgeID, connected)
			a.PublishEdge(edgeID, connected)
		},
		OnAuthorityAck: func(edgeID, hazardID string) { m.acks.Inc() },
	})
	if err != nil {
		return err
	}
	if dl, err = downlink.New(downlink.Options{Store: st, Sender: srv, Relay: h.o.Relay, ReconcileEvery: h.o.ReconcileEvery,
		Log: log.With("component", "downlink"), Now: h.o.Now}); err != nil {
		return err
	}
	if a, err = api.New(api.Options{Store: st, Downlink: dl, Token: h.o.Token, Registry: reg, StreamBuffer: h.o.StreamBuffer, MaxStreams: h.o.MaxStreams,
		Log: log.With("component", "api"), Now: h.o.Now}); err != nil {
		return err
	}
	if m, err = newMetrics(reg, srv, dl); err != nil {
		return err
	}
	sk.m, sk.dl, sk.api = m, dl, a

	ln, err := net.Listen("tcp", h.o.HTTPAddr)
	if err != nil {
		return fmt.Errorf("http listen: %w", err)
	}
	if h.o.HTTPTLSCert != "" {
		cert, err := tls.LoadX509KeyPair(h.o.HTTPTLSCert, h.o.HTTPTLSKey)
		if err != nil {
			ln.Close()
			return fmt.Errorf("http tls: %w", err)
		}
		ln = tls.NewListener(ln, &tls.Config{Certificates: []tls.Certificate{cert}, NextProtos: []string{"h2", "http/1.1"}, MinVersion: tls.VersionTLS12})
	}
	httpSrv := h.o.HTTPTimeouts.Server(web.With(a), log.With("component", "http"))

	runCtx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var wg sync.WaitGroup
	fatal := make(chan error, 3)
	wg.Add(3)
	go func() {
		defer wg.Done()
		if err := srv.Run(runCtx); err != nil {
			fatal <- fmt.Errorf("uplink: %w", err)
		}
	}()
	go func() {
		defer wg.Done()
		dl.Run(runCtx)
	}()
	go func() {
		defer wg.Done()
		if err := httpSrv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			fatal <- fmt.Errorf("http: %w", err)
		}
	}()

	select {
	case <-srv.Ready():
		h.uplinkAddr, h.httpAddr = srv.Addr(), ln.Addr()
		close(h.ready)
		log.Info("hub ready", "uplink", h.uplinkAddr.String(), "http", h.httpAddr.String(), "backend", st.Backend(),
			"authority_api", h.o.Token != "")
		select {
		case <-ctx.Done():
		case err = <-fatal:
		}
	case err = <-fatal:
	case <-ctx.Done():
	}

	// Shutdown: streams first (http.Server.Shutdown waits for them), then HTTP, then the uplink
	// (it stores and acks what is in flight), and the database last (deferred).
	log.Info("hub stopping")
	a.Broker().Close()
	sctx, scancel := context.WithTimeout(context.Background(), h.o.DrainTimeout)
	if serr := httpSrv.Shutdown(sctx); serr != nil {
		httpSrv.Close()
	}
	scancel()
	cancel()
	wg.Wait()
	log.Info("hub stopped")
	return err
}
