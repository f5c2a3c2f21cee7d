package broker

import (
	"bufio"
	"bytes"
	"fmt"
	"net"
	"strings"
	"testing"
	"time"

	mqtt "github.com/mochi-mqtt/server/v2"
	"github.com/mochi-mqtt/server/v2/packets"
	"github.com/stretchr/testify/require"

	"github.com/michi-v2x/michi/pkg/geo"
	"github.com/michi-v2x/michi/pkg/v2x"
)

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
		benchFanOut(b, func(s *Server, topics []string, payload []byte, expiry uint32) {
			s.PublishRetained(Retained{Topics: topics, Payload: payload, Expiry: expiry, ContentType: "application/json"})
		})
	})
	b.Run("broker", func(b *testing.B) {
		benchFanOut(b, func(s *Server, topics []string, payload []byte, expiry uint32) {
			for _, topic := range topics {
				require.NoError(b, s.mochi.InjectPacket(s.pub, packets.Packet{
					FixedHeader: packets.FixedHeader{Type: packets.Publish, Retain: true}, TopicName: topic, Payload: payload,
					Properties: packets.Properties{MessageExpiryInterval: expiry, PayloadFormat: 1, PayloadFormatFlag: true, ContentType: "application/json"},
				}))
			}
		})
	})
}

// hazardTopics are the topics of a hazard at p, 300 m around, as the edge retains it: one per
// zoom-16 tile, continued to zoom 23 at the tile's point nearest p.
func hazardTopics(p geo.Point) []string {
	var topics []string
	for _, qk := range geo.TilesCoveringCircle(p, 300, 16) {
		cell := geo.Quadkey(p, geo.MaxZoom)
		if !strings.HasPrefix(cell, qk) {
			cell = qk
		}
		topics = append(topics, v2x.Topic{Root: "michi", Queue: v2x.OutQueue, Type: v2x.TypeDENM, SourceID: "michi_edge", Quadkey: cell}.String())
	}
	return topics
}

func benchFanOut(b *testing.B, publish func(s *Server, topics []string, payload []byte, expiry uint32)) {
	s, addr := startServer(b, admitAll{})
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
		rawSubscriber(b, addr, "v"+string(rune('A'+i%26))+string(rune('a'+i/26)), filters, got)
	}
	topics := hazardTopics(center)
	payload := bytes.Repeat([]byte("x"), 700)
	// How many copies one version makes: count them once.
	publish(s, topics, payload, 60)
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
		publish(s, topics, payload, 60)
		for range copies {
			<-got
		}
	}
	b.ReportMetric(float64(copies), "copies/op")
}

// The connections First picks (the vehicles inside the hazard's relevance area) are written to
// first.
func TestFanOutWritesToPickedFirst(t *testing.T) {
	s, _ := startServer(t, admitAll{})
	targets := map[string][]match{}
	for i := range 40 {
		cl := &mqtt.Client{ID: fmt.Sprintf("c%d", i)}
		s.hook.state(cl).Session = i
		targets[cl.ID] = []match{{m: clientMatch{cl: cl}}}
	}
	picked := func(c *Conn) bool { return c.Session.(int)%4 == 0 && c.Session.(int) < 16 } // c0, c4, c8, c12
	rs := s.order(targets, picked)
	require.Len(t, rs, 40)
	for i, r := range rs {
		var id int
		_, err := fmt.Sscanf(r.id, "c%d", &id)
		require.NoError(t, err)
		require.Equal(t, id%4 == 0 && id < 16, i < 4, "recipient %d is %s", i, r.id)
	}
	require.Len(t, s.order(targets, nil), 40, "no First: every recipient, in no order")
}
