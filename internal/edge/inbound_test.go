package edge

import (
	"bytes"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"
)

// frame is an MQTT-framed packet: first byte, remaining length, then n bytes of body.
func frame(first byte, n int, fill byte) []byte {
	b := []byte{first}
	for v := n; ; {
		c := byte(v & 0x7f)
		v >>= 7
		if v > 0 {
			c |= 0x80
		}
		b = append(b, c)
		if v == 0 {
			break
		}
	}
	return append(b, bytes.Repeat([]byte{fill}, n)...)
}

// However the connection's bytes are split into reads, the packets are handled in the order
// they were sent — those the filter takes when it takes them, the broker's when a broker that
// reads what the filter leaves has them whole — and the filter takes every takeable packet that
// comes whole at the front of a read, and no other.
func TestInFilterKeepsPacketOrder(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for round := range 400 {
		var stream []byte
		var frames [][]byte
		starts := map[int]int{} // stream offset of a packet → its index
		for i := range 40 {
			first := []byte{publishQoS0, publishQoS0, publishQoS0 | 2, 0x82, 0xc0, 0x10}[rng.IntN(6)]
			n := []int{0, 1, 5, 126, 127, 128, 300, 16383, 16384}[rng.IntN(9)]
			if first == 0xc0 {
				n = 0 // PINGREQ
			}
			f := frame(first, n, byte(i))
			starts[len(stream)] = i
			frames = append(frames, f)
			stream = append(stream, f...)
		}
		takeable := func(f []byte) bool { return f[0] == publishQoS0 && bodyLen(f)%3 != 0 }
		var f inFilter
		var handled [][]byte // packets in the order they were handled
		var broker []byte    // what the broker has read and not yet handled
		for at := 0; at < len(stream); {
			k := 1 + rng.IntN(min(len(stream)-at, []int{3, 64, 2048, 70000}[round%4]))
			buf := bytes.Clone(stream[at : at+k])
			mayTake := true // nothing of the broker's before it in this read
			n := f.filter(buf, func(fr []byte, header int) bool {
				pos := at + cap(buf) - cap(fr)
				i, ok := starts[pos]
				require.True(t, ok, "round %d: offered bytes at %d, not a packet boundary", round, pos)
				require.Equal(t, frames[i], fr, "offered the whole packet")
				require.Equal(t, len(fr)-bodyLen(fr), header)
				if !takeable(fr) {
					mayTake = false
					return false
				}
				require.True(t, mayTake, "round %d: offered packet %d after one of the broker's", round, i)
				handled = append(handled, bytes.Clone(fr)) // fr is the read buffer's
				return true
			})
			// The broker handles every whole packet it has, then reads again.
			broker = append(broker, buf[:n]...)
			for {
				rem, hl := frameLength(broker)
				if hl <= 0 || len(broker) < hl+rem {
					break
				}
				handled = append(handled, bytes.Clone(broker[:hl+rem]))
				broker = broker[hl+rem:]
			}
			// Every takeable packet whole at the front of this read was taken.
			for pos := at; pos < at+k; {
				i, ok := starts[pos]
				if !ok || pos+len(frames[i]) > at+k || !takeable(frames[i]) {
					break
				}
				require.Contains(t, handled, frames[i], "round %d: packet %d came whole at the front of a read", round, i)
				pos += len(frames[i])
			}
			at += k
		}
		require.Empty(t, broker, "round %d", round)
		require.Equal(t, frames, handled, "round %d: handled in the order sent", round)
	}

	// One read: the publishes before the SUBSCRIBE are taken, the one after it is the broker's.
	var f inFilter
	stream := append(append(append(frame(publishQoS0, 3, 1), frame(publishQoS0, 4, 2)...), frame(0x82, 4, 3)...), frame(publishQoS0, 5, 4)...)
	n := f.filter(stream, func(fr []byte, _ int) bool { return fr[0] == publishQoS0 })
	require.Equal(t, append(frame(0x82, 4, 3), frame(publishQoS0, 5, 4)...), stream[:n])

	// A malformed remaining length turns the filter off: the broker gets everything and closes.
	f = inFilter{}
	bad := append([]byte{publishQoS0, 0xff, 0xff, 0xff, 0xff, 0x01}, frame(publishQoS0, 3, 1)...)
	require.Equal(t, len(bad), f.filter(bytes.Clone(bad), func([]byte, int) bool { return true }))
	require.True(t, f.off)
}

func bodyLen(fr []byte) int { rem, _ := frameLength(fr); return rem }
