package harness

import (
	"bytes"
	"testing"
	"time"

	"github.com/mochi-mqtt/server/v2/packets"
	"github.com/stretchr/testify/require"

	"github.com/michi-v2x/michi/pkg/geo"
	"github.com/michi-v2x/michi/pkg/v2x"
)

var lyon = geo.Point{Lat: 45.76, Lon: 4.84}

// decodePublishes decodes concatenated MQTT 5 PUBLISH packets with mochi's decoder.
func decodePublishes(t *testing.T, b []byte) []packets.Packet {
	t.Helper()
	var out []packets.Packet
	r := bytes.NewReader(b)
	for r.Len() > 0 {
		hb, err := r.ReadByte()
		require.NoError(t, err)
		var fh packets.FixedHeader
		require.NoError(t, fh.Decode(hb))
		n, _, err := packets.DecodeLength(r)
		require.NoError(t, err)
		body := make([]byte, n)
		_, err = r.Read(body)
		require.NoError(t, err)
		pk := packets.Packet{FixedHeader: fh, ProtocolVersion: 5}
		require.NoError(t, pk.PublishDecode(body))
		out = append(out, pk)
	}
	return out
}

func TestCAMPacketIsAValidPublishAndOnlyItsTimestampChanges(t *testing.T) {
	now := time.Now()
	c, err := newCAMPacket("michi", 42, fixedState(lyon), now)
	require.NoError(t, err)
	pks := decodePublishes(t, c.buf)
	require.Len(t, pks, 1)
	require.Equal(t, byte(0), pks[0].FixedHeader.Qos)
	topic, err := v2x.ParseTopic(pks[0].TopicName)
	require.NoError(t, err)
	require.Equal(t, v2x.InQueue, topic.Queue)
	require.Equal(t, v2x.TypeCAM, topic.Type)
	require.Equal(t, "bench_v42", topic.SourceID)
	require.Equal(t, geo.Quadkey(lyon, 22), topic.Quadkey)

	before := bytes.Clone(c.buf)
	later := now.Add(1234 * time.Millisecond).UnixMilli()
	c.stamp(later)
	require.Len(t, c.buf, len(before))
	cam, err := v2x.UnmarshalCAM(decodePublishes(t, c.buf)[0].Payload)
	require.NoError(t, err)
	require.NoError(t, cam.Validate())
	require.Equal(t, later, cam.Timestamp)
	require.Equal(t, uint32(vehicleBase+42), cam.StationID())
	require.InDelta(t, lyon.Lat, cam.Position().Lat, 1e-7)
	diff := 0
	for i := range c.buf {
		if c.buf[i] != before[i] {
			diff++
		}
	}
	require.LessOrEqual(t, diff, 13)

	c.stamp(later - 50) // never older than the last one: the edge drops replays
	cam, err = v2x.UnmarshalCAM(decodePublishes(t, c.buf)[0].Payload)
	require.NoError(t, err)
	require.Equal(t, later+1, cam.Timestamp)
}

func TestReportPacketIsAVehicleReportAtTheEvent(t *testing.T) {
	h := hazardSpec{seq: 7, cause: 99, pos: lyon, validity: time.Minute, radiusM: 300, at: time.Now()}
	b, err := reportPacket("michi", h, 3)
	require.NoError(t, err)
	pks := decodePublishes(t, b)
	require.Len(t, pks, 1)
	require.Equal(t, byte(1), pks[0].FixedHeader.Qos)
	require.Equal(t, uint16(3), pks[0].PacketID)
	topic, err := v2x.ParseTopic(pks[0].TopicName)
	require.NoError(t, err)
	require.Equal(t, v2x.Topic{Root: "michi", Queue: v2x.InQueue, Type: v2x.TypeDENM, SourceID: sensorSource, Quadkey: geo.Quadkey(lyon, 22)}, topic)
	d, err := v2x.UnmarshalDENM(pks[0].Payload)
	require.NoError(t, err)
	require.NoError(t, d.Validate())
	cause, _ := d.Cause()
	require.Equal(t, uint8(99), cause)
	require.Equal(t, v2x.ActionID{OriginatingStationID: sensorStation, SequenceNumber: 7}, d.ActionID())
	_, hasHeading := d.EventHeading()
	require.False(t, hasHeading, "relevant in every direction")
	require.Equal(t, time.Minute, d.Validity())
}

func TestRelayPacketsPublishTheAlertOnEveryTileRetained(t *testing.T) {
	h := hazardSpec{seq: 1, cause: 99, pos: lyon, validity: time.Minute, radiusM: 300, at: time.Now()}
	tiles := geo.TilesCoveringCircle(lyon, 300, 16)
	id := uint16(0)
	b, err := relayPackets("michi", h, tiles, func() uint16 { id++; return id })
	require.NoError(t, err)
	pks := decodePublishes(t, b)
	require.Len(t, pks, len(tiles))
	for i, pk := range pks {
		require.True(t, pk.FixedHeader.Retain)
		require.Equal(t, byte(1), pk.FixedHeader.Qos)
		require.Equal(t, uint16(i+1), pk.PacketID)
		require.Equal(t, uint32(60), pk.Properties.MessageExpiryInterval)
		require.Equal(t, v2x.Topic{Root: "michi", Queue: v2x.OutQueue, Type: v2x.TypeDENM, SourceID: relaySource, Quadkey: tiles[i]}.String(), pk.TopicName)
		require.Equal(t, pks[0].Payload, pk.Payload, "one payload on every tile")
	}
	d, err := v2x.UnmarshalDENM(pks[0].Payload)
	require.NoError(t, err)
	require.NoError(t, d.Validate())
}
