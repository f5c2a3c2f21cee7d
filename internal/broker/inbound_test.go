package broker

import (
	"bytes"
	"io"
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

// chunks is a connection whose reads return the stream cut at the given sizes.
type chunks struct {
	stream []byte
	sizes  func() int
}

func (c *chunks) Read(p []byte) (int, error) {
	if len(c.stream) == 0 {
		return 0, io.EOF
	}
	n := copy(p, c.stream[:min(len(c.stream), c.sizes())])
	c.stream = c.stream[n:]
	return n, nil
}

// However the connection's bytes are cut into reads, the packets are handled in the order they
// were sent — those the filter takes when it takes them, the broker's when a broker reading
// what the filter leaves (with a 2 KiB buffer, as the edge configures mochi) has them whole —
// and take is only ever offered whole packets. When every packet is small and takeable, every
// one is taken, however the reads cut them.
func TestInFilterKeepsPacketOrder(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for round := range 400 {
		allTakeable := round%5 == 0
		var stream []byte
		var frames [][]byte
		for i := range 60 {
			first := []byte{publishQoS0, publishQoS0, publishQoS0 | 2, 0x82, 0xc0, 0x10}[rng.IntN(6)]
			n := []int{0, 1, 5, 126, 127, 128, 300, 900, 16383, 16384}[rng.IntN(10)]
			if allTakeable {
				first, n = publishQoS0, []int{1, 5, 127, 128, 300, 900, 2040}[rng.IntN(7)]
			}
			if first == 0xc0 {
				n = 0 // PINGREQ
			}
			f := frame(first, n, byte(i))
			frames = append(frames, f)
			stream = append(stream, f...)
		}
		takeable := func(f []byte) bool { return f[0] == publishQoS0 && (allTakeable || bodyLen(f)%3 != 0) }
		maxChunk := []int{3, 64, 2048, 70000}[round%4]
		conn := &chunks{stream: stream, sizes: func() int { return 1 + rng.IntN(maxChunk) }}
		var f inFilter
		var handled [][]byte // packets in the order they were handled
		var broker []byte    // what the broker has read and not yet handled
		taken := 0
		for {
			p := make([]byte, 2048)
			n, err := f.read(conn, p, func(fr []byte, header int) bool {
				// The next packet to handle, whole: everything before it was handled.
				require.Less(t, len(handled), len(frames), "round %d", round)
				require.Equal(t, frames[len(handled)], fr, "round %d: offered bytes that are not the next packet whole", round)
				require.Equal(t, len(fr)-bodyLen(fr), header)
				if !takeable(fr) {
					return false
				}
				handled = append(handled, bytes.Clone(fr)) // fr is the read buffer's
				taken++
				return true
			})
			// The broker handles every whole packet it has, then reads again.
			broker = append(broker, p[:n]...)
			for {
				rem, hl := frameLength(broker)
				if hl <= 0 || len(broker) < hl+rem {
					break
				}
				handled = append(handled, bytes.Clone(broker[:hl+rem]))
				broker = broker[hl+rem:]
			}
			if err != nil {
				require.ErrorIs(t, err, io.EOF)
				break
			}
		}
		require.Empty(t, broker, "round %d", round)
		require.Equal(t, frames, handled, "round %d: handled in the order sent", round)
		if allTakeable {
			require.Equal(t, len(frames), taken, "round %d: every packet taken", round)
		}
	}

	// One read: the publishes before the SUBSCRIBE are taken, the one after it is the broker's.
	var f inFilter
	stream := append(append(append(frame(publishQoS0, 3, 1), frame(publishQoS0, 4, 2)...), frame(0x82, 4, 3)...), frame(publishQoS0, 5, 4)...)
	n := f.filter(stream, func(fr []byte, _ int) bool { return fr[0] == publishQoS0 })
	require.Equal(t, append(frame(0x82, 4, 3), frame(publishQoS0, 5, 4)...), stream[:n])

	// A reader whose buffer shrank below what is held back, or to exactly its size (no room for
	// a byte more), gets the raw stream from then on.
	stream = append(append(frame(0x82, 3, 1), frame(publishQoS0, 1500, 2)...), frame(publishQoS0, 3, 3)...)
	for _, shrunk := range []int{600, 995} {
		f = inFilter{}
		conn := &chunks{stream: bytes.Clone(stream), sizes: func() int { return 1000 }}
		var got []byte
		for _, size := range []int{2048, shrunk, 600, 600, 600} {
			p := make([]byte, size)
			n, err := f.read(conn, p, func([]byte, int) bool { return false })
			if err != nil {
				break
			}
			got = append(got, p[:n]...)
		}
		require.True(t, f.off, "next buffer %d bytes", shrunk)
		require.Equal(t, stream, got, "next buffer %d bytes", shrunk)
	}

	// A malformed remaining length turns the filter off: the broker gets everything and closes.
	f = inFilter{}
	bad := append([]byte{publishQoS0, 0xff, 0xff, 0xff, 0xff, 0x01}, frame(publishQoS0, 3, 1)...)
	require.Equal(t, len(bad), f.filter(bytes.Clone(bad), func([]byte, int) bool { return true }))
	require.True(t, f.off)
}

func bodyLen(fr []byte) int { rem, _ := frameLength(fr); return rem }

// Whatever a client sends, however its bytes are cut and whatever the broker's buffer, the
// filter never panics and loses, duplicates or reorders nothing: the packets handled (taken,
// or whole in what the broker read, when it read them), then what the broker could not parse,
// then what is still held back, are the stream.
func FuzzInFilter(f *testing.F) {
	f.Add(append(frame(publishQoS0, 5, 1), frame(0x82, 3, 2)...), uint8(3), uint8(255), uint8(0))
	f.Add(append([]byte{publishQoS0, 0xff, 0xff, 0xff, 0xff, 0x01}, frame(publishQoS0, 3, 1)...), uint8(1), uint8(2), uint8(1))
	f.Add(append(frame(publishQoS0, 1500, 1), frame(publishQoS0, 3, 2)...), uint8(200), uint8(50), uint8(0))
	f.Fuzz(func(t *testing.T, stream []byte, cut, bufSize, parity uint8) {
		conn := &chunks{stream: bytes.Clone(stream), sizes: func() int { return 1 + int(cut) }}
		var fl inFilter
		var handled, broker []byte
		p := make([]byte, 16+int(bufSize)*8) // the broker's buffer, the same for every read
		for reads := 0; ; reads++ {
			require.Less(t, reads, 2*len(stream)+2, "the filter makes progress")
			n, err := fl.read(conn, p, func(fr []byte, header int) bool {
				rem, hl := frameLength(fr)
				require.Equal(t, header, hl)
				require.Equal(t, len(fr), hl+rem, "a whole packet")
				require.Empty(t, broker, "offered only when the broker has handled everything before it")
				if fr[0] != publishQoS0 || len(fr)%2 != int(parity%2) {
					return false
				}
				handled = append(handled, fr...)
				return true
			})
			broker = append(broker, p[:n]...)
			for !fl.off {
				rem, hl := frameLength(broker)
				if hl <= 0 || len(broker) < hl+rem {
					break
				}
				handled = append(handled, broker[:hl+rem]...)
				broker = broker[hl+rem:]
			}
			if err != nil {
				break
			}
		}
		require.Equal(t, string(stream), string(append(append(handled, broker...), fl.carry...)))
	})
}
