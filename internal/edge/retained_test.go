package edge_test

import (
	"bufio"
	"bytes"
	"io"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/mochi-mqtt/server/v2/packets"
	"github.com/stretchr/testify/require"

	"github.com/michi-v2x/michi/pkg/geo"
	"github.com/michi-v2x/michi/pkg/v2x"
)

// v5conn is a bare MQTT 5 client: paho speaks 3.1.1, without retain handling or subscription
// identifiers.
type v5conn struct {
	c net.Conn
	r *bufio.Reader
}

func dialV5(t *testing.T, addr, id string, props ...packets.Properties) *v5conn {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	require.NoError(t, err)
	t.Cleanup(func() { c.Close() })
	require.NoError(t, c.SetDeadline(time.Now().Add(10*time.Second)))
	v := &v5conn{c: c, r: bufio.NewReader(c)}
	pk := packets.Packet{FixedHeader: packets.FixedHeader{Type: packets.Connect}, ProtocolVersion: 5,
		Connect: packets.ConnectParams{ProtocolName: []byte("MQTT"), Clean: true, Keepalive: 30, ClientIdentifier: id}}
	if len(props) > 0 {
		pk.Properties = props[0]
	}
	v.send(t, pk)
	require.Equal(t, packets.Connack, v.next(t).FixedHeader.Type)
	return v
}

func (v *v5conn) send(t *testing.T, pk packets.Packet) {
	t.Helper()
	var b bytes.Buffer
	var err error
	switch pk.FixedHeader.Type {
	case packets.Connect:
		err = pk.ConnectEncode(&b)
	case packets.Subscribe:
		err = pk.SubscribeEncode(&b)
	}
	require.NoError(t, err)
	_, err = v.c.Write(b.Bytes())
	require.NoError(t, err)
}

func (v *v5conn) next(t *testing.T) packets.Packet {
	t.Helper()
	var fh packets.FixedHeader
	b, err := v.r.ReadByte()
	require.NoError(t, err)
	require.NoError(t, fh.Decode(b))
	fh.Remaining, _, err = packets.DecodeLength(v.r)
	require.NoError(t, err)
	buf := make([]byte, fh.Remaining)
	_, err = io.ReadFull(v.r, buf)
	require.NoError(t, err)
	pk := packets.Packet{FixedHeader: fh, ProtocolVersion: 5}
	switch fh.Type {
	case packets.Connack:
		err = pk.ConnackDecode(buf)
	case packets.Suback:
		err = pk.SubackDecode(buf)
	case packets.Publish:
		err = pk.PublishDecode(buf)
	}
	require.NoError(t, err)
	return pk
}

// subscribe subscribes to one filter and returns the publishes that came before the SUBACK.
func (v *v5conn) subscribe(t *testing.T, sub packets.Subscription) []packets.Packet {
	t.Helper()
	v.send(t, packets.Packet{FixedHeader: packets.FixedHeader{Type: packets.Subscribe, Qos: 1}, PacketID: 1,
		ProtocolVersion: 5, Filters: packets.Subscriptions{sub},
		Properties: packets.Properties{SubscriptionIdentifier: []int{sub.Identifier}}})
	var before []packets.Packet
	for {
		pk := v.next(t)
		if pk.FixedHeader.Type == packets.Suback {
			require.Equal(t, []byte{sub.Qos}, pk.ReasonCodes)
			return before
		}
		before = append(before, pk)
	}
}

