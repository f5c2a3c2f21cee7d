package client_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/michi-v2x/michi/internal/edge"
	"github.com/michi-v2x/michi/internal/testutil"
	"github.com/michi-v2x/michi/internal/tlsconf"
	"github.com/michi-v2x/michi/pkg/geo"
	"github.com/michi-v2x/michi/pkg/v2x"
	"github.com/michi-v2x/michi/pkg/v2x/client"
)

// here is where the tests' vehicles drive (Paris).
var here = geo.Point{Lat: 48.8566, Lon: 2.3522}

// certFiles writes a development certificate for the edge's TLS and QUIC listeners, so that a
// restarted node serves the same certificate and a pinned client can reconnect.
func certFiles(t *testing.T) (certFile, keyFile, fingerprint string) {
	t.Helper()
	cert, err := tlsconf.DevCertificate()
	require.NoError(t, err)
	certPEM, keyPEM, err := tlsconf.EncodePEM(cert)
	require.NoError(t, err)
	dir := t.TempDir()
	certFile, keyFile = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	require.NoError(t, os.WriteFile(certFile, certPEM, 0o600))
	require.NoError(t, os.WriteFile(keyFile, keyPEM, 0o600))
	return certFile, keyFile, tlsconf.Fingerprint(cert.Leaf)
}

// edgeOpts are the options of a test edge node serving one transport on loopback port 0: no
// HTTP, no periodic detection (a vehicle's report is disseminated as it arrives).
//
// One listener per node, and nodes stop before their vehicles close, because of a deadlock in
// mochi-mqtt v2.7.9's shutdown: Clients.GetByListener read-locks the client map twice (through
// Len), so a client leaving (Clients.Delete) between the two locks while Server.Close walks its
// listeners blocks both for ever. With one listener and every vehicle still connected when the
// node stops, no client leaves during that walk.
func edgeOpts(t *testing.T, tr transport) edge.Options {
	certFile, keyFile, _ := certFiles(t)
	o := edge.Options{
		EdgeID: "test-edge", StationID: 777,
		MQTTAddr: edge.Off, WSAddr: edge.Off, MQTTTLSAddr: edge.Off, MQTTQUICAddr: edge.Off, QUICAddr: edge.Off,
		HTTPAddr: edge.Off, TLSCert: certFile, TLSKey: keyFile, DetectInterval: time.Hour,
	}
	*tr.addr(&o) = "127.0.0.1:0"
	return o
}

// runEdge runs a node with opts until the returned stop is called or the test ends; the
// vehicles dialled to it meanwhile are closed after it stops (see edgeOpts).
func runEdge(t *testing.T, opts edge.Options) (n *edge.Node, stop func()) {
	t.Helper()
	t.Cleanup(func() { closeVehicles(t) }) // registered first: runs after the node stopped
	n, err := edge.New(opts)
	require.NoError(t, err)
	return n, testutil.Start(t, n)
}

func startEdge(t *testing.T, tr transport) *edge.Node {
	t.Helper()
	n, _ := runEdge(t, edgeOpts(t, tr))
	return n
}

// clientsGone waits until the node's broker has let go of every client but want, so that the
// node can stop without a client leaving during its shutdown (see edgeOpts).
func clientsGone(t *testing.T, n *edge.Node, want int) {
	t.Helper()
	testutil.CheckFor(t, 5*time.Second, func() error {
		rec := httptest.NewRecorder()
		n.Handler().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/metrics", nil))
		for line := range strings.Lines(rec.Body.String()) {
			if v, ok := strings.CutPrefix(strings.TrimSpace(line), "michi_edge_mqtt_clients "); ok {
				if v != strconv.Itoa(want) {
					return fmt.Errorf("%s clients connected, want %d", v, want)
				}
				return nil
			}
		}
		return errors.New("no michi_edge_mqtt_clients metric")
	})
}

var fleets sync.Map // *testing.T → *[]*client.Client, the vehicles a test dialled to an edge

func closeVehicles(t *testing.T) {
	if v, ok := fleets.LoadAndDelete(t); ok {
		for _, c := range *v.(*[]*client.Client) {
			require.NoError(t, c.Close())
		}
	}
}

// transport says how a test vehicle reaches a node over one transport.
type transport struct {
	name   string
	addr   func(o *edge.Options) *string // the node's listener address option
	bound  func(n *edge.Node) string     // the address it is bound to
	scheme string
	path   string
	tls    bool // pin the node's certificate
}

func (tr transport) url(n *edge.Node) string { return tr.scheme + "://" + tr.bound(n) + tr.path }

// mqtt reports whether the transport carries MQTT (tile subscriptions, retained replays).
func (tr transport) mqtt() bool { return tr.name != client.TransportQUIC }

