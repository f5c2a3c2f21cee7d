package hub_test

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/michi-v2x/michi/internal/httpsrv"
	"github.com/michi-v2x/michi/internal/hub"
	"github.com/michi-v2x/michi/internal/hub/store"
	"github.com/michi-v2x/michi/internal/testutil"
	"github.com/michi-v2x/michi/internal/tlsconf"
	"github.com/michi-v2x/michi/internal/uplink"
	"github.com/michi-v2x/michi/pkg/geo"
	"github.com/michi-v2x/michi/pkg/v2x"
)

const token = "test-token-0123456789"

type pki struct {
	ca     *tlsconf.CA
	server tls.Certificate
}

func newPKI(t *testing.T) pki {
	ca, err := tlsconf.NewCA("michi test CA")
	require.NoError(t, err)
	srv, err := ca.IssueServer("hub")
	require.NoError(t, err)
	return pki{ca: ca, server: srv}
}

func (p pki) edgeTLS(t *testing.T, name string) *tls.Config {
	c, err := p.ca.IssueClient(name)
	require.NoError(t, err)
	conf := tlsconf.MutualClientTLS(c, p.ca.Pool(), uplink.ALPN)
	conf.ServerName = "localhost"
	return conf
}

// startHub runs a hub until the test ends (or stop is called) and waits for it to be ready.
func startHub(t *testing.T, p pki, dsn, uplinkAddr string, mutate ...func(*hub.Options)) (h *hub.Hub, stop func()) {
	t.Helper()
	o := hub.Options{
		UplinkAddr: uplinkAddr, HTTPAddr: "127.0.0.1:0",
		TLS:   tlsconf.MutualServerTLS(p.server, p.ca.Pool(), uplink.ALPN),
		Token: token, Store: store.Options{DSN: dsn}, ReconcileEvery: time.Second,
		Log: slog.New(slog.DiscardHandler),
	}
	for _, m := range mutate {
		m(&o)
	}
	h, err := hub.New(o)
	require.NoError(t, err)
	return h, testutil.Start(t, h)
}

// edge is an uplink client with its on-disk queue, as an edge node runs it.
type edge struct {
	c    *uplink.Client
	q    *uplink.Queue
	got  chan uplink.AuthorityHazard
	stop func()
}

func startEdge(t *testing.T, dir, hubAddr string, conf *tls.Config) *edge {
	t.Helper()
	q, err := uplink.OpenQueue(dir, uplink.QueueOptions{})
	require.NoError(t, err)
	e := &edge{q: q, got: make(chan uplink.AuthorityHazard, 16)}
	c, err := uplink.NewClient(uplink.ClientOptions{HubAddr: hubAddr, TLS: conf, Queue: q,
		OnAuthority: func(h uplink.AuthorityHazard) { e.got <- h }, BackoffMin: 20 * time.Millisecond, BackoffMax: 100 * time.Millisecond})
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	e.c = c
	go func() { c.Run(ctx); close(done) }()
	var once sync.Once
	e.stop = func() {
		once.Do(func() {
			cancel()
			<-done
			q.Close()
		})
	}
	t.Cleanup(e.stop)
	return e
}

var (
	t0  = time.Now().UTC().Truncate(time.Second)
	cov = geo.Box{Min: geo.Point{Lat: 48.0, Lon: 11.0}, Max: geo.Point{Lat: 48.2, Lon: 11.5}}
)

func hazard(i int) uplink.Record {
	return uplink.Record{Kind: uplink.KindHazard, At: t0, Hazard: &uplink.HazardEvent{
		ActionID: v2x.ActionID{OriginatingStationID: 5, SequenceNumber: uint16(i)}, Event: uplink.EventCreated,
		Cause: 94, Lat: 48.1, Lon: 11.2, RadiusM: 100, Detection: t0, Reference: t0, Expiry: t0.Add(10 * time.Minute)}}
}

func health() uplink.Record {
	return uplink.Record{Kind: uplink.KindHealth, At: t0, Health: &uplink.Health{Clients: 2, Coverage: cov}}
}

