package edge

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"net"
	"testing"
	"time"

	mqtt "github.com/mochi-mqtt/server/v2"
	"github.com/mochi-mqtt/server/v2/packets"
	"github.com/stretchr/testify/require"

	"github.com/michi-v2x/michi/internal/hazard"
	"github.com/michi-v2x/michi/pkg/geo"
	"github.com/michi-v2x/michi/pkg/v2x"
)

// benchNode runs a node with only its MQTT listener, on loopback.
func benchNode(tb testing.TB) *Node {
	tb.Helper()
	n, err := New(Options{MQTTAddr: "127.0.0.1:0", WSAddr: Off, HTTPAddr: Off, MQTTQUICAddr: Off, QUICAddr: Off, DetectInterval: time.Hour})
	require.NoError(tb, err)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- n.Run(ctx) }()
	tb.Cleanup(func() { cancel(); <-done })
	<-n.Ready()
	return n
}

// rawSubscriber connects as an MQTT 5 client, subscribes to filters and counts the PUBLISH
// packets it reads afterwards on got.
func rawSubscriber(tb testing.TB, addr, id string, filters []string, got chan<- struct{}) {
	tb.Helper()
	conn, err := net.Dial("tcp", addr)
	require.NoError(tb, err)
	tb.Cleanup(func() { conn.Close() })
	var buf bytes.Buffer
	connect := packets.Packet{FixedHeader: packets.FixedHeader{Type: packets.Connect}, ProtocolVersion: 5,
		Connect: packets.ConnectParams{ProtocolName: []byte("MQTT"), ClientIdentifier: id, Clean: true, Keepalive: 600}}
	require.NoError(tb, connect.ConnectEncode(&buf))
	sub := packets.Packet{FixedHeader: packets.FixedHeader{Type: packets.Subscribe, Qos: 1}, ProtocolVersion: 5, PacketID: 1}
	for _, f := range filters {
		sub.Filters = append(sub.Filters, packets.Subscription{Filter: f})
	}
	require.NoError(tb, sub.SubscribeEncode(&buf))
	_, err = conn.Write(buf.Bytes())
	require.NoError(tb, err)
	r := bufio.NewReaderSize(conn, 16<<10)
	readPacket := func() (byte, error) {
		b, err := r.ReadByte()
		if err != nil {
			return 0, err
		}
		var fh packets.FixedHeader
		if err := fh.Decode(b); err != nil {
			return 0, err
		}
		n, _, err := packets.DecodeLength(r)
		if err != nil {
			return 0, err
		}
		_, err = r.Discard(n)
		return fh.Type, err
	}
	for _, want := range []byte{packets.Connack, packets.Suback} {
		typ, err := readPacket()
		require.NoError(tb, err)
		require.Equal(tb, want, typ)
	}
	go func() {
		for {
			typ, err := readPacket()
			if err != nil {
				return
			}
			if typ == packets.Publish {
				got <- struct{}{}
			}
		}
	}()
}

// BenchmarkFanOut is one hazard version reaching 240 MQTT vehicles subscribed, as the bench's
// vehicles are, to their zoom-16 tile and its 8 neighbours, from the publish to the last copy
// read: retain, match, encode, write, read. "lane" is the edge's fan-out, "broker" the same
// messages through mochi-mqtt's own publish path, for comparison.
func BenchmarkFanOut(b *testing.B) {
	b.Run("lane", func(b *testing.B) {
		benchFanOut(b, func(n *Node, topics []string, payload []byte, expiry uint32) {
			n.publishRetained(topics, payload, expiry, nil)
		})
	})
	b.Run("broker", func(b *testing.B) {
		benchFanOut(b, func(n *Node, topics []string, payload []byte, expiry uint32) {
			for _, topic := range topics {
				require.NoError(b, n.broker.InjectPacket(n.pub, packets.Packet{
					FixedHeader: packets.FixedHeader{Type: packets.Publish, Retain: true}, TopicName: topic, Payload: payload,
					Properties: packets.Properties{MessageExpiryInterval: expiry, PayloadFormat: 1, PayloadFormatFlag: true, ContentType: "application/json"},
				}))
			}
		})
	})
}

