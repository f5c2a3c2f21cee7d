package harness

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/mochi-mqtt/server/v2/packets"

	"github.com/michi-v2x/michi/pkg/geo"
	"github.com/michi-v2x/michi/pkg/v2x"
	"github.com/michi-v2x/michi/pkg/v2x/client"
)

// Identities of the simulated stations.
const (
	sensorSource  = "bench_sensor"
	sensorStation = 4_000_000_000
	relaySource   = "bench_relay" // the source of the alerts in baseline mode
	vehicleBase   = 1_000_000     // vehicle i has station id vehicleBase+i
	vehicleSpeed  = 13.9          // m/s, reported by every vehicle of a fixed-rate run
	vehicleHead   = 90.0          // degrees, every vehicle of a fixed-rate run heads east
)

func vehicleSource(i int) string { return "bench_v" + strconv.Itoa(i) }

// camPacket is a vehicle's pre-encoded MQTT PUBLISH of its CAM. Only the envelope timestamp
// changes from one send to the next: stamp overwrites its 13 digits in place.
type camPacket struct {
	buf   []byte
	tsOff int   // offset of the 13 timestamp digits in buf
	last  int64 // last stamped Unix ms: a CAM must be newer than the station's previous one
}

var errNoTimestamp = errors.New("encoded CAM has no 13-digit timestamp")

// fixedState is a vehicle's state in a fixed-rate run: at its place, heading east at 50 km/h.
func fixedState(pos geo.Point) client.State {
	return client.State{Pos: pos, SpeedMPS: vehicleSpeed, HeadingDeg: vehicleHead}
}

func newCAMPacket(root string, i int, st client.State, now time.Time) (*camPacket, error) {
	src, pos := vehicleSource(i), st.Pos
	cam := v2x.NewCAM(v2x.CAMSpec{
		SourceUUID: src, StationID: uint32(vehicleBase + i), StationType: v2x.StationPassengerCar,
		Pos: pos, SpeedMPS: st.SpeedMPS, HeadingDeg: st.HeadingDeg, At: now,
	})
	payload, err := json.Marshal(cam)
	if err != nil {
		return nil, fmt.Errorf("encode cam: %w", err)
	}
	topic := v2x.Topic{Root: root, Queue: v2x.InQueue, Type: v2x.TypeCAM, SourceID: src, Quadkey: geo.Quadkey(pos, 22)}
	buf, err := encodePublish(topic.String(), payload, 0, 0, false, nil)
	if err != nil {
		return nil, err
	}
	stamp := []byte(`"timestamp":` + strconv.FormatInt(cam.Timestamp, 10))
	at := bytes.Index(buf, stamp)
	if at < 0 || len(stamp) != len(`"timestamp":`)+13 {
		return nil, errNoTimestamp
	}
	return &camPacket{buf: buf, tsOff: at + len(`"timestamp":`), last: cam.Timestamp}, nil
}

// stamp sets the envelope timestamp to ms, or to one more than the last one if that is later.
func (c *camPacket) stamp(ms int64) {
	if ms <= c.last {
		ms = c.last + 1
	}
	c.last = ms
	d := c.buf[c.tsOff : c.tsOff+13]
	for i := 12; i >= 0; i-- {
		d[i] = byte('0' + ms%10)
		ms /= 10
	}
}

// encodePublish encodes an MQTT 5 PUBLISH with mochi's encoder.
func encodePublish(topic string, payload []byte, qos byte, id uint16, retain bool, props *packets.Properties) ([]byte, error) {
	pk := packets.Packet{
		FixedHeader:     packets.FixedHeader{Type: packets.Publish, Qos: qos, Retain: retain},
		TopicName:       topic,
		Payload:         payload,
		PacketID:        id,
		ProtocolVersion: 5,
	}
	if props != nil {
		pk.Properties = *props
	}
	var b bytes.Buffer
	if err := pk.PublishEncode(&b); err != nil {
		return nil, fmt.Errorf("encode publish: %w", err)
	}
	return b.Bytes(), nil
}

// hazardSpec is one injected hazard as the sensor reports it.
type hazardSpec struct {
	seq      uint16
	cause    uint8
	pos      geo.Point
	validity time.Duration
	radiusM  float64
	at       time.Time
}

// reportDENM is the DENM the reporting sensor publishes for a hazard: a vehicle's report of an
// event at pos, without heading, so it is relevant to all directions.
func reportDENM(h hazardSpec) *v2x.DENM {
	return v2x.NewDENM(v2x.DENMSpec{
		SourceUUID: sensorSource, StationID: sensorStation, StationType: v2x.StationPassengerCar,
		ActionID: v2x.ActionID{OriginatingStationID: sensorStation, SequenceNumber: h.seq},
		Cause:    h.cause, Pos: h.pos, Detection: h.at, Reference: h.at, Validity: h.validity, At: h.at,
	})
}

// reportPacket is the sensor's PUBLISH (QoS 1) of its report into inQueue at zoom 22 of the
// event, as its-client producers do.
func reportPacket(root string, h hazardSpec, id uint16) ([]byte, error) {
	payload, err := json.Marshal(reportDENM(h))
	if err != nil {
		return nil, fmt.Errorf("encode denm: %w", err)
	}
	topic := v2x.Topic{Root: root, Queue: v2x.InQueue, Type: v2x.TypeDENM, SourceID: sensorSource, Quadkey: geo.Quadkey(h.pos, 22)}
	return encodePublish(topic.String(), payload, 1, id, false, nil)
}

// relayPackets is what a relay would publish for a hazard in baseline mode: the alert DENM,
// QoS 1 and retained with a message expiry of its validity (as the edge publishes), once on each
// outQueue tile its relevance circle touches; concatenated, for one write.
func relayPackets(root string, h hazardSpec, tiles []string, nextID func() uint16) ([]byte, error) {
	d := v2x.NewDENM(v2x.DENMSpec{
		SourceUUID: relaySource, StationID: sensorStation, StationType: v2x.StationRoadSideUnit,
		ActionID: v2x.ActionID{OriginatingStationID: sensorStation, SequenceNumber: h.seq},
		Cause:    h.cause, Pos: h.pos, Detection: h.at, Reference: h.at, Validity: h.validity,
		AwarenessRadiusM: h.radiusM, InformationQuality: 1, At: h.at,
	})
	payload, err := json.Marshal(d)
	if err != nil {
		return nil, fmt.Errorf("encode denm: %w", err)
	}
	props := &packets.Properties{
		MessageExpiryInterval: uint32(h.validity / time.Second),
		PayloadFormat:         1, PayloadFormatFlag: true, ContentType: "application/json",
	}
	var out []byte
	for _, qk := range tiles {
		topic := v2x.Topic{Root: root, Queue: v2x.OutQueue, Type: v2x.TypeDENM, SourceID: relaySource, Quadkey: qk}
		b, err := encodePublish(topic.String(), payload, 1, nextID(), true, props)
		if err != nil {
			return nil, err
		}
		out = append(out, b...)
	}
	return out, nil
}