func getJSON(t *testing.T, h *hub.Hub, path string, v any) int {
	resp, err := http.Get("http://" + h.HTTPAddr().String() + path)
	require.NoError(t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	if v != nil {
		require.NoError(t, json.Unmarshal(b, v), string(b))
	}
	return resp.StatusCode
}

type edgesResp struct {
	Edges []struct {
		ID        string `json:"id"`
		Connected bool   `json:"connected"`
		HighWater uint64 `json:"high_water"`
	} `json:"edges"`
}

// TestEdgeToHubAndAuthorityBack runs a real hub with a real uplink client: records arrive,
// show in the API and the stream, and an authority hazard posted to the API reaches the edge.
func TestEdgeToHubAndAuthorityBack(t *testing.T) {
	p := newPKI(t)
	h, _ := startHub(t, p, filepath.Join(t.TempDir(), "hub.db"), "127.0.0.1:0")
	base := "http://" + h.HTTPAddr().String()

	stream, err := http.Get(base + "/api/v1/stream?types=hazard")
	require.NoError(t, err)
	defer stream.Body.Close()

	e := startEdge(t, t.TempDir(), h.UplinkAddr().String(), p.edgeTLS(t, "edge-1"))
	for _, r := range []uplink.Record{health(), hazard(1), hazard(2)} {
		_, err := e.q.Append(r)
		require.NoError(t, err)
	}
	testutil.CheckFor(t, 10*time.Second, func() error {
		var er edgesResp
		getJSON(t, h, "/api/v1/edges", &er)
		if len(er.Edges) == 1 && er.Edges[0].HighWater == 3 && er.Edges[0].Connected {
			return nil
		}
		return fmt.Errorf("edges: %+v", er.Edges)
	})
	buf := make([]byte, 4096)
	n, err := stream.Body.Read(buf)
	require.NoError(t, err)
	for !strings.Contains(string(buf[:n]), "event: hazard") {
		m, err := stream.Body.Read(buf[n:])
		require.NoError(t, err)
		n += m
	}

	// Authority hazard → the edge (its coverage contains it).
	req, _ := http.NewRequest(http.MethodPost, base+"/api/v1/hazards", strings.NewReader(`{"cause":3,"lat":48.1,"lon":11.3,"radius_m":150}`))
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	require.Equal(t, http.StatusCreated, resp.StatusCode, string(body))
	require.Contains(t, string(body), `"sent_to":["edge-1"]`)
	select {
	case got := <-e.got:
		require.Equal(t, uint8(3), got.Cause)
		require.False(t, got.Terminate)
	case <-time.After(10 * time.Second):
		t.Fatal("authority hazard did not reach the edge")
	}

	var m map[string]any
	require.Equal(t, http.StatusOK, getJSON(t, h, "/healthz", &m))
	require.Equal(t, float64(1), m["edges_connected"])
	resp, err = http.Get(base + "/metrics")
	require.NoError(t, err)
	metrics, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	require.Contains(t, string(metrics), `michi_hub_records_stored_total{kind="hazard"} 2`)
	require.Contains(t, string(metrics), "michi_hub_edges_connected 1")
}

// TestUnknownCertificateRefused: an edge whose certificate another CA signed stores nothing.
func TestUnknownCertificateRefused(t *testing.T) {
	p := newPKI(t)
	h, _ := startHub(t, p, filepath.Join(t.TempDir(), "hub.db"), "127.0.0.1:0")
	other := newPKI(t)
	conf := other.edgeTLS(t, "intruder")
	conf.RootCAs = p.ca.Pool() // it trusts the hub, but the hub does not trust it
	e := startEdge(t, t.TempDir(), h.UplinkAddr().String(), conf)
	_, err := e.q.Append(hazard(1))
	require.NoError(t, err)
	testutil.CheckFor(t, 10*time.Second, func() error {
		if st := e.c.Stats(); st.Failures < 2 || st.Connects > 0 {
			return fmt.Errorf("client: %+v", st)
		}
		return nil
	})
	t.Log("refused:", e.c.Stats().LastError)
	var er edgesResp
	getJSON(t, h, "/api/v1/edges", &er)
	require.Empty(t, er.Edges)
}

// TestHubAndEdgeRestartExactlyOnce: the hub stops, the edge keeps appending and restarts during
// the outage, the hub comes back on the same address and database: every record once.
func TestHubAndEdgeRestartExactlyOnce(t *testing.T) {
	p := newPKI(t)
	dsn := filepath.Join(t.TempDir(), "hub.db")
	qdir := t.TempDir()
	conf := p.edgeTLS(t, "edge-r")
	h, stopHub := startHub(t, p, dsn, "127.0.0.1:0")
	addr := h.UplinkAddr().String()

	e := startEdge(t, qdir, addr, conf)
	for i := 1; i <= 20; i++ {
		_, err := e.q.Append(hazard(i))
		require.NoError(t, err)
	}
	testutil.CheckFor(t, 10*time.Second, func() error {
		var er edgesResp
		getJSON(t, h, "/api/v1/edges", &er)
		if len(er.Edges) == 1 && er.Edges[0].HighWater == 20 {
			return nil
		}
		return fmt.Errorf("edges: %+v", er.Edges)
	})
	stopHub()

	for i := 21; i <= 30; i++ {
		_, err := e.q.Append(hazard(i))
		require.NoError(t, err)
	}
	e.stop() // edge restart during the outage
	e = startEdge(t, qdir, addr, conf)
	for i := 31; i <= 40; i++ {
		_, err := e.q.Append(hazard(i))
		require.NoError(t, err)
	}

	h2, _ := startHub(t, p, dsn, addr)
	testutil.CheckFor(t, 20*time.Second, func() error {
		var er edgesResp
		getJSON(t, h2, "/api/v1/edges", &er)
		if len(er.Edges) == 1 && er.Edges[0].HighWater == 40 {
			return nil
		}
		return fmt.Errorf("edges: %+v", er.Edges)
	})
	var fc struct {
		Features []struct {
			Properties struct {
				Seq uint64 `json:"seq"`
			} `json:"properties"`
		} `json:"features"`
	}
	getJSON(t, h2, "/api/v1/hazard-events?from=-24h", &fc)
	require.Len(t, fc.Features, 40)
	seen := map[uint64]bool{}
	for _, f := range fc.Features {
		require.False(t, seen[f.Properties.Seq], "seq %d twice", f.Properties.Seq)
		seen[f.Properties.Seq] = true
	}
}

// With a certificate the API is served over HTTPS (HTTP/2 too), and plain HTTP gets nothing.
func TestHTTPSAPI(t *testing.T) {
	p := newPKI(t)
	certPEM, keyPEM, err := tlsconf.EncodePEM(p.server)
	require.NoError(t, err)
	dir := t.TempDir()
	certFile, keyFile := filepath.Join(dir, "api.crt"), filepath.Join(dir, "api.key")
	require.NoError(t, os.WriteFile(certFile, certPEM, 0o600))
	require.NoError(t, os.WriteFile(keyFile, keyPEM, 0o600))
	h, _ := startHub(t, p, filepath.Join(dir, "hub.db"), "127.0.0.1:0", func(o *hub.Options) {
		o.HTTPTLSCert, o.HTTPTLSKey = certFile, keyFile
	})
	c := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: p.ca.Pool(), ServerName: "localhost"}, ForceAttemptHTTP2: true}}
	resp, err := c.Get("https://" + h.HTTPAddr().String() + "/healthz")
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.Equal(t, 2, resp.ProtoMajor, "HTTP/2 over TLS")
	plain, err := http.Get("http://" + h.HTTPAddr().String() + "/healthz")
	require.NoError(t, err, "Go's TLS server answers plain HTTP with a 400")
	plain.Body.Close()
	require.Equal(t, http.StatusBadRequest, plain.StatusCode, "no plain HTTP beside it")

	require.ErrorContains(t, (&hub.Options{TLS: &tls.Config{}, HTTPTLSCert: certFile}).Validate(), "give both or neither")
	require.NoError(t, (&hub.Options{TLS: &tls.Config{}, HTTPAddr: "0.0.0.0:9443", HTTPTLSCert: certFile, HTTPTLSKey: keyFile}).Validate(),
		"HTTPS may listen anywhere")
}

