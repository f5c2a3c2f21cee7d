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

// However the connection's bytes are split into reads, the filter only ever takes whole packets
// that start a read's packet boundary and satisfy take, and passes every other byte on, in order,
// so that what the broker reads is a sequence of whole packets.
func TestInFilterTakesWholePacketsOnly(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for round := range 200 {
		var stream []byte
		var frames [][]byte
		starts := map[int]int{} // stream offset of a packet → its index
		for i := range 40 {
			first := []byte{publishQoS0, publishQoS0 | 2, 0x82, 0xc0, 0x10}[rng.IntN(5)]
			n := []int{0, 1, 5, 126, 127, 128, 300, 16383, 16384}[rng.IntN(9)]
			if first == 0xc0 {
				n = 0 // PINGREQ
			}
			f := frame(first, n, byte(i))
			starts[len(stream)] = i
			frames = append(frames, f)
			stream = append(stream, f...)
		}
		takeable := func(f []byte, header int) bool { return f[0] == publishQoS0 && (len(f)-header)%2 == 1 }
		var f inFilter
		var toBroker, taken []byte
		wasTaken := map[int]bool{}
		chunkOf := make([]int, len(stream)) // stream offset → the read it came in
		for at, c := 0, 0; at < len(stream); c++ {
			k := 1 + rng.IntN(min(len(stream)-at, []int{3, 64, 2048, 70000}[round%4]))
			buf := bytes.Clone(stream[at : at+k])
			for j := range k {
				chunkOf[at+j] = c
			}
			n := f.filter(buf, func(fr []byte, header int) bool {
				pos := at + cap(buf) - cap(fr)
				i, ok := starts[pos]
				require.True(t, ok, "round %d: offered bytes at %d, not a packet boundary", round, pos)
				require.Equal(t, frames[i], fr, "offered the whole packet")
				require.Equal(t, len(fr)-bodyLen(fr), header)
				if !takeable(fr, header) {
					return false
				}
				taken = append(taken, fr...)
				wasTaken[i] = true
				return true
			})
			toBroker = append(toBroker, buf[:n]...)
			at += k
		}
		// Every takeable packet that came whole in one read was taken.
		for pos, i := range starts {
			fr := frames[i]
			if takeable(fr, len(fr)-bodyLen(fr)) && chunkOf[pos] == chunkOf[pos+len(fr)-1] {
				require.True(t, wasTaken[i], "round %d: packet %d came whole in one read", round, i)
			}
		}
		// Each packet is, in stream order, either next in what the broker got or next among the
		// taken ones (bodies are filled with the packet's index, so they are told apart).
		b, tk := toBroker, taken
		for _, fr := range frames {
			if bytes.HasPrefix(b, fr) {
				b = b[len(fr):]
				continue
			}
			require.True(t, bytes.HasPrefix(tk, fr), "round %d: a packet neither passed whole nor taken whole", round)
			require.True(t, takeable(fr, len(fr)-bodyLen(fr)))
			tk = tk[len(fr):]
		}
		require.Empty(t, b, "round %d", round)
		require.Empty(t, tk, "round %d", round)
	}

	// One read holding everything: every takeable packet is taken.
	var f inFilter
	stream := append(append(frame(publishQoS0, 3, 1), frame(0x82, 4, 2)...), frame(publishQoS0, 5, 3)...)
	n := f.filter(stream, func(fr []byte, _ int) bool { return fr[0] == publishQoS0 })
	require.Equal(t, frame(0x82, 4, 2), stream[:n])

	// A malformed remaining length turns the filter off: the broker gets everything and closes.
	f = inFilter{}
	bad := append([]byte{publishQoS0, 0xff, 0xff, 0xff, 0xff, 0x01}, frame(publishQoS0, 3, 1)...)
	require.Equal(t, len(bad), f.filter(bytes.Clone(bad), func([]byte, int) bool { return true }))
	require.True(t, f.off)
}

func bodyLen(fr []byte) int { rem, _ := frameLength(fr); return rem }
