package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"
	"github.com/stretchr/testify/require"

	"github.com/michi-v2x/michi/internal/edge"
	"github.com/michi-v2x/michi/internal/hub"
	"github.com/michi-v2x/michi/internal/hub/store"
	"github.com/michi-v2x/michi/internal/ldm"
	"github.com/michi-v2x/michi/internal/testutil"
	"github.com/michi-v2x/michi/internal/tlsconf"
	"github.com/michi-v2x/michi/pkg/geo"
	"github.com/michi-v2x/michi/pkg/v2x"
	"github.com/michi-v2x/michi/pkg/v2x/native"
)

func testLog() *slog.Logger {
	if os.Getenv("E2E_LOG") != "" {
		return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	return slog.New(slog.DiscardHandler)
}

const token = "e2e-token-0123456789abcdef"

// Two neighbouring edges' areas in Paris, split at longitude 2.35, and one far away (Lyon).
var (
	boxA   = geo.Box{Min: geo.Point{Lat: 48.84, Lon: 2.30}, Max: geo.Point{Lat: 48.87, Lon: 2.35}}
	boxB   = geo.Box{Min: geo.Point{Lat: 48.84, Lon: 2.35}, Max: geo.Point{Lat: 48.87, Lon: 2.40}}
	boxFar = geo.Box{Min: geo.Point{Lat: 45.70, Lon: 4.80}, Max: geo.Point{Lat: 45.80, Lon: 4.90}}
	border = geo.Point{Lat: 48.855, Lon: 2.35}
)

func bbox(b geo.Box) string {
	return fmt.Sprintf("%g,%g,%g,%g", b.Min.Lon, b.Min.Lat, b.Max.Lon, b.Max.Lat)
}

// pki is a throwaway CA with the hub's certificate, as files the way `cloud-hub pki` writes them.
type pki struct {
	dir                    string
	ca                     *tlsconf.CA
	caFile, hubCrt, hubKey string
}

func newPKI(t *testing.T) *pki {
	t.Helper()
	p := &pki{dir: t.TempDir()}
	var err error
	p.ca, err = tlsconf.NewCA("michi e2e CA")
	require.NoError(t, err)
	p.caFile, p.hubCrt, p.hubKey = filepath.Join(p.dir, "ca.crt"), filepath.Join(p.dir, "hub.crt"), filepath.Join(p.dir, "hub.key")
	require.NoError(t, p.ca.WriteFiles(p.caFile, filepath.Join(p.dir, "ca.key")))
	srv, err := p.ca.IssueServer("michi hub")
	require.NoError(t, err)
	require.NoError(t, tlsconf.WriteKeyPair(srv, p.hubCrt, p.hubKey))
	return p
}

// edgeCert issues a client certificate whose CommonName is the edge id.
func (p *pki) edgeCert(t *testing.T, name string) (certFile, keyFile string) {
	t.Helper()
	c, err := p.ca.IssueClient(name)
	require.NoError(t, err)
	certFile, keyFile = filepath.Join(p.dir, name+".crt"), filepath.Join(p.dir, name+".key")
	require.NoError(t, tlsconf.WriteKeyPair(c, certFile, keyFile))
	return certFile, keyFile
}

// testHub is a hub running in-process.
type testHub struct {
	h    *hub.Hub
	base string // http://host:port
	stop func()
}

// startHub runs a hub as cmd/cloud-hub builds it (certificate files, SQLite at dsn) until the
// test ends or stop is called.
func startHub(t *testing.T, p *pki, dsn, uplinkAddr string) *testHub {
	t.Helper()
	h, err := hub.New(hub.Options{
		UplinkAddr: uplinkAddr, HTTPAddr: "127.0.0.1:0",
		TLSCert: p.hubCrt, TLSKey: p.hubKey, ClientCA: p.caFile,
		Token: token, Store: store.Options{DSN: dsn}, ReconcileEvery: time.Second,
		Log: slog.New(slog.DiscardHandler),
	})
	require.NoError(t, err)
	stop := testutil.Start(t, h)
	return &testHub{h: h, base: "http://" + h.HTTPAddr().String(), stop: stop}
}

func (h *testHub) uplinkAddr() string { return h.h.UplinkAddr().String() }

// testEdge is an edge node running in-process with an uplink to a hub.
type testEdge struct {
	n    *edge.Node
	opts edge.Options
	stop func()
}

// edgeOptions are an edge's options for the tests: loopback listeners on free ports, the
// native QUIC listener off, a fast health period, traffic sampled only when a test says so
// (Node.SampleTraffic), fast reconnects, vehicles kept in the LDM for the whole test.
func edgeOptions(t *testing.T, p *pki, name, hubAddr string) edge.Options {
	t.Helper()
	cert, key := p.edgeCert(t, name)
	return edge.Options{
		EdgeID:   name,
		MQTTAddr: "127.0.0.1:0", WSAddr: edge.Off, HTTPAddr: "127.0.0.1:0", MQTTQUICAddr: edge.Off, QUICAddr: edge.Off,
		DataDir: t.TempDir(), HubAddr: hubAddr, HubCA: p.caFile, EdgeCert: cert, EdgeKey: key,
		Uplink: edge.UplinkOptions{HealthEvery: 200 * time.Millisecond, TrafficSample: 30 * time.Second,
			BackoffMin: 20 * time.Millisecond, BackoffMax: 200 * time.Millisecond},
		LDM: ldm.Options{VehicleTTL: 5 * time.Minute},
		Log: testLog(),
	}
}

// startEdge runs an edge node until the test ends or stop is called.
func startEdge(t *testing.T, opts edge.Options) *testEdge {
	t.Helper()
	n, err := edge.New(opts)
	require.NoError(t, err)
	return &testEdge{n: n, opts: opts, stop: testutil.Start(t, n)}
}

// call does an HTTP request and returns the status and body; token authorises writes.
func call(t *testing.T, method, url, body string) (int, []byte) {
	t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	require.NoError(t, err)
	if method != http.MethodGet {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return resp.StatusCode, b
}

func getJSON(t *testing.T, url string, into any) {
	t.Helper()
	status, b := call(t, http.MethodGet, url, "")
	require.Equal(t, http.StatusOK, status, "%s: %s", url, b)
	require.NoError(t, json.Unmarshal(b, into), "%s", b)
}

// The hub API's answers, as far as the tests read them.
type (
	edgeInfo struct {
		ID        string `json:"id"`
		Connected bool   `json:"connected"`
		HighWater uint64 `json:"high_water"`
		Health    *struct {
			Seq      uint64 `json:"seq"`
			Clients  int    `json:"clients"`
			Vehicles int    `json:"vehicles"`
			Coverage *struct {
				MinLat float64 `json:"min_lat"`
				MinLon float64 `json:"min_lon"`
				MaxLat float64 `json:"max_lat"`
				MaxLon float64 `json:"max_lon"`
			} `json:"coverage"`
		} `json:"health"`
	}
	featureCollection struct {
		Features []struct {
			ID         string         `json:"id"`
			Properties map[string]any `json:"properties"`
		} `json:"features"`
	}
)

// edgesAtHub returns the hub's view of its edges by id.
func edgesAtHub(t *testing.T, h *testHub) map[string]edgeInfo {
	t.Helper()
	var resp struct {
		Edges []edgeInfo `json:"edges"`
	}
	getJSON(t, h.base+"/api/v1/edges", &resp)
	out := map[string]edgeInfo{}
	for _, e := range resp.Edges {
		out[e.ID] = e
	}
	return out
}

// waitCoverage waits until the hub has the edges connected with a coverage from their health.
func waitCoverage(t *testing.T, h *testHub, ids ...string) {
	t.Helper()
	testutil.CheckFor(t, 10*time.Second, func() error {
		edges := edgesAtHub(t, h)
		for _, id := range ids {
			if e := edges[id]; !e.Connected || e.Health == nil || e.Health.Coverage == nil {
				return fmt.Errorf("edge %s at the hub: %+v", id, e)
			}
		}
		return nil
	})
}

// mqttClient connects a paho client to an edge's MQTT listener.
func mqttClient(t *testing.T, e *testEdge, id string) paho.Client {
	t.Helper()
	c := paho.NewClient(paho.NewClientOptions().AddBroker("tcp://" + e.n.MQTTAddr()).SetClientID(id).SetOrderMatters(true).SetAutoReconnect(false))
	tok := c.Connect()
	require.True(t, tok.WaitTimeout(5*time.Second), "connect %s", id)
	require.NoError(t, tok.Error())
	t.Cleanup(func() { c.Disconnect(50) })
	return c
}

// subscribeDENMs subscribes a vehicle at p to the DENMs of its zoom-16 tile, as the SDK does.
func subscribeDENMs(t *testing.T, c paho.Client, p geo.Point) <-chan *v2x.DENM {
	t.Helper()
	ch := make(chan *v2x.DENM, 64)
	filter := v2x.SubscriptionFilter("michi", v2x.OutQueue, v2x.TypeDENM, geo.Quadkey(p, 16))
	tok := c.Subscribe(filter, 1, func(_ paho.Client, m paho.Message) {
		if d, err := v2x.UnmarshalDENM(m.Payload()); err == nil {
			ch <- d
		}
	})
	require.True(t, tok.WaitTimeout(5*time.Second))
	require.NoError(t, tok.Error())
	return ch
}

// nextDENM waits for a DENM on ch that match accepts, skipping others.
func nextDENM(t *testing.T, ch <-chan *v2x.DENM, what string, match func(*v2x.DENM) bool) *v2x.DENM {
	t.Helper()
	timeout := time.After(10 * time.Second)
	for {
		select {
		case d := <-ch:
			if match(d) {
				return d
			}
		case <-timeout:
			t.Fatalf("no DENM within 10 s: %s", what)
			return nil
		}
	}
}

func isCause(cause uint8, terminated bool) func(*v2x.DENM) bool {
	return func(d *v2x.DENM) bool {
		c, _ := d.Cause()
		_, term := d.Termination()
		return c == cause && term == terminated
	}
}

// vehicle publishes as one station over its own MQTT connection.
type vehicle struct {
	id     uint32
	source string
	c      paho.Client
}

func newVehicle(t *testing.T, e *testEdge, id uint32) *vehicle {
	source := fmt.Sprintf("com_car_%d", id)
	return &vehicle{id: id, source: source, c: mqttClient(t, e, source)}
}

func (v *vehicle) publish(t *testing.T, typ v2x.MessageType, p geo.Point, msg any) {
	t.Helper()
	b, err := json.Marshal(msg)
	require.NoError(t, err)
	topic := v2x.Topic{Root: "michi", Queue: v2x.InQueue, Type: typ, SourceID: v.source, Quadkey: geo.Quadkey(p, 22)}.String()
	tok := v.c.Publish(topic, 1, false, b)
	require.True(t, tok.WaitTimeout(5*time.Second))
	require.NoError(t, tok.Error())
}

func (v *vehicle) cam(t *testing.T, at time.Time, p geo.Point, speed float64) {
	t.Helper()
	v.publish(t, v2x.TypeCAM, p, v2x.NewCAM(v2x.CAMSpec{SourceUUID: v.source, StationID: v.id, StationType: v2x.StationPassengerCar,
		Pos: p, SpeedMPS: speed, HeadingDeg: 90, At: at}))
}

// report publishes a DENM of the vehicle's own event seq; term ends it.
func (v *vehicle) report(t *testing.T, at time.Time, seq uint16, cause uint8, p geo.Point, term *v2x.Termination) {
	t.Helper()
	v.publish(t, v2x.TypeDENM, p, v2x.NewDENM(v2x.DENMSpec{SourceUUID: v.source, StationID: v.id, StationType: v2x.StationPassengerCar,
		ActionID: v2x.ActionID{OriginatingStationID: v.id, SequenceNumber: seq}, Cause: cause, Pos: p,
		Detection: at, Reference: at, Termination: term, At: at}))
}

// quicVehicle is a vehicle on the native QUIC protocol, tracked by the edge at its position.
func quicVehicle(t *testing.T, e *testEdge, id uint32, p geo.Point) *native.Conn {
	t.Helper()
	conf, err := tlsconf.ClientConfig(tlsconf.ClientOptions{PinnedFingerprint: e.n.TLSFingerprint(), ALPN: []string{native.ALPN}})
	require.NoError(t, err)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	source := fmt.Sprintf("com_car_%d", id)
	c, err := native.Dial(ctx, e.n.QUICAddr(), conf, native.Hello{StationID: id, StationType: v2x.StationPassengerCar, SourceUUID: source})
	require.NoError(t, err)
	t.Cleanup(func() { c.Close() })
	require.NoError(t, c.SendCAM(v2x.NewCAM(v2x.CAMSpec{SourceUUID: source, StationID: id, StationType: v2x.StationPassengerCar,
		Pos: p, SpeedMPS: 10, HeadingDeg: 90, At: time.Now()})))
	testutil.CheckFor(t, 5*time.Second, func() error {
		if _, ok := e.n.LDM().Vehicle(id); !ok {
			return fmt.Errorf("vehicle %d not tracked yet", id)
		}
		return nil
	})
	return c
}

// nextAlert waits for a native alert that match accepts, skipping others.
func nextAlert(t *testing.T, c *native.Conn, what string, match func(*v2x.DENM) bool) *v2x.DENM {
	t.Helper()
	timeout := time.After(10 * time.Second)
	for {
		select {
		case a, ok := <-c.Alerts():
			require.True(t, ok, "connection ended: %v", c.Err())
			if match(a.DENM) {
				return a.DENM
			}
		case <-timeout:
			t.Fatalf("no alert within 10 s: %s", what)
			return nil
		}
	}
}
