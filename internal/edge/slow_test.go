package edge_test

import (
	"bufio"
	"bytes"
	"net"
	"testing"
	"time"

	"github.com/mochi-mqtt/server/v2/packets"
	"github.com/stretchr/testify/require"

	"github.com/michi-v2x/michi/internal/edge"
	"github.com/michi-v2x/michi/pkg/geo"
	"github.com/michi-v2x/michi/pkg/v2x"
)

// stalledClient connects, subscribes to everything on outQueue and then never reads again.
func stalledClient(t *testing.T, addr string) net.Conn {
	t.Helper()
	conn, err := net.Dial("tcp", addr)
	require.NoError(t, err)
	t.Cleanup(func() { conn.Close() })
	require.NoError(t, conn.(*net.TCPConn).SetReadBuffer(4096))
	var buf bytes.Buffer
	connect := packets.Packet{FixedHeader: packets.FixedHeader{Type: packets.Connect}, ProtocolVersion: 4,
		Connect: packets.ConnectParams{ProtocolName: []byte("MQTT"), ClientIdentifier: "stalled", Clean: true, Keepalive: 600}}
	require.NoError(t, connect.ConnectEncode(&buf))
	sub := packets.Packet{FixedHeader: packets.FixedHeader{Type: packets.Subscribe, Qos: 1}, ProtocolVersion: 4, PacketID: 1,
		Filters: packets.Subscriptions{{Filter: "michi/outQueue/#", Qos: 0}}}
	require.NoError(t, sub.SubscribeEncode(&buf))
	_, err = conn.Write(buf.Bytes())
	require.NoError(t, err)
	// Read CONNACK and SUBACK (4 + 5 bytes), then stop reading for good.
	r := bufio.NewReader(conn)
	_, err = r.Discard(9)
	require.NoError(t, err)
	return conn
}

func TestStalledSubscriberIsEvictedAndDelaysNoOne(t *testing.T) {
	n, clk := startNode(t, func(o *edge.Options) { o.ClientQueue, o.SlowClientDrops = 16, 8 })
	stalledClient(t, n.MQTTAddr())
	event := geo.Destination(here, 45, 200)
	var listeners [](<-chan []byte)
	for i := range 8 {
		ch := make(chan []byte, 16)
		sub := subscribe(t, connect(t, "tcp://"+n.MQTTAddr(), "listener-"+string(rune('a'+i))), denmFilter(n, event, 16))
		go func() {
			for m := range sub {
				ch <- m.Payload()
			}
		}()
		listeners = append(listeners, ch)
	}

	// Telemetry the edge forwards to outQueue floods the stalled client until it is evicted.
	v := newVehicle(t, n, 1)
	for i := 0; metric(t, n, "michi_edge_mqtt_evicted_total") < 1; i++ {
		require.Less(t, i, 200, "the stalled client was never evicted")
		for range 100 {
			at := clk.Add(time.Millisecond)
			m := v2x.NewCAM(v2x.CAMSpec{SourceUUID: v.source, StationID: 1, StationType: v2x.StationPassengerCar, Pos: here, SpeedMPS: 10, HeadingDeg: 90, At: at})
			b, _ := m.MarshalJSON()
			v.c.Publish(camTopic(v.source, here), 0, false, b)
		}
		publish(t, v.c, camTopic(v.source, here), camJSON(t, v.source, 1, clk.Add(time.Millisecond), here, nil)) // QoS 1: wait for the broker
	}

	// Everyone else still gets the hazard.
	now := clk.Now()
	newVehicle(t, n, 2).denm(t, v2x.DENMSpec{Cause: v2x.CauseAccident, Pos: event, Detection: now, Reference: now, At: now})
	for i, ch := range listeners {
		select {
		case p := <-ch:
			d, err := v2x.UnmarshalDENM(p)
			require.NoError(t, err)
			c, _ := d.Cause()
			require.Equal(t, uint8(v2x.CauseAccident), c)
		case <-time.After(5 * time.Second):
			t.Fatalf("listener %d got no alert", i)
		}
	}
	require.GreaterOrEqual(t, metric(t, n, "michi_edge_mqtt_dropped_total"), 8.0)
}

// Alerts reach MQTT vehicles through the edge's connection lanes (internal/broker/fanout.go), not the broker's
// queues: a subscriber that stops reading fills its lane, is evicted for it, and delays no one.
func TestStalledAlertSubscriberIsEvictedAndDelaysNoOne(t *testing.T) {
	n, clk := startNode(t, func(o *edge.Options) { o.ClientQueue, o.SlowClientDrops = 8, 4 })
	stalledClient(t, n.MQTTAddr())
	event := geo.Destination(here, 45, 200)
	sub := subscribe(t, connect(t, "tcp://"+n.MQTTAddr(), "listener"), denmFilter(n, event, 16))

	// A hazard report moved 1 km each time, each version an alert, until the stalled client's lane overflows.
	reporter := newVehicle(t, n, 2)
	for i := 0; i%50 != 0 || metric(t, n, "michi_edge_mqtt_evicted_total") < 1; i++ {
		require.Less(t, i, 5000, "the stalled client was never evicted")
		now := clk.Add(time.Millisecond)
		p := geo.Destination(geo.Destination(here, 180, 5000), 90, float64(i)*1000)
		reporter.denm(t, v2x.DENMSpec{Cause: v2x.CauseAnimal, Pos: p, Detection: now, Reference: now, At: now})
	}
	require.GreaterOrEqual(t, metric(t, n, "michi_edge_mqtt_dropped_total"), 4.0)

	now := clk.Now()
	reporter.denm(t, v2x.DENMSpec{Cause: v2x.CauseAccident, Pos: event, Detection: now, Reference: now, At: now})
	select {
	case m := <-sub:
		d, err := v2x.UnmarshalDENM(m.Payload())
		require.NoError(t, err)
		require.True(t, isCause(v2x.CauseAccident, event)(d))
	case <-time.After(5 * time.Second):
		t.Fatal("the listener got no alert")
	}
}
