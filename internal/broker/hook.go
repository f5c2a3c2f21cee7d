package broker

import (
	"strings"
	"sync"
	"time"

	mqtt "github.com/mochi-mqtt/server/v2"
	"github.com/mochi-mqtt/server/v2/packets"
)

// hook connects mochi to the server: the Handler's authentication, ingest and read access,
// write access to {root}/inQueue/ only, retained delivery for tile subscriptions (retained.go),
// limits (limits.go) and slow-consumer eviction.
type hook struct {
	mqtt.HookBase
	s       *Server
	clients sync.Map // *mqtt.Client → *Conn
}

func (h *hook) ID() string { return "michi-broker" }

// Provides is asked for every hook call of every packet (mochi checks each hook each time): a table.
func (h *hook) Provides(b byte) bool { return provided[b] }

var provided = func() (t [256]bool) {
	for _, b := range []byte{
		mqtt.OnConnect, mqtt.OnSessionEstablished, mqtt.OnDisconnect, mqtt.OnACLCheck, mqtt.OnConnectAuthenticate, mqtt.OnClientExpired,
		mqtt.OnPublish, mqtt.OnPublishDropped, mqtt.OnPacketSent, mqtt.OnSubscribe, mqtt.OnSubscribed, mqtt.OnUnsubscribed,
		mqtt.OnPacketRead,
	} {
		t[b] = true
	}
	return t
}()

// state is what the server keeps for cl: in its connection's lane for a network client, in the
// clients map otherwise.
func (h *hook) state(cl *mqtt.Client) *Conn {
	if c, ok := h.lookup(cl); ok {
		return c
	}
	v, _ := h.clients.LoadOrStore(cl, &Conn{cl: cl})
	return v.(*Conn)
}

// lookup is state without creating one.
func (h *hook) lookup(cl *mqtt.Client) (*Conn, bool) {
	if lc, ok := cl.Net.Conn.(*laneConn); ok {
		return &lc.state, true
	}
	if v, ok := h.clients.Load(cl); ok {
		return v.(*Conn), true
	}
	return nil, false
}

// OnConnect bounds the client's keep-alive and asks the Handler to admit it. mochi calls
// OnConnectAuthenticate next, which answers refused credentials with "bad user name or
// password"; a refusal with a reason code of its own (a full edge, a full quota) is answered
// here, since mochi then sends no CONNACK of its own (TestMochiSendsNoConnackAfterOnConnectError).
func (h *hook) OnConnect(cl *mqtt.Client, pk packets.Packet) error {
	if cl.Net.Inline {
		return nil
	}
	h.s.boundKeepAlive(cl)
	c := h.state(cl)
	c.cl, c.username, c.password = cl, string(pk.Connect.Username), string(pk.Connect.Password)
	err := h.s.h.Connect(c)
	if err == nil {
		return nil
	}
	code, ok := reasonCode(err)
	if !ok {
		c.refused = true
		return nil
	}
	answer := code.packet()
	if cl.Properties.ProtocolVersion < 5 { // 3.1.1 has no such codes; mochi sends v5 codes it does not map as they are
		answer = packets.ErrServerUnavailable
	}
	_ = h.s.mochi.SendConnack(cl, answer, false, nil)
	return code.packet()
}

func (h *hook) OnConnectAuthenticate(cl *mqtt.Client, _ packets.Packet) bool {
	if cl.Net.Inline {
		return true
	}
	return !h.state(cl).refused
}

// OnSessionEstablished counts the client and lets the connection's lane take its telemetry
// (inbound.go). mochi calls it from the client's read goroutine, before the first read of the
// session's packets.
func (h *hook) OnSessionEstablished(cl *mqtt.Client, _ packets.Packet) {
	if cl.Net.Inline {
		return
	}
	c := h.state(cl)
	h.clients.Store(cl, c) // connected clients, for OnDisconnect's count
	h.s.m.Clients.Inc()
	c.client = cl
}

// OnPacketRead bounds the session expiry a v5 client may raise in its DISCONNECT before mochi
// takes it (limits.go).
func (h *hook) OnPacketRead(_ *mqtt.Client, pk packets.Packet) (packets.Packet, error) {
	if pk.FixedHeader.Type == packets.Disconnect {
		h.s.boundSessionExpiry(&pk)
	}
	return pk, nil
}

