package edge_test

import (
	"bufio"
	"bytes"
	"encoding/json"
	"net"
	"testing"
	"time"

	"github.com/mochi-mqtt/server/v2/packets"
	"github.com/stretchr/testify/require"

	"github.com/michi-v2x/michi/internal/testutil"
	"github.com/michi-v2x/michi/pkg/geo"
	"github.com/michi-v2x/michi/pkg/v2x"
)

// rawClient speaks MQTT 5 over a bare TCP connection, encoded with mochi-mqtt's packet codec,
// so a test controls every packet (no automatic PINGREQ).
type rawClient struct {
	t    *testing.T
	conn net.Conn
	r    *bufio.Reader
}

func dialRaw(t *testing.T, addr, id string, keepalive uint16) *rawClient {
	t.Helper()
	conn, err := net.Dial("tcp", addr)
	require.NoError(t, err)
	t.Cleanup(func() { conn.Close() })
	c := &rawClient{t: t, conn: conn, r: bufio.NewReader(conn)}
	c.send(packets.Packet{FixedHeader: packets.FixedHeader{Type: packets.Connect}, ProtocolVersion: 5,
		Connect: packets.ConnectParams{ProtocolName: []byte("MQTT"), Clean: true, Keepalive: keepalive, ClientIdentifier: id}})
	require.Equal(t, byte(packets.Connack), c.next().FixedHeader.Type)
	return c
}

func (c *rawClient) send(pk packets.Packet) {
	c.t.Helper()
	var buf bytes.Buffer
	var err error
	switch pk.FixedHeader.Type {
	case packets.Connect:
		err = pk.ConnectEncode(&buf)
	case packets.Publish:
		err = pk.PublishEncode(&buf)
	case packets.Pingreq:
		err = pk.PingreqEncode(&buf)
	}
	require.NoError(c.t, err)
	_, err = c.conn.Write(buf.Bytes())
	require.NoError(c.t, err)
}

// next reads the next packet's fixed header (the body is skipped).
func (c *rawClient) next() packets.Packet {
	c.t.Helper()
	require.NoError(c.t, c.conn.SetReadDeadline(time.Now().Add(5*time.Second)))
	b, err := c.r.ReadByte()
	require.NoError(c.t, err)
	var pk packets.Packet
	require.NoError(c.t, pk.FixedHeader.Decode(b))
	pk.FixedHeader.Remaining, _, err = packets.DecodeLength(c.r)
	require.NoError(c.t, err)
	_, err = c.r.Discard(pk.FixedHeader.Remaining)
	require.NoError(c.t, err)
	return pk
}

// Telemetry taken past the broker (internal/broker/inbound.go) is ingested like any other, keeps the connection
// alive, counts in the broker's statistics, reaches a subscriber to inQueue whenever there is
// one, and a bad message among it is rejected without closing the connection.
func TestTelemetryPastTheBroker(t *testing.T) {
	n, clk := startNode(t)
	root := n.Options().Root
	const station = 4201
	source := "com_car_4201"
	cam := func(p geo.Point) packets.Packet {
		m := v2x.NewCAM(v2x.CAMSpec{SourceUUID: source, StationID: station, StationType: v2x.StationPassengerCar,
			Pos: p, SpeedMPS: 10, HeadingDeg: 90, At: clk.Add(100 * time.Millisecond)})
		b, err := json.Marshal(m)
		require.NoError(t, err)
		return packets.Packet{FixedHeader: packets.FixedHeader{Type: packets.Publish}, ProtocolVersion: 5,
			TopicName: v2x.Topic{Root: root, Queue: v2x.InQueue, Type: v2x.TypeCAM, SourceID: source, Quadkey: geo.Quadkey(p, 22)}.String(),
			Payload:   b}
	}
	at := func(i int) geo.Point { return geo.Destination(here, 90, float64(i)) }
	seen := func(i int) {
		t.Helper()
		testutil.CheckFor(t, 5*time.Second, func() error {
			if o, ok := n.LDM().Vehicle(station); !ok || geo.Distance(o.Pos, at(i)) > 0.1 {
				return errNotYet
			}
			return nil
		})
	}

	// Keep-alive 1 s: the broker closes a connection silent for 1.5 s [MQTT-3.1.2-22]. Only
	// telemetry for 2.5 s, then a PINGREQ still gets its answer.
	direct := func() float64 { return metric(t, n, "michi_edge_mqtt_direct_publishes_total") }
	v := dialRaw(t, n.MQTTAddr(), source, 1)
	start, sent := time.Now(), 0
	for ; time.Since(start) < 2500*time.Millisecond; sent++ {
		v.send(cam(at(sent)))
		seen(sent)
		time.Sleep(100 * time.Millisecond)
	}
	require.Equal(t, float64(sent), direct(), "every CAM taken past the broker")
	v.send(packets.Packet{FixedHeader: packets.FixedHeader{Type: packets.Pingreq}})
	require.Equal(t, byte(packets.Pingresp), v.next().FixedHeader.Type)

	// A malformed CAM is rejected, the connection stays, the next CAM counts.
	before := metric(t, n, "michi_edge_rejected_total", "reason=malformed", "type=cam")
	bad := cam(at(100))
	bad.Payload = []byte(`{"not":"a cam"`)
	v.send(bad)
	testutil.CheckFor(t, 5*time.Second, func() error {
		if metric(t, n, "michi_edge_rejected_total", "reason=malformed", "type=cam") != before+1 {
			return errNotYet
		}
		return nil
	})
	v.send(cam(at(101)))
	seen(101)
	require.Equal(t, float64(sent+2), direct())

	// A subscriber to inQueue gets the telemetry (through the broker) while it is subscribed.
	watcher := connect(t, "tcp://"+n.MQTTAddr(), "watcher")
	got := subscribe(t, watcher, root+"/inQueue/#")
	v.send(cam(at(102)))
	seen(102)
	select {
	case m := <-got:
		c, err := v2x.UnmarshalCAM(m.Payload())
		require.NoError(t, err)
		require.InDelta(t, 0, geo.Distance(c.Position(), at(102)), 0.1)
	case <-time.After(5 * time.Second):
		t.Fatal("the inQueue subscriber got nothing")
	}
	require.Equal(t, float64(sent+2), direct(), "through the broker while someone subscribes")
	tok := watcher.Unsubscribe(root + "/inQueue/#")
	require.True(t, tok.WaitTimeout(5*time.Second))
	v.send(cam(at(103)))
	seen(103)
	require.Equal(t, float64(sent+3), direct())
}
