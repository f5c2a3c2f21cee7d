package broker

import (
	"bytes"
	"errors"
	"io"
	"sync"
	"testing"

	"github.com/mochi-mqtt/server/v2/packets"
	"github.com/stretchr/testify/require"
)

// coded is a refusal with a reason code.
type coded struct{ code Code }

func (e coded) Error() string    { return "refused" }
func (e coded) ReasonCode() Code { return e.code }

// recorder is a Handler that answers as the test says and records what it was asked.
type recorder struct {
	connect func(c *Conn) error
	publish func(c *Conn, topic string, payload []byte) error
	read    func(c *Conn, topic string) bool

	mu        sync.Mutex
	published []string
	ended     chan string // client ids whose session ended
}

func newRecorder() *recorder { return &recorder{ended: make(chan string, 16)} }

func (r *recorder) Connect(c *Conn) error {
	c.Session = c.Username()
	if r.connect != nil {
		return r.connect(c)
	}
	return nil
}

func (r *recorder) Publish(c *Conn, topic string, payload []byte) error {
	r.mu.Lock()
	r.published = append(r.published, c.Session.(string)+" "+topic+" "+string(payload))
	r.mu.Unlock()
	if r.publish != nil {
		return r.publish(c, topic, payload)
	}
	return nil
}

func (r *recorder) MayRead(c *Conn, topic string) bool { return r.read == nil || r.read(c, topic) }

func (r *recorder) Disconnect(c *Conn, ended bool) {
	if ended {
		r.ended <- c.ID()
	}
}

func (r *raw) connectAs(id, user string) {
	pk := packets.Packet{FixedHeader: packets.FixedHeader{Type: packets.Connect}, ProtocolVersion: r.version,
		Connect: packets.ConnectParams{ProtocolName: []byte("MQTT"), ClientIdentifier: id, Clean: true, Keepalive: 30,
			Username: []byte(user), UsernameFlag: true, Password: []byte("pw"), PasswordFlag: true}}
	var buf bytes.Buffer
	require.NoError(r.t, pk.ConnectEncode(&buf))
	r.write(buf.Bytes())
}

func (r *raw) publish(topic string, qos byte, id uint16, payload string) {
	var buf bytes.Buffer
	require.NoError(r.t, (&packets.Packet{FixedHeader: packets.FixedHeader{Type: packets.Publish, Qos: qos}, ProtocolVersion: r.version,
		PacketID: id, TopicName: topic, Payload: []byte(payload)}).PublishEncode(&buf))
	r.write(buf.Bytes())
}

func (r *raw) subscribe(id uint16, filters ...string) packets.Packet {
	var subs packets.Subscriptions
	for _, f := range filters {
		subs = append(subs, packets.Subscription{Filter: f})
	}
	var buf bytes.Buffer
	require.NoError(r.t, (&packets.Packet{FixedHeader: packets.FixedHeader{Type: packets.Subscribe, Qos: 1}, ProtocolVersion: r.version,
		PacketID: id, Filters: subs}).SubscribeEncode(&buf))
	r.write(buf.Bytes())
	return r.expect(packets.Suback)
}

// A Connect refusal with a reason code reaches a v5 client as that code and a 3.1.1 client as
// "server unavailable"; one without a code is "bad user name or password".
func TestHandlerConnectRefusals(t *testing.T) {
	h := newRecorder()
	h.connect = func(c *Conn) error {
		switch c.Username() {
		case "full":
			return coded{CodeQuotaExceeded}
		case "stranger":
			return errors.New("no such credential")
		}
		return nil
	}
	_, addr := startServer(t, h)
	for _, tc := range []struct {
		user    string
		version byte
		want    byte
	}{
		{"full", 5, CodeQuotaExceeded.packet().Code},
		{"full", 4, 0x03}, // 3.1.1: server unavailable
		{"stranger", 5, packets.ErrBadUsernameOrPassword.Code},
		{"friend", 5, packets.CodeSuccess.Code},
	} {
		c := dialRaw(t, addr, tc.version)
		c.connectAs("c-"+tc.user, tc.user)
		ack := c.expect(packets.Connack)
		require.Equal(t, tc.want, ack.ReasonCode, "%s over v%d", tc.user, tc.version)
	}
}