// Item 7 of issue 14: the hub's HTTP server bounds slow and idle clients, and serves the live
// stream to MaxStreams subscribers at once.
func TestHubHTTPBounds(t *testing.T) {
	h, _ := startHub(t, newPKI(t), filepath.Join(t.TempDir(), "hub.db"), "127.0.0.1:0", func(o *hub.Options) {
		o.HTTPTimeouts = httpsrv.Timeouts{ReadHeader: 100 * time.Millisecond, Idle: 200 * time.Millisecond}
		o.MaxStreams = 1
	})
	conn, err := net.Dial("tcp", h.HTTPAddr().String())
	require.NoError(t, err)
	defer conn.Close()
	_, err = conn.Write([]byte("GET /healthz HTTP/1.1\r\nHost: x\r\n")) // never the end of the headers
	require.NoError(t, err)
	require.NoError(t, conn.SetReadDeadline(time.Now().Add(5*time.Second)))
	_, err = io.Copy(io.Discard, conn)
	var ne net.Error
	require.False(t, errors.As(err, &ne) && ne.Timeout(), "a trickling client was kept 5 s")

	base := "http://" + h.HTTPAddr().String()
	first, err := http.Get(base + "/api/v1/stream")
	require.NoError(t, err)
	defer first.Body.Close()
	require.Equal(t, http.StatusOK, first.StatusCode)
	second, err := http.Get(base + "/api/v1/stream")
	require.NoError(t, err)
	second.Body.Close()
	require.Equal(t, http.StatusServiceUnavailable, second.StatusCode)
}
