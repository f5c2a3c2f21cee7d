package broker

import (
	"io"
	"strings"
	"sync/atomic"
	"time"

	mqtt "github.com/mochi-mqtt/server/v2"
	"github.com/mochi-mqtt/server/v2/packets"
)

// The server's way in for telemetry.
//
// Nearly everything a vehicle sends is one kind of packet: a QoS 0 PUBLISH of its CAM into
// inQueue, ten times a second. The broker's read path costs about as much again as the edge's
// own decode, validate and index: it copies each packet twice, passes the packet by value through
// a dozen calls (which is what grows every connection's read stack to 32 KiB), asks every hook,
// and looks the topic up among all subscriptions although no one subscribes to inQueue.
//
// So a connection's lane also filters what the broker reads (laneConn.Read): a whole QoS 0
// PUBLISH into {root}/inQueue/v2x/ with no retain flag and no topic alias, from a client whose
// session is established, while no subscription can match an inQueue topic, is decoded with
// mochi's packet decoder and ingested where it lies in the read buffer, and the broker never
// sees it. What the broker's read path does for such a packet is kept: the keep-alive deadline,
// the server's maximum packet size (a larger packet goes to the broker, which refuses it), the
// $SYS counters, topic validity, and the same ingest and rejection log as the OnPublish hook.
// Every other packet goes to the broker as it came, in the order sent.

// inFilter is the lane's position in the byte stream the client sends: packets are taken
// whole or passed on whole, so the broker always reads at a packet boundary and handles what it
// gets in the order the client sent it.
type inFilter struct {
	owed  int    // bytes of the packet in progress that go to the broker
	carry []byte // the start of a packet held back until the rest arrives (see filter)
	off   bool   // the stream is malformed: everything goes to the broker, which closes it
}

// Read is the broker's way in: the connection's bytes, less the packets the edge took.
func (c *laneConn) Read(p []byte) (int, error) {
	if c.s == nil {
		return c.Conn.Read(p)
	}
	return c.in.read(c.Conn, p, c.take)
}

// read reads from r into p what the broker is to read: held-back bytes first, then what r has,
// less the packets take takes.
func (f *inFilter) read(r io.Reader, p []byte, take func(frame []byte, header int) bool) (int, error) {
	for {
		k := copy(p, f.carry)
		if len(f.carry) >= len(p) { // no room to complete it here: from now on the broker reads the raw stream
			f.off, f.carry = true, f.carry[k:]
			return k, nil
		}
		f.carry = f.carry[:0]
		n, err := r.Read(p[k:])
		if n += k; n > 0 {
			n = f.filter(p[:n:len(p)], take) // cap: what the next read can hold
		}
		if n > 0 || err != nil {
			return n, err // at an error, a held-back partial packet goes with the connection
		}
	}
}

// filter offers take the whole packets at the front of b, up to the first one that is the
// broker's, removes those it takes and returns how many bytes are left at b's front: the
// broker's, in order. Nothing after a packet of the broker's is taken, because the broker
// handles it only after this read returns, and a client's packets are handled in order (a CAM
// overtaking an older one would be a replay to the edge). When the broker asks for more, it has
// handled every whole packet it was given.
//
// A packet cut by the end of b is held back (carry) when it is small enough to be read whole
// into the next read's buffer (the broker's reads all come with the same buffer, 2 KiB), so a
// client whose packets arrive run together, cut anywhere, still has them taken; a larger one
// goes to the broker as it comes.
func (f *inFilter) filter(b []byte, take func(frame []byte, header int) bool) int {
	if f.off {
		return len(b)
	}
	out, i := 0, 0
	pass := func(k int) {
		out += copy(b[out:], b[i:i+k])
		i += k
	}
	for i < len(b) {
		if f.owed > 0 {
			k := min(f.owed, len(b)-i)
			f.owed -= k
			pass(k)
			continue
		}
		rem, hl := frameLength(b[i:])
		switch {
		case hl < 0:
			f.off = true
			pass(len(b) - i)
		case hl > 0 && hl+rem <= len(b)-i: // whole
			if out == 0 && take(b[i:i+hl+rem], hl) {
				i += hl + rem
				continue
			}
			pass(hl + rem)
		case hl == 0 || hl+rem < cap(b):
			f.carry = append(f.carry, b[i:]...)
			i = len(b)
		default:
			k := len(b) - i
			f.owed = hl + rem - k
			pass(k)
		}
	}
	return out
}

// frameLength decodes the fixed header at the front of b: the remaining length and the header's
// own length, 0 when b ends inside the header, -1 when the length is malformed [MQTT-1.5.5].
func frameLength(b []byte) (remaining, header int) {
	mult := 1
	for i := 1; i < len(b); i++ {
		remaining += int(b[i]&0x7f) * mult
		if b[i]&0x80 == 0 {
			return remaining, i + 1
		}
		if i == 4 {
			return 0, -1
		}
		mult <<= 7
	}
	return 0, 0
}

// publishQoS0 is the first byte of a PUBLISH with no DUP, QoS 0 and no RETAIN.
const publishQoS0 = packets.Publish << 4

// take ingests frame, a whole packet with a fixed header of hl bytes, when it is the edge's to
// take (see above), reporting whether it did.
func (c *laneConn) take(frame []byte, hl int) bool {
	cl, s := c.state.client, c.s
	if frame[0] != publishQoS0 || cl == nil || s.subs.inbound.Load() > 0 {
		return false
	}
	body := frame[hl:]
	if max := s.mochi.Options.Capabilities.MaximumPacketSize; max > 0 && uint32(len(body)+1) > max {
		return false
	}
	pk := packets.Packet{
		FixedHeader:     packets.FixedHeader{Type: packets.Publish, Remaining: len(body)},
		ProtocolVersion: cl.Properties.ProtocolVersion,
	}
	if pk.PublishDecode(body) != nil || pk.Properties.TopicAliasFlag ||
		len(pk.TopicName) <= len(s.inPrefix) || pk.TopicName[:len(s.inPrefix)] != s.inPrefix ||
		!mqtt.IsValidFilter(pk.TopicName, true) {
		return false // the broker's: it answers errors and topic aliases
	}
	atomic.AddInt64(&s.mochi.Info.PacketsReceived, 1)
	atomic.AddInt64(&s.mochi.Info.MessagesReceived, 1)
	atomic.AddInt64(&s.mochi.Info.BytesReceived, int64(len(frame)))
	var expiry time.Time // as the broker's read loop sets it before every packet [MQTT-3.1.2-22]
	if ka := cl.State.Keepalive; ka > 0 {
		expiry = time.Now().Add(time.Duration(ka+ka/2) * time.Second)
	}
	_ = c.Conn.SetDeadline(expiry) // reads and writes, as the broker does
	s.m.Direct.Inc()
	// mochi's decoder makes the topic a string over the read buffer (TestMochiDecodesTopicInPlace):
	// what the Handler keeps of it (a source, a metric label) must not change with the next read.
	topic := strings.Clone(pk.TopicName)
	_ = s.h.Publish(&c.state, topic, pk.Payload) // QoS 0: nothing to answer
	return true
}