// OnDisconnect tells the Handler.
func (h *hook) OnDisconnect(cl *mqtt.Client, _ error, expire bool) {
	if _, ok := h.clients.LoadAndDelete(cl); ok {
		h.s.m.Clients.Dec()
	}
	if c, ok := h.lookup(cl); ok && c.cl != nil {
		h.s.h.Disconnect(c, expire && !cl.IsTakenOver())
	}
}

// OnClientExpired tells the Handler that a kept session expired.
func (h *hook) OnClientExpired(cl *mqtt.Client) {
	if c, ok := h.lookup(cl); ok && c.cl != nil {
		h.s.h.Disconnect(c, true)
	}
}

// OnACLCheck lets clients publish only into {root}/inQueue/…; outQueue and interQueue are written
// by the server alone. What a client may read is the Handler's to say, and no filter beyond
// MaxSubscriptions.
func (h *hook) OnACLCheck(cl *mqtt.Client, topic string, write bool) bool {
	if cl.Net.Inline {
		return true
	}
	if write {
		return strings.HasPrefix(topic, h.s.inPrefix) && len(topic) > len(h.s.inPrefix)
	}
	c, ok := h.lookup(cl)
	if !ok {
		return true
	}
	if denied := c.denied.Load(); denied != nil && (*denied)[topic] { // a SUBSCRIBE beyond MaxSubscriptions
		return false
	}
	return h.s.h.MayRead(c, topic)
}

// OnPublish hands what a client publishes to the Handler. A refused message is answered with an
// MQTT v5 reason code when the client can receive one (v5, QoS ≥ 1) and acknowledged but dropped
// otherwise; either way it is neither retained nor relayed.
func (h *hook) OnPublish(cl *mqtt.Client, pk packets.Packet) (packets.Packet, error) {
	if cl.Net.Inline {
		return pk, nil
	}
	if pk.FixedHeader.Retain { // clients never leave state on the edge (README "Credentials and roles")
		pk.FixedHeader.Retain = false
		h.s.m.RetainStripped.Inc()
	}
	if err := h.s.h.Publish(h.state(cl), pk.TopicName, pk.Payload); err != nil {
		if code, ok := reasonCode(err); ok && cl.Properties.ProtocolVersion == 5 && pk.FixedHeader.Qos > 0 {
			return pk, code.packet()
		}
		// Acknowledged (a v3 client at QoS 1 must get its PUBACK) but neither retained nor relayed.
		return pk, packets.CodeSuccessIgnore
	}
	return pk, nil
}

func (h *hook) OnPacketSent(cl *mqtt.Client, pk packets.Packet, _ []byte) {
	if pk.FixedHeader.Type == packets.Publish {
		if c, ok := h.lookup(cl); ok {
			c.drops.Store(0)
		}
	}
}

// OnPublishDropped counts a delivery the client's bounded queue could not take and evicts a
// client that keeps falling behind, so one stalled vehicle never holds memory or others back.
func (h *hook) OnPublishDropped(cl *mqtt.Client, _ packets.Packet) {
	h.s.m.Dropped.Inc()
	c := h.state(cl)
	if c.drops.Add(1) >= int64(h.s.o.SlowClientDrops) && c.evicted.CompareAndSwap(false, true) {
		h.s.m.Evicted.Inc()
		h.s.log.Warn("evicting slow client", "client", cl.ID, "remote", cl.Net.Remote, "dropped", c.drops.Load())
		go cl.Stop(errSlowConsumer)
	}
}

// OnUnsubscribed forgets filters in the subscription index; mochi calls it for every filter of a
// session that ends, too.
func (h *hook) OnUnsubscribed(cl *mqtt.Client, pk packets.Packet) {
	for _, sub := range pk.Filters {
		h.s.subs.remove(cl.ID, sub.Filter)
	}
}

// connectDeadline is how long a new connection may take to send its CONNECT: mochi-mqtt sets the
// keep-alive deadline after it, and none before (TestMochiSetsNoDeadlineBeforeConnect).
func (s *Server) connectDeadline() time.Time { return time.Now().Add(s.o.ConnectTimeout) }
