package edge

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

// publishRetained retains one hazard version on each of its topics and delivers it, QoS 0, to
// every subscriber of those topics.
//
// The broker's own publish path (InjectPacket) encodes the message once per subscriber, queues it
// to that subscriber's writer goroutine and writes each copy with its own system call: for a
// hazard on four tiles and 2,000 vehicles around, some 700 encodings, goroutine wake-ups and
// writes, of which the last vehicle waits for all. The fan-out here finds the subscribers in the
// edge's own index of them (subindex.go), encodes each topic's message
// once per protocol version, gathers all the copies one client is owed (one per subscribed tile
// the hazard covers) and hands them to the client's connection lane (lane.go) in one write,
// straight from this goroutine. MQTT's delivery rules are kept: every matching subscription gets
// its topic's message, at QoS 0, retain flag as the subscription asks (Retain As Published),
// subscription identifiers included, nothing above the client's Maximum Packet Size, read access
// checked. A topic with shared-subscription groups or in-process subscribers goes the broker's
// way instead.
//
// QoS 0 on purpose: mochi v2.7.9 refuses a client's SUBSCRIBE whose packet id equals one of its
// own outbound QoS 1 ids in flight (it mixes the two directions' ids), which alerts in flight made
// happen to vehicles changing tiles. A live connection loses nothing at QoS 0, and a reconnecting
// vehicle gets every active hazard retained.
func (n *Node) publishRetained(topics []string, payload []byte, expirySeconds uint32) {
	now := time.Now().Unix()
	expiry := int64(expirySeconds)
	if max := n.broker.Options.Capabilities.MaximumMessageExpiryInterval; max > 0 && expiry > max {
		expiry = max
	}
	pks := make([]packets.Packet, len(topics))
	var viaBroker []int
	for i, topic := range topics {
		pk := packets.Packet{
			FixedHeader: packets.FixedHeader{Type: packets.Publish, Retain: true},
			TopicName:   topic,
			Payload:     payload,
			Properties: packets.Properties{
				MessageExpiryInterval: expirySeconds,
				PayloadFormat:         1, PayloadFormatFlag: true,
				ContentType: "application/json",
			},
			Origin: n.pub.ID, Created: now, ProtocolVersion: 5,
		}
		if expiry > 0 {
			pk.Expiry = now + expiry
		}
		pks[i] = pk
		n.broker.Topics.RetainMessage(pk.Copy(false))
		n.metrics.published.Inc()
	}
	atomic.StoreInt64(&n.broker.Info.Retained, int64(n.broker.Topics.Retained.Len()))

	targets := make(map[string][]match)
	byClient := make(map[string]*clientMatch)
	for i, pk := range pks {
		t, err := v2x.ParseTopic(pk.TopicName)
		clear(byClient)
		if err != nil || !n.subs.match(pk.TopicName, t.SourceID, t.Quadkey, byClient) {
			viaBroker = append(viaBroker, i)
			continue
		}
		for id, m := range byClient {
			targets[id] = append(targets[id], match{topic: i, m: m})
		}
	}
	n.deliver(pks, targets)
	for _, i := range viaBroker {
		pk := pks[i]
		pk.Origin, pk.Created, pk.Expiry = "", 0, 0 // set again by the broker
		if err := n.broker.InjectPacket(n.pub, pk); err != nil {
			n.log.Error("publish hazard", "topic", pk.TopicName, "error", err)
		}
	}
}

// match is how one of a hazard's topics reaches a client.
type match struct {
	topic int // index into the version's packets
	m     *clientMatch
}

// encodedKey identifies the bytes of one topic's message as a class of subscribers receives them.
type encodedKey struct {
	topic   int
	version byte
	retain  bool
}

// recipient is one client a hazard version goes to, with the encoded copies it is owed.
type recipient struct {
	cl     *mqtt.Client
	lane   *laneConn
	copies [][]byte // one whole PUBLISH per matching subscription
}