// The edge replays retained outQueue messages itself (internal/broker/retained.go): an MQTT 5 subscriber gets
// them flagged retained with its subscription identifier, unless it asked for none (retain
// handling 2).
func TestRetainedReplayHonoursMQTT5Options(t *testing.T) {
	n, clk := startNode(t)
	event := geo.Destination(here, 60, 200)
	now := clk.Now()
	newVehicle(t, n, 1).denm(t, v2x.DENMSpec{Cause: v2x.CauseObstacle, Pos: event, Detection: now, Reference: now, At: now})
	waitActive(t, n, 1)

	v := dialV5(t, n.MQTTAddr(), "replay")
	got := v.subscribe(t, packets.Subscription{Filter: denmFilter(n, event, 16), Identifier: 7})
	require.Equal(t, 1, len(got), "the retained hazard, once")
	require.True(t, got[0].FixedHeader.Retain)
	require.Equal(t, []int{7}, got[0].Properties.SubscriptionIdentifier)
	d, err := v2x.UnmarshalDENM(got[0].Payload)
	require.NoError(t, err)
	require.True(t, isCause(v2x.CauseObstacle, event)(d))

	quiet := dialV5(t, n.MQTTAddr(), "quiet")
	require.Empty(t, quiet.subscribe(t, packets.Subscription{Filter: denmFilter(n, event, 16), RetainHandling: 2}))
	now = clk.Add(time.Second)
	newVehicle(t, n, 2).denm(t, v2x.DENMSpec{Cause: v2x.CauseAnimal, Pos: event, Detection: now, Reference: now, At: now})
	d, err = v2x.UnmarshalDENM(quiet.next(t).Payload)
	require.NoError(t, err)
	require.True(t, isCause(v2x.CauseAnimal, event)(d), "retain handling 2: no replay, the new hazard comes first")
}

// Live alerts go through the edge's own fan-out (internal/broker/fanout.go), not the broker's: an MQTT 5
// subscriber still gets its subscription identifiers, the retain flag only when it asked for
// Retain As Published, the message expiry and content type, one copy however many of its filters
// match, and nothing above the Maximum Packet Size it declared.
func TestLiveAlertHonoursMQTT5Options(t *testing.T) {
	n, clk := startNode(t)
	event := geo.Destination(here, 60, 200)
	tile := geo.Quadkey(event, 16)
	bySource := v2x.SubscriptionFilter(n.Options().Root, v2x.OutQueue, v2x.TypeDENM, tile)
	bySource = strings.Replace(bySource, "/+/", "/"+n.Options().SourceUUID+"/", 1)

	rap := dialV5(t, n.MQTTAddr(), "rap")
	require.Empty(t, rap.subscribe(t, packets.Subscription{Filter: denmFilter(n, event, 16), Identifier: 7, RetainAsPublished: true}))
	plain := dialV5(t, n.MQTTAddr(), "plain")
	require.Empty(t, plain.subscribe(t, packets.Subscription{Filter: denmFilter(n, event, 16)}))
	require.Empty(t, plain.subscribe(t, packets.Subscription{Filter: bySource, Identifier: 5}))
	small := dialV5(t, n.MQTTAddr(), "small", packets.Properties{MaximumPacketSize: 128})
	require.Empty(t, small.subscribe(t, packets.Subscription{Filter: denmFilter(n, event, 16)}))

	now := clk.Now()
	newVehicle(t, n, 1).denm(t, v2x.DENMSpec{Cause: v2x.CauseObstacle, Pos: event, Detection: now, Reference: now, At: now})

	got := rap.next(t)
	require.True(t, got.FixedHeader.Retain, "retain as published")
	require.Equal(t, []int{7}, got.Properties.SubscriptionIdentifier)
	require.NotZero(t, got.Properties.MessageExpiryInterval)
	require.Equal(t, "application/json", got.Properties.ContentType)
	d, err := v2x.UnmarshalDENM(got.Payload)
	require.NoError(t, err)
	require.True(t, isCause(v2x.CauseObstacle, event)(d))

	got = plain.next(t)
	require.False(t, got.FixedHeader.Retain, "a live delivery without retain as published [MQTT-3.3.1-12]")
	require.Equal(t, []int{5}, got.Properties.SubscriptionIdentifier, "both filters match: one copy [MQTT-3.3.4-4]")
	require.Equal(t, packets.Pingresp, rap.ping(t))
	require.Equal(t, packets.Pingresp, plain.ping(t), "no second copy")
	// The publishing vehicle's DENM was acknowledged after the fan-out: anything "small" was
	// sent would be ahead of its PINGRESP.
	require.Equal(t, packets.Pingresp, small.ping(t), "nothing larger than its maximum packet size")
	require.Equal(t, 2.0, metric(t, n, "michi_edge_mqtt_alert_copies_total"), "one copy each to rap and plain")
}

// ping sends a PINGREQ and returns the type of the next packet.
func (v *v5conn) ping(t *testing.T) byte {
	t.Helper()
	_, err := v.c.Write([]byte{packets.Pingreq << 4, 0})
	require.NoError(t, err)
	return v.next(t).FixedHeader.Type
}
