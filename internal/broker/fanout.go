package broker

import (
	"bytes"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	mqtt "github.com/mochi-mqtt/server/v2"
	"github.com/mochi-mqtt/server/v2/packets"

	"github.com/michi-v2x/michi/pkg/v2x"
)

// Retained is one message the server retains on several topics and delivers to their
// subscribers: a hazard version on every tile its relevance area touches.
type Retained struct {
	Topics  []string
	Payload []byte
	// Expiry is the message expiry in seconds (MQTT v5), capped by the server's maximum; 0: none.
	Expiry uint32
	// ContentType and User are MQTT v5 properties (user properties: the alert's signature).
	ContentType string
	User        []UserProperty
	// First picks the connections written to first (those whose vehicle is inside the relevance
	// area); nil: no order.
	First func(*Conn) bool
}

// UserProperty is an MQTT v5 user property.
type UserProperty struct{ Key, Val string }

// PublishRetained retains m on each of its topics and delivers it, QoS 0, to every subscriber of
// those topics.
//
// The broker's own publish path (InjectPacket) encodes the message once per subscriber, queues it
// to that subscriber's writer goroutine and writes each copy with its own system call: for a
// hazard on four tiles and 2,000 vehicles around, some 700 encodings, goroutine wake-ups and
// writes, of which the last vehicle waits for all. The fan-out here finds the subscribers in the
// edge's own index of them (subindex.go), encodes each topic's message once per protocol version,
// and hands every client its first copy, then the others it is owed (one per subscribed tile the
// hazard covers), through its connection's lane (lane.go), from this goroutine and a helper per
// processor (deliver). MQTT's delivery rules are kept: every matching subscription gets
// its topic's message, at QoS 0, retain flag as the subscription asks (Retain As Published),
// subscription identifiers included, nothing above the client's Maximum Packet Size, read access
// checked. A topic with shared-subscription groups or in-process subscribers goes the broker's
// way instead.
//
// QoS 0 on purpose: mochi v2.7.9 refuses a client's SUBSCRIBE whose packet id equals one of its
// own outbound QoS 1 ids in flight (it mixes the two directions' ids;
// TestMochiMixesPacketIDDirections), which alerts in flight made
// happen to vehicles changing tiles. A live connection loses nothing at QoS 0, and a reconnecting
// vehicle gets every active hazard retained.
//
// Connections First picks (the vehicles inside the relevance area) are written to first: among
// the hundreds a hazard's tiles reach, they are the ones it is for.
func (s *Server) PublishRetained(m Retained) {
	now := time.Now().Unix()
	expiry := int64(m.Expiry)
	if max := s.mochi.Options.Capabilities.MaximumMessageExpiryInterval; max > 0 && expiry > max {
		expiry = max
	}
	pks := make([]packets.Packet, len(m.Topics))
	var viaBroker []int
	var user []packets.UserProperty // MQTT v5 subscribers can verify; 3.1.1 has no place for it
	if len(m.User) > 0 {
		user = make([]packets.UserProperty, len(m.User))
		for i, p := range m.User {
			user[i] = packets.UserProperty{Key: p.Key, Val: p.Val}
		}
	}
	for i, topic := range m.Topics {
		pk := packets.Packet{
			FixedHeader: packets.FixedHeader{Type: packets.Publish, Retain: true},
			TopicName:   topic,
			Payload:     m.Payload,
			Properties: packets.Properties{
				MessageExpiryInterval: m.Expiry,
				PayloadFormat:         1, PayloadFormatFlag: true,
				ContentType: m.ContentType, User: user,
			},
			Origin: s.pub.ID, Created: now, ProtocolVersion: 5,
		}
		if expiry > 0 {
			pk.Expiry = now + expiry
		}
		pks[i] = pk
		s.mochi.Topics.RetainMessage(pk.Copy(false))
		s.m.Published.Inc()
	}
	atomic.StoreInt64(&s.mochi.Info.Retained, int64(s.mochi.Topics.Retained.Len()))

	targets := make(map[string][]match, 256)
	byClient := make(map[string]clientMatch, 256)
	for i, pk := range pks {
		t, err := v2x.ParseTopic(pk.TopicName)
		clear(byClient)
		if err != nil || !s.subs.match(pk.TopicName, t.SourceID, t.Quadkey, byClient) {
			viaBroker = append(viaBroker, i)
			continue
		}
		for id, m := range byClient {
			ms := targets[id]
			if ms == nil {
				ms = make([]match, 0, len(pks)) // one allocation per client
			}
			targets[id] = append(ms, match{topic: i, m: m})
		}
	}
	s.deliver(pks, targets, m.First)
	for _, i := range viaBroker {
		pk := pks[i]
		pk.Origin, pk.Created, pk.Expiry = "", 0, 0 // set again by the broker
		if err := s.mochi.InjectPacket(s.pub, pk); err != nil {
			s.log.Error("publish hazard", "topic", pk.TopicName, "error", err)
		}
	}
}