// deliver sends every recipient its first copy, then the rest (a client subscribed to several
// tiles the hazard covers gets one copy per tile, and de-duplicates by action id): the first copy
// is what makes a vehicle aware, so no vehicle waits for another's duplicates. Both passes are
// spread over GOMAXPROCS goroutines, each writing from its own slice of the recipients.
func (n *Node) deliver(pks []packets.Packet, targets map[string][]match) {
	rs := n.recipients(pks, targets)
	n.sendCopies(rs, func(r *recipient, _ *[]byte) []byte { return r.copies[0] })
	n.sendCopies(rs, func(r *recipient, buf *[]byte) []byte {
		*buf = (*buf)[:0]
		for _, c := range r.copies[1:] {
			*buf = append(*buf, c...)
		}
		return *buf
	})
}

// recipients encodes each topic's message once per class of subscriber and lists who gets what.
func (n *Node) recipients(pks []packets.Packet, targets map[string][]match) []recipient {
	encoded := make(map[encodedKey][]byte, len(pks))
	var buf bytes.Buffer
	encode := func(pk packets.Packet) []byte {
		buf.Reset()
		if err := pk.PublishEncode(&buf); err != nil {
			n.log.Error("encode hazard", "topic", pk.TopicName, "error", err)
			return nil
		}
		return append([]byte(nil), buf.Bytes()...)
	}
	rs := make([]recipient, 0, len(targets))
	for id, ms := range targets {
		cl := ms[0].m.cl
		if cl.Closed() { // a session taken over keeps its subscriptions on a new client
			live, ok := n.broker.Clients.Get(id)
			if !ok || live.Closed() {
				continue
			}
			cl = live
		}
		lane, ok := cl.Net.Conn.(*laneConn)
		if !ok {
			continue // not connected (a persistent session) or not a network client
		}
		r := recipient{cl: cl, lane: lane}
		version := cl.Properties.ProtocolVersion
		for _, m := range ms {
			pk := pks[m.topic]
			if !n.hook.OnACLCheck(cl, pk.TopicName, false) {
				continue
			}
			retain := version == 5 && m.m.rap // [MQTT-3.3.1-12] [MQTT-3.3.1-13]
			var b []byte
			if ids := m.m.ids; len(ids) == 0 {
				key := encodedKey{m.topic, version, retain}
				if b, ok = encoded[key]; !ok {
					pk.ProtocolVersion, pk.FixedHeader.Retain = version, retain
					b = encode(pk)
					encoded[key] = b
				}
			} else { // [MQTT-3.3.4-3]: this subscription's identifiers ride along
				pk.ProtocolVersion, pk.FixedHeader.Retain = version, retain
				pk.Properties.SubscriptionIdentifier = ids
				b = encode(pk)
			}
			if max := cl.Properties.Props.MaximumPacketSize; len(b) == 0 || max > 0 && uint32(len(b)) > max {
				continue // [MQTT-3.1.2-25]: not sent to a client that cannot take it
			}
			r.copies = append(r.copies, b)
		}
		if len(r.copies) > 0 {
			rs = append(rs, r)
		}
	}
	return rs
}

// sendCopies hands each recipient what pick returns (nothing when empty) and returns when all
// are handed. The calling goroutine works through the recipients; with enough of them, up to
// GOMAXPROCS-1 helpers take recipients from the same counter, so a helper that gets a processor
// late simply takes fewer.
func (n *Node) sendCopies(rs []recipient, pick func(r *recipient, buf *[]byte) []byte) {
	var next atomic.Int64
	run := func() {
		var buf []byte
		for {
			i := int(next.Add(1)) - 1
			if i >= len(rs) {
				return
			}
			r := &rs[i]
			b := pick(r, &buf)
			if len(b) == 0 {
				continue
			}
			if r.lane.send(b) {
				n.hook.state(r.cl).drops.Store(0)
				continue
			}
			n.hook.OnPublishDropped(r.cl, packets.Packet{})
		}
	}
	var wg sync.WaitGroup
	for range min(runtime.GOMAXPROCS(0), len(rs)/minPerWorker) - 1 {
		wg.Go(run)
	}
	run()
	wg.Wait()
}

// minPerWorker is the fewest recipients worth another goroutine (a write costs some µs).
const minPerWorker = 16