var (
	tcp = transport{name: client.TransportMQTTTCP, scheme: "tcp",
		addr: func(o *edge.Options) *string { return &o.MQTTAddr }, bound: (*edge.Node).MQTTAddr}
	ws = transport{name: client.TransportMQTTWS, scheme: "ws", path: "/mqtt",
		addr: func(o *edge.Options) *string { return &o.WSAddr }, bound: (*edge.Node).WSAddr}
	mqtts = transport{name: client.TransportMQTTTLS, scheme: "mqtts", tls: true,
		addr: func(o *edge.Options) *string { return &o.MQTTTLSAddr }, bound: (*edge.Node).MQTTTLSAddr}
	wss = transport{name: client.TransportMQTTWSS, scheme: "wss", path: "/mqtt", tls: true,
		addr: func(o *edge.Options) *string { return &o.WSSAddr }, bound: (*edge.Node).WSSAddr}
	mqttQUIC = transport{name: client.TransportMQTTQUIC, scheme: "mqtt+quic", tls: true,
		addr: func(o *edge.Options) *string { return &o.MQTTQUICAddr }, bound: (*edge.Node).MQTTQUICAddr}

	quic = transport{name: client.TransportQUIC, scheme: "quic", tls: true,
		addr: func(o *edge.Options) *string { return &o.QUICAddr }, bound: (*edge.Node).QUICAddr}

	mqttTransports = []transport{tcp, ws, mqtts, wss, mqttQUIC}
	allTransports  = []transport{tcp, ws, mqtts, wss, mqttQUIC, quic}
)

func vehicleOpts(n *edge.Node, tr transport, id uint32) client.Options {
	o := client.Options{
		URL: tr.url(n), StationID: id, DialTimeout: 2 * time.Second,
		Backoff: client.Backoff{Min: 10 * time.Millisecond, Max: 200 * time.Millisecond},
		Log:     slog.New(slog.DiscardHandler),
	}
	if tr.tls {
		o.TLS.PinnedFingerprint = n.TLSFingerprint()
	}
	return o
}

// dialVehicle connects an SDK vehicle to n; it is closed after the test's nodes have stopped.
func dialVehicle(t *testing.T, n *edge.Node, tr transport, id uint32, mutate ...func(*client.Options)) *client.Client {
	t.Helper()
	o := vehicleOpts(n, tr, id)
	for _, m := range mutate {
		m(&o)
	}
	c, err := client.Dial(context.Background(), o)
	require.NoError(t, err)
	v, _ := fleets.LoadOrStore(t, new([]*client.Client))
	*v.(*[]*client.Client) = append(*v.(*[]*client.Client), c)
	return c
}

// at sends the vehicle's state at p, which also makes its alert subscriptions follow it.
func at(t *testing.T, c *client.Client, p geo.Point) {
	t.Helper()
	require.NoError(t, c.SendState(ctx(t), client.State{Pos: p, SpeedMPS: 10, HeadingDeg: 90}))
}

// report sends a hazard from c and returns its action id.
func report(t *testing.T, c *client.Client, h client.Hazard) v2x.ActionID {
	t.Helper()
	id, err := c.Report(ctx(t), h)
	require.NoError(t, err)
	return id
}

func ctx(t *testing.T) context.Context {
	c, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	t.Cleanup(cancel)
	return c
}

// nextAlert waits for c's next alert.
func nextAlert(t *testing.T, c *client.Client) client.Alert {
	t.Helper()
	select {
	case a, ok := <-c.Alerts():
		require.True(t, ok, "alerts closed")
		require.NotNil(t, a.DENM)
		return a
	case <-time.After(5 * time.Second):
		t.Fatal("no alert within 5s")
		return client.Alert{}
	}
}

// until reads c's alerts until one satisfies stop and returns the ones before it.
func until(t *testing.T, c *client.Client, stop func(client.Alert) bool) []client.Alert {
	t.Helper()
	var before []client.Alert
	for {
		a := nextAlert(t, c)
		if stop(a) {
			return before
		}
		before = append(before, a)
	}
}

// isHazard matches an alert of cause c at p.
func isHazard(c uint8, p geo.Point) func(client.Alert) bool {
	return func(a client.Alert) bool {
		got, _ := a.DENM.Cause()
		return got == c && geo.Distance(a.DENM.EventPosition(), p) < 1
	}
}

func describe(as []client.Alert) []string {
	var out []string
	for _, a := range as {
		cause, _ := a.DENM.Cause()
		out = append(out, fmt.Sprintf("%s cause %d ref %s", a.ActionID, cause, a.DENM.ReferenceTime().Format(time.StampMilli)))
	}
	return out
}

// closedPort returns a loopback address nothing listens on.
func closedPort(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := ln.Addr().String()
	require.NoError(t, ln.Close())
	return addr
}
