package harness

import (
	"context"
	"errors"
	"net"
	"time"

	"github.com/quic-go/quic-go"
)

// vehiclesPerSocket is how many native vehicles share one UDP socket (one quic.Transport).
// Every vehicle is still a QUIC connection of its own, with its own handshake, keys and
// streams; the transport demultiplexes them by connection ID. Sharing spares the generator a
// socket and a reader goroutine per vehicle, and reads up to 8 packets per recvmmsg instead of
// waking one goroutine per packet.
const vehiclesPerSocket = 500

// nativeSocketCount returns the number of shared sockets for n vehicles (and the sensor).
func nativeSocketCount(n int) int { return n/vehiclesPerSocket + 1 }

// nativeSockets are the generator's shared client transports.
type nativeSockets []*quic.Transport

func newNativeSockets(n int) (nativeSockets, error) {
	s := make(nativeSockets, 0, n)
	for range n {
		pc, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
		if err != nil {
			s.close()
			return nil, err
		}
		s = append(s, &quic.Transport{Conn: pc})
	}
	return s, nil
}

// pick returns the transport of a station: stations spread evenly over the sockets.
func (s nativeSockets) pick(station uint32) *quic.Transport { return s[int(station)%len(s)] }

// close closes the transports and their sockets, after the connections on them.
func (s nativeSockets) close() {
	for _, tr := range s {
		_ = tr.Close()
		_ = tr.Conn.Close()
	}
}

// dialRetry dials until the QUIC handshake is not refused for capacity: quic-go refuses a
// connection whose handshake completes while 32 others wait for the server's Accept, which a
// starved server can hit while thousands of vehicles connect at once (natively or MQTT over
// QUIC, where the refusal shows when the CONNACK is read).
func dialRetry[C any](ctx context.Context, dial func() (C, error)) (C, error) {
	for attempt := 0; ; attempt++ {
		c, err := dial()
		if err == nil || attempt == 4 || !refused(err) {
			return c, err
		}
		t := time.NewTimer(time.Duration(attempt+1) * 50 * time.Millisecond)
		select {
		case <-ctx.Done():
			t.Stop()
			return c, err
		case <-t.C:
		}
	}
}

func refused(err error) bool {
	te, ok := errors.AsType[*quic.TransportError](err)
	return ok && te.Remote && te.ErrorCode == quic.ConnectionRefused
}
