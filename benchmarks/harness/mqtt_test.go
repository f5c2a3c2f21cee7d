package harness

import (
	"bytes"
	"context"
	"net"
	"testing"
	"time"

	"github.com/mochi-mqtt/server/v2/packets"
	"github.com/stretchr/testify/require"
)

// fakeBroker answers a CONNECT with a CONNACK of the given reason on the far end of a pipe.
func fakeBroker(t *testing.T, reason byte) net.Conn {
	t.Helper()
	client, server := net.Pipe()
	t.Cleanup(func() { client.Close(); server.Close() })
	go func() {
		c := newConn(server)
		if _, _, err := c.readPacket(); err != nil {
			return
		}
		var b bytes.Buffer
		pk := packets.Packet{FixedHeader: packets.FixedHeader{Type: packets.Connack}, ProtocolVersion: 5, ReasonCode: reason}
		_ = pk.ConnackEncode(&b)
		_ = c.write(b.Bytes())
	}()
	return client
}

func TestHandshakeReportsARefusal(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	err := newConn(fakeBroker(t, 0x87)).handshake(ctx, "v1", nil, 1)
	require.ErrorIs(t, err, errRefused)
	require.ErrorContains(t, err, "0x87")
	require.NoError(t, newConn(fakeBroker(t, 0)).handshake(ctx, "v1", nil, 1))
}

func TestReadPacketRefusesOversizedPackets(t *testing.T) {
	client, server := net.Pipe()
	defer client.Close()
	go func() {
		// PUBLISH with a remaining length of 2 MiB
		_, _ = server.Write([]byte{0x30, 0x80, 0x80, 0x80, 0x01})
		server.Close()
	}()
	_, _, err := newConn(client).readPacket()
	require.ErrorIs(t, err, errPacketTooBig)
}
