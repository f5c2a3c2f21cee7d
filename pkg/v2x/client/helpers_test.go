package client_test

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/michi-v2x/michi/internal/edge"
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

// edgeOpts are the options of a test edge node: every MQTT listener on loopback port 0, no HTTP,
// no periodic detection (a vehicle's report is disseminated as it arrives).
func edgeOpts(t *testing.T) edge.Options {
	certFile, keyFile, _ := certFiles(t)
	return edge.Options{
		EdgeID: "test-edge", StationID: 777,
		MQTTAddr: "127.0.0.1:0", WSAddr: "127.0.0.1:0", MQTTTLSAddr: "127.0.0.1:0", MQTTQUICAddr: "127.0.0.1:0",
		HTTPAddr: edge.Off, TLSCert: certFile, TLSKey: keyFile, DetectInterval: time.Hour,
	}
}

// runEdge runs a node with opts until the returned stop is called (or the test ends).
func runEdge(t *testing.T, opts edge.Options) (n *edge.Node, stop func()) {
	t.Helper()
	n, err := edge.New(opts)
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- n.Run(ctx) }()
	var stopped bool
	stop = func() {
		if !stopped {
			stopped = true
			cancel()
			require.NoError(t, <-done)
		}
	}
	t.Cleanup(stop)
	select {
	case <-n.Ready():
	case err := <-done:
		t.Fatalf("edge stopped before ready: %v", err)
	case <-time.After(10 * time.Second):
		t.Fatal("edge not ready within 10s")
	}
	return n, stop
}

func startEdge(t *testing.T) *edge.Node {
	t.Helper()
	n, _ := runEdge(t, edgeOpts(t))
	return n
}

// transport says how a test vehicle reaches a node over one transport.
type transport struct {
	name string
	url  func(n *edge.Node) string
	tls  bool // pin the node's certificate
}

var mqttTransports = []transport{
	{client.TransportMQTTTCP, func(n *edge.Node) string { return "tcp://" + n.MQTTAddr() }, false},
	{client.TransportMQTTWS, func(n *edge.Node) string { return "ws://" + n.WSAddr() + "/mqtt" }, false},
	{client.TransportMQTTTLS, func(n *edge.Node) string { return "mqtts://" + n.MQTTTLSAddr() }, true},
	{client.TransportMQTTQUIC, func(n *edge.Node) string { return "mqtt+quic://" + n.MQTTQUICAddr() }, true},
}

func vehicleOpts(n *edge.Node, tr transport, id uint32) client.Options {
	o := client.Options{
		URL: tr.url(n), StationID: id,
		Backoff: client.Backoff{Min: 10 * time.Millisecond, Max: 200 * time.Millisecond},
		Log:     slog.New(slog.DiscardHandler),
	}
	if tr.tls {
		o.TLS.PinnedFingerprint = n.TLSFingerprint()
	}
	return o
}

// dialVehicle connects an SDK vehicle to n; the test closes it.
func dialVehicle(t *testing.T, n *edge.Node, tr transport, id uint32, mutate ...func(*client.Options)) *client.Client {
	t.Helper()
	o := vehicleOpts(n, tr, id)
	for _, m := range mutate {
		m(&o)
	}
	c, err := client.Dial(context.Background(), o)
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, c.Close()) })
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

// checkFor polls fn until it returns nil or the timeout passes.
func checkFor(t *testing.T, timeout time.Duration, fn func() error) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		err := fn()
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("condition not met within %s: %v", timeout, err)
		}
		time.Sleep(5 * time.Millisecond)
	}
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
