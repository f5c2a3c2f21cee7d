package edge_test

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"sync"
	"testing"
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"
	"github.com/stretchr/testify/require"

	"github.com/michi-v2x/michi/internal/edge"
	"github.com/michi-v2x/michi/internal/testutil"
	"github.com/michi-v2x/michi/pkg/geo"
	"github.com/michi-v2x/michi/pkg/v2x"
)

// clock is a test clock the node reads through Options.Now; tests move it forward explicitly.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Add(d time.Duration) time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
	return c.t
}

// here is where the tests' road lies (Paris).
var here = geo.Point{Lat: 48.8566, Lon: 2.3522}

// startNode runs an edge node on loopback with a test clock and no periodic detection: tests
// call DetectOnce themselves, so every round is deterministic.
func startNode(t *testing.T, mutate ...func(*edge.Options)) (*edge.Node, *clock) {
	t.Helper()
	clk := &clock{t: time.Now().Truncate(time.Millisecond)}
	n, _ := runNode(t, clk, mutate...)
	return n, clk
}

// runNode is startNode on a clock of the test's: the node stops when stop is called or the
// test ends (so a test can start another on the same data dir).
func runNode(t *testing.T, clk *clock, mutate ...func(*edge.Options)) (n *edge.Node, stop func()) {
	t.Helper()
	opts := edge.Options{
		MQTTAddr: "127.0.0.1:0", WSAddr: "127.0.0.1:0", HTTPAddr: "127.0.0.1:0", MQTTQUICAddr: edge.Off, QUICAddr: edge.Off,
		EdgeID: "test-edge", StationID: 777, DetectInterval: time.Hour, Now: clk.Now,
	}
	for _, m := range mutate {
		m(&opts)
	}
	n, err := edge.New(opts)
	require.NoError(t, err)
	return n, testutil.Start(t, n)
}

func connect(t *testing.T, broker, id string) paho.Client {
	t.Helper()
	c := paho.NewClient(paho.NewClientOptions().AddBroker(broker).SetClientID(id).SetOrderMatters(true))
	tok := c.Connect()
	require.True(t, tok.WaitTimeout(5*time.Second), "connect %s", id)
	require.NoError(t, tok.Error())
	t.Cleanup(func() { c.Disconnect(50) })
	return c
}

// publish sends msg as JSON and waits until the broker has it (QoS 1 round trip).
func publish(t *testing.T, c paho.Client, topic string, msg any) {
	t.Helper()
	b, ok := msg.([]byte)
	if !ok {
		var err error
		b, err = json.Marshal(msg)
		require.NoError(t, err)
	}
	tok := c.Publish(topic, 1, false, b)
	require.True(t, tok.WaitTimeout(5*time.Second), "publish %s", topic)
	require.NoError(t, tok.Error())
}

// subscribe collects every message on filter.
func subscribe(t *testing.T, c paho.Client, filter string) <-chan paho.Message {
	t.Helper()
	ch := make(chan paho.Message, 256)
	tok := c.Subscribe(filter, 1, func(_ paho.Client, m paho.Message) { ch <- m })
	require.True(t, tok.WaitTimeout(5*time.Second))
	require.NoError(t, tok.Error())
	return ch
}

// nextDENM waits for the next DENM on ch.
func nextDENM(t *testing.T, ch <-chan paho.Message) (*v2x.DENM, string) {
	t.Helper()
	select {
	case m := <-ch:
		d, err := v2x.UnmarshalDENM(m.Payload())
		require.NoError(t, err, "payload %s", m.Payload())
		require.NoError(t, d.Validate())
		return d, m.Topic()
	case <-time.After(5 * time.Second):
		t.Fatal("no DENM within 5s")
		return nil, ""
	}
}

// vehicle is a test vehicle that publishes its CAMs through its own MQTT connection.
type vehicle struct {
	id     uint32
	source string
	c      paho.Client
	root   string
}

func newVehicle(t *testing.T, n *edge.Node, id uint32) *vehicle {
	source := fmt.Sprintf("com_car_%d", id)
	return &vehicle{id: id, source: source, c: connect(t, "tcp://"+n.MQTTAddr(), source), root: n.Options().Root}
}

func (v *vehicle) cam(t *testing.T, at time.Time, p geo.Point, speed, heading float64) {
	t.Helper()
	m := v2x.NewCAM(v2x.CAMSpec{SourceUUID: v.source, StationID: v.id, StationType: v2x.StationPassengerCar,
		Pos: p, SpeedMPS: speed, HeadingDeg: heading, At: at})
	publish(t, v.c, v2x.Topic{Root: v.root, Queue: v2x.InQueue, Type: v2x.TypeCAM, SourceID: v.source, Quadkey: geo.Quadkey(p, 22)}.String(), m)
}

func (v *vehicle) denm(t *testing.T, spec v2x.DENMSpec) {
	t.Helper()
	spec.SourceUUID, spec.StationID = v.source, v.id
	if spec.StationType == 0 {
		spec.StationType = v2x.StationPassengerCar
	}
	if spec.ActionID.OriginatingStationID == 0 {
		spec.ActionID.OriginatingStationID = v.id
	}
	m := v2x.NewDENM(spec)
	publish(t, v.c, v2x.Topic{Root: v.root, Queue: v2x.InQueue, Type: v2x.TypeDENM, SourceID: v.source, Quadkey: geo.Quadkey(spec.Pos, 22)}.String(), m)
}

// denmFilter is what a vehicle at p subscribes to: its zoom-z tile's DENMs from any source.
func denmFilter(n *edge.Node, p geo.Point, zoom int) string {
	return v2x.SubscriptionFilter(n.Options().Root, v2x.OutQueue, v2x.TypeDENM, geo.Quadkey(p, zoom))
}

func getJSON(t *testing.T, url string, into any) {
	t.Helper()
	resp, err := http.Get(url)
	require.NoError(t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, resp.StatusCode, "%s: %s", url, b)
	require.NoError(t, json.Unmarshal(b, into), "%s", b)
}

// checkFor polls fn until it returns nil or the timeout passes.
// waitActive waits until the edge has exactly want active hazards.
func waitActive(t *testing.T, n *edge.Node, want int) {
	t.Helper()
	testutil.CheckFor(t, 5*time.Second, func() error {
		if len(n.Hazards().Active()) != want {
			return errNotYet
		}
		return nil
	})
}

// startBare runs a node with o and only an MQTT listener on loopback until it is ready, or
// returns why it stopped first; a ready node stops when the test ends.
func startBare(t *testing.T, o edge.Options) (*edge.Node, error) {
	t.Helper()
	o.MQTTAddr, o.WSAddr, o.HTTPAddr, o.MQTTQUICAddr, o.QUICAddr = "127.0.0.1:0", edge.Off, edge.Off, edge.Off, edge.Off
	n, err := edge.New(o)
	require.NoError(t, err)
	if _, err := testutil.Serve(t, n); err != nil {
		return nil, err
	}
	return n, nil
}