// What a client publishes into {root}/inQueue/ reaches Publish with the connection's session —
// QoS 0 telemetry through the lane's inbound filter, QoS 1 through mochi — and a refusal with a
// code is answered in the PUBACK; nothing outside inQueue reaches the Handler.
func TestHandlerPublish(t *testing.T) {
	h := newRecorder()
	h.publish = func(_ *Conn, _ string, payload []byte) error {
		if string(payload) == "bad" {
			return coded{CodePayloadFormatInvalid}
		}
		return nil
	}
	s, addr := startServer(t, h)
	c := dialRaw(t, addr, 5)
	c.connectAs("car", "car-user")
	c.expect(packets.Connack)
	c.publish("elsewhere/x", 1, 1, "ignored") // not the client's to write: mochi answers, the Handler never sees it
	require.Equal(t, packets.ErrNotAuthorized.Code, c.expect(packets.Puback).ReasonCode)
	c.publish("michi/inQueue/v2x/cam/car/1", 0, 0, "taken")
	c.publish("michi/inQueue/v2x/cam/car/1", 1, 2, "bad")
	ack := c.expect(packets.Puback)
	require.Equal(t, CodePayloadFormatInvalid.packet().Code, ack.ReasonCode)
	h.mu.Lock()
	defer h.mu.Unlock()
	require.Equal(t, []string{"car-user michi/inQueue/v2x/cam/car/1 taken", "car-user michi/inQueue/v2x/cam/car/1 bad"}, h.published)
	require.EqualValues(t, 1, s.Clients())
}

// MayRead decides each filter of a SUBSCRIBE (0x87 when refused), and a session that ends with
// its connection is told to Disconnect as ended.
func TestHandlerMayReadAndDisconnect(t *testing.T) {
	h := newRecorder()
	h.read = func(_ *Conn, topic string) bool { return topic != "michi/inQueue/#" }
	_, addr := startServer(t, h)
	c := dialRaw(t, addr, 5)
	c.connectAs("reader", "r")
	c.expect(packets.Connack)
	ack := c.subscribe(1, "michi/outQueue/v2x/denm/+/1/#", "michi/inQueue/#")
	require.Equal(t, []byte{0x00, packets.ErrNotAuthorized.Code}, ack.ReasonCodes)
	var buf bytes.Buffer
	require.NoError(t, (&packets.Packet{FixedHeader: packets.FixedHeader{Type: packets.Disconnect}, ProtocolVersion: 5}).DisconnectEncode(&buf))
	c.write(buf.Bytes())
	_, err := io.ReadAll(c.r)
	require.NoError(t, err)
	require.Equal(t, "reader", <-h.ended)
}

// A retained message reaches a subscriber live and, retained, a later one; cleared, it is gone.
func TestPublishRetainedAndClear(t *testing.T) {
	s, addr := startServer(t, newRecorder())
	live := dialRaw(t, addr, 5)
	live.connectAs("live", "l")
	live.expect(packets.Connack)
	live.subscribe(1, "michi/outQueue/v2x/denm/+/1/#")
	topic := "michi/outQueue/v2x/denm/e/1/2"
	s.PublishRetained(Retained{Topics: []string{topic}, Payload: []byte("hazard"), Expiry: 60, ContentType: "application/json",
		User: []UserProperty{{Key: "sig", Val: "x"}}})
	pk := live.expect(packets.Publish)
	require.Equal(t, topic, pk.TopicName)
	require.Equal(t, "hazard", string(pk.Payload))
	require.Equal(t, []packets.UserProperty{{Key: "sig", Val: "x"}}, pk.Properties.User)

	late := dialRaw(t, addr, 5)
	late.connectAs("late", "l")
	late.expect(packets.Connack)
	var buf bytes.Buffer
	require.NoError(t, (&packets.Packet{FixedHeader: packets.FixedHeader{Type: packets.Subscribe, Qos: 1}, ProtocolVersion: 5, PacketID: 1,
		Filters: packets.Subscriptions{{Filter: "michi/outQueue/v2x/denm/+/1/#"}}}).SubscribeEncode(&buf))
	late.write(buf.Bytes())
	var replay packets.Packet
	for range 2 { // the replay and the SUBACK, in either order
		pk, err := late.read()
		require.NoError(t, err)
		if pk.FixedHeader.Type == packets.Publish {
			replay = pk
		}
	}
	require.Equal(t, topic, replay.TopicName)
	require.True(t, replay.FixedHeader.Retain)

	s.ClearRetained([]string{topic})
	require.Empty(t, s.mochi.Topics.Messages("michi/outQueue/v2x/denm/+/1/#"))
}