// ClearRetained deletes retained messages without delivering anything to subscribers.
func (s *Server) ClearRetained(topics []string) {
	for _, topic := range topics {
		s.mochi.Topics.RetainMessage(packets.Packet{TopicName: topic}) // empty payload = delete
	}
}

// Forward publishes payload on topic, QoS 0, not retained, while anyone subscribes to
// forwarded telemetry (a filter that can match {root}/outQueue/v2x/{cam|cpm}/…).
func (s *Server) Forward(topic string, payload []byte) {
	if s.subs.telemetry.Load() == 0 {
		return
	}
	_ = s.mochi.InjectPacket(s.pub, packets.Packet{
		FixedHeader: packets.FixedHeader{Type: packets.Publish},
		TopicName:   topic,
		Payload:     bytes.Clone(payload), // payload may be the connection's read buffer (inbound.go)
	})
}

// match is how one of a hazard's topics reaches a client.
type match struct {
	topic int // index into the version's packets
	m     clientMatch
}

// encodedKey identifies the bytes of one topic's message as a class of subscribers receives them.
type encodedKey struct {
	topic   int
	version byte
	retain  bool
}

// recipient is one client a hazard version goes to, with the encoded copies it is owed.
type recipient struct {
	id     string
	ms     []match
	cl     *mqtt.Client
	lane   *laneConn
	copies [][]byte // one whole PUBLISH per matching subscription
}

// deliver sends every recipient its first copy, then the rest (a client subscribed to several
// tiles the hazard covers gets one copy per tile, and de-duplicates by action id): the first copy
// is what makes a vehicle aware, so no vehicle waits for another's duplicates. Both passes are
// spread over GOMAXPROCS goroutines; the first also prepares each recipient's copies just before
// its write, so the first vehicle is written to as soon as possible.
func (s *Server) deliver(pks []packets.Packet, targets map[string][]match, first func(*Conn) bool) {
	rs := s.order(targets, first)
	enc := encoder{s: s, pks: pks, cache: make(map[encodedKey][]byte, len(pks))}
	parallel(len(rs), func(i int, _ *[]byte) {
		r := &rs[i]
		if s.prepare(r, &enc) {
			s.send(r, r.copies[0], 1)
		}
	})
	parallel(len(rs), func(i int, buf *[]byte) {
		r := &rs[i]
		if len(r.copies) < 2 {
			return
		}
		*buf = (*buf)[:0]
		for _, c := range r.copies[1:] {
			*buf = append(*buf, c...)
		}
		s.send(r, *buf, len(r.copies)-1)
	})
}

// order lists the recipients, those whose connection first picks first.
func (s *Server) order(targets map[string][]match, first func(*Conn) bool) []recipient {
	rs := make([]recipient, len(targets))
	front, last := 0, len(rs) // the picked from the front, the others from the back
	for id, ms := range targets {
		if c, ok := s.hook.lookup(ms[0].m.cl); ok && first != nil && first(c) {
			rs[front] = recipient{id: id, ms: ms}
			front++
			continue
		}
		last--
		rs[last] = recipient{id: id, ms: ms}
	}
	return rs
}