func benchFanOut(b *testing.B, publish func(n *Node, topics []string, payload []byte, expiry uint32)) {
	n := benchNode(b)
	center := geo.Point{Lat: 45.76, Lon: 4.84}
	const vehicles = 240
	got := make(chan struct{}, 1<<16)
	for i := range vehicles {
		p := geo.Destination(center, float64(i)*360/vehicles, float64(50+i*3)) // within ~800 m
		qk := geo.Quadkey(p, 16)
		var filters []string
		for _, t := range append(geo.QuadkeyNeighbours(qk), qk) {
			filters = append(filters, v2x.Topic{Root: "michi", Queue: v2x.OutQueue, Type: v2x.TypeDENM, SourceID: "+", Quadkey: t}.String()+"/#")
		}
		rawSubscriber(b, n.MQTTAddr(), "v"+string(rune('A'+i%26))+string(rune('a'+i/26)), filters, got)
	}
	topics := n.hazardTopics(hazard.Hazard{Pos: center, RadiusM: 300})
	payload := bytes.Repeat([]byte("x"), 700)
	// How many copies one version makes: count them once.
	publish(n, topics, payload, 60)
	copies := 0
	for quiet := false; !quiet; {
		select {
		case <-got:
			copies++
		case <-time.After(200 * time.Millisecond):
			quiet = true
		}
	}
	require.Greater(b, copies, vehicles, "every vehicle gets at least one copy")
	b.ResetTimer()
	for range b.N {
		publish(n, topics, payload, 60)
		for range copies {
			<-got
		}
	}
	b.ReportMetric(float64(copies), "copies/op")
}

// A connection's vehicle is known from its CAMs, and the fan-out writes first to the connections
// whose vehicles are inside the hazard's relevance area.
func TestFanOutWritesToVehiclesInsideFirst(t *testing.T) {
	n := benchNode(t)
	center := geo.Point{Lat: 45.76, Lon: 4.84}
	var targets = map[string][]match{}
	for i := range 40 {
		cl := &mqtt.Client{ID: fmt.Sprintf("c%d", i)}
		st := n.hook.state(cl)
		if i%4 == 0 { // every fourth vehicle reports its position, the others never sent a CAM
			at := time.Now().Add(time.Duration(i) * time.Millisecond)
			p := geo.Destination(center, 90, float64(i)*20) // 0 … 720 m east
			source := fmt.Sprintf("com_car_%d", i)
			cam, err := v2x.NewCAM(v2x.CAMSpec{SourceUUID: source, StationID: uint32(1000 + i), StationType: v2x.StationPassengerCar, Pos: p, SpeedMPS: 10, HeadingDeg: 90, At: at}).MarshalJSON()
			require.NoError(t, err)
			topic := v2x.Topic{Root: "michi", Queue: v2x.InQueue, Type: v2x.TypeCAM, SourceID: source, Quadkey: geo.Quadkey(p, 22)}.String()
			require.NoError(t, n.ingest(st, topic, cam))
			require.Equal(t, uint32(1000+i), st.station.Load())
		}
		targets[cl.ID] = []match{{m: clientMatch{cl: cl}}}
	}
	near := n.stationsNear(hazard.Hazard{Pos: center, RadiusM: 300}) // stations 1000 … 1012: 0 … 240 m
	require.Len(t, near, 4)
	rs := n.order(targets, near)
	require.Len(t, rs, 40)
	for i, r := range rs {
		var id int
		_, err := fmt.Sscanf(r.id, "c%d", &id)
		require.NoError(t, err)
		inside := id%4 == 0 && id*20 <= 300
		require.Equal(t, inside, i < len(near), "recipient %d is %s", i, r.id)
	}
}