// prepare finds r's connection and encodes its copies; false when there is nothing to send.
func (s *Server) prepare(r *recipient, enc *encoder) bool {
	cl := r.ms[0].m.cl
	if cl.Closed() { // a session taken over keeps its subscriptions on a new client
		live, ok := s.mochi.Clients.Get(r.id)
		if !ok || live.Closed() {
			return false
		}
		cl = live
	}
	lane, ok := cl.Net.Conn.(*laneConn)
	if !ok {
		return false // not connected (a persistent session) or not a network client
	}
	r.cl, r.lane = cl, lane
	version := cl.Properties.ProtocolVersion
	for _, m := range r.ms {
		if !s.hook.OnACLCheck(cl, enc.pks[m.topic].TopicName, false) {
			continue
		}
		b := enc.encode(m, version)
		if max := cl.Properties.Props.MaximumPacketSize; len(b) == 0 || max > 0 && uint32(len(b)) > max {
			continue // [MQTT-3.1.2-25]: not sent to a client that cannot take it
		}
		r.copies = append(r.copies, b)
	}
	return len(r.copies) > 0
}

// send hands b, copies whole PUBLISH packets, to r's lane and counts the outcome: in the
// metrics, in the broker's $SYS counters, and towards slow-client eviction.
func (s *Server) send(r *recipient, b []byte, copies int) {
	if r.lane.send(b) {
		s.hook.state(r.cl).drops.Store(0)
		s.m.AlertsOut.Add(float64(copies))
		atomic.AddInt64(&s.mochi.Info.MessagesSent, int64(copies))
		atomic.AddInt64(&s.mochi.Info.PacketsSent, int64(copies))
		atomic.AddInt64(&s.mochi.Info.BytesSent, int64(len(b)))
		return
	}
	s.hook.OnPublishDropped(r.cl, packets.Packet{})
}

// encoder encodes each topic's message once per class of subscriber (protocol version, retain
// flag); a subscription with identifiers gets bytes of its own.
type encoder struct {
	s     *Server
	pks   []packets.Packet
	mu    sync.Mutex
	cache map[encodedKey][]byte
}

func (e *encoder) encode(m match, version byte) []byte {
	pk := e.pks[m.topic]
	retain := version == 5 && m.m.rap // [MQTT-3.3.1-12] [MQTT-3.3.1-13]
	pk.ProtocolVersion, pk.FixedHeader.Retain = version, retain
	if len(m.m.ids) > 0 { // [MQTT-3.3.4-3]: this subscription's identifiers ride along
		pk.Properties.SubscriptionIdentifier = m.m.ids
		return e.bytes(pk)
	}
	key := encodedKey{m.topic, version, retain}
	e.mu.Lock()
	defer e.mu.Unlock()
	b, ok := e.cache[key]
	if !ok {
		b = e.bytes(pk)
		e.cache[key] = b
	}
	return b
}

func (e *encoder) bytes(pk packets.Packet) []byte {
	var buf bytes.Buffer
	if err := pk.PublishEncode(&buf); err != nil {
		e.s.log.Error("encode hazard", "topic", pk.TopicName, "error", err)
		return nil
	}
	return buf.Bytes()
}

// parallel calls f(i) for every i < count and returns when all are done. The calling goroutine
// works through them; with enough of them, up to GOMAXPROCS-1 helpers take indexes from the same
// counter, so a helper that gets a processor late simply takes fewer. Each goroutine has a
// scratch buffer of its own.
func parallel(count int, f func(i int, buf *[]byte)) {
	var next atomic.Int64
	run := func() {
		var buf []byte
		for i := int(next.Add(1)) - 1; i < count; i = int(next.Add(1)) - 1 {
			f(i, &buf)
		}
	}
	var wg sync.WaitGroup
	for range min(runtime.GOMAXPROCS(0), count/minPerWorker) - 1 {
		wg.Go(run)
	}
	run()
	wg.Wait()
}

// minPerWorker is the fewest recipients worth another goroutine (a write costs some µs).
const minPerWorker = 16
