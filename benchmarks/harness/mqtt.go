package harness

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"sync"
	"time"

	"github.com/mochi-mqtt/server/v2/packets"
)

// conn is a minimal MQTT 5 client connection: the bench writes pre-encoded packets to it and
// one goroutine reads what the broker sends. Every packet is encoded and decoded by mochi-mqtt's
// packets package; nothing here knows the wire format beyond the fixed header.
//
// Writes are serialised by wmu (a writer loop sends telemetry, the reader acknowledges QoS 1
// deliveries); reads belong to one goroutine at a time (the handshake, then the reader).
type conn struct {
	nc   net.Conn
	br   *bufio.Reader
	wmu  sync.Mutex
	body []byte       // the reader's packet buffer, reused
	ack  bytes.Buffer // the reader's PUBACK buffer, reused
}

// keepalive is what every bench client asks for; vehicles keep it by publishing, the sensor
// pings when idle.
const keepalive = 60 * time.Second

var (
	errRefused      = errors.New("refused by the broker")
	errUnexpected   = errors.New("unexpected packet")
	errPacketTooBig = errors.New("packet too large")
)

const maxPacket = 1 << 20

func newConn(nc net.Conn) *conn {
	return &conn{nc: nc, br: bufio.NewReaderSize(nc, 2048)}
}

func (c *conn) write(b []byte) error {
	c.wmu.Lock()
	_, err := c.nc.Write(b)
	c.wmu.Unlock()
	return err
}

// readPacket reads one packet. The body is valid until the next call.
func (c *conn) readPacket() (packets.FixedHeader, []byte, error) {
	var fh packets.FixedHeader
	hb, err := c.br.ReadByte()
	if err != nil {
		return fh, nil, err
	}
	if err := fh.Decode(hb); err != nil {
		return fh, nil, err
	}
	n, _, err := packets.DecodeLength(c.br)
	if err != nil {
		return fh, nil, err
	}
	if n > maxPacket {
		return fh, nil, fmt.Errorf("%w: %d bytes", errPacketTooBig, n)
	}
	fh.Remaining = n
	if cap(c.body) < n {
		c.body = make([]byte, n)
	}
	body := c.body[:n]
	if _, err := io.ReadFull(c.br, body); err != nil {
		return fh, nil, err
	}
	return fh, body, nil
}

// handshake sends CONNECT (clean start), waits for CONNACK, then subscribes to filters at qos
// and waits for SUBACK. QoS 1 deliveries that overtake the SUBACK (retained messages) are
// acknowledged and dropped: they predate the run.
func (c *conn) handshake(ctx context.Context, clientID string, filters []string, qos byte) error {
	if d, ok := ctx.Deadline(); ok {
		_ = c.nc.SetDeadline(d)
		defer func() { _ = c.nc.SetDeadline(time.Time{}) }()
	}
	var b bytes.Buffer
	pk := packets.Packet{
		FixedHeader:     packets.FixedHeader{Type: packets.Connect},
		ProtocolVersion: 5,
		Connect: packets.ConnectParams{
			ProtocolName: []byte("MQTT"), Clean: true, Keepalive: uint16(keepalive / time.Second),
			ClientIdentifier: clientID,
		},
	}
	if err := pk.ConnectEncode(&b); err != nil {
		return err
	}
	if err := c.write(b.Bytes()); err != nil {
		return fmt.Errorf("connect: %w", err)
	}
	fh, body, err := c.readPacket()
	if err != nil {
		return fmt.Errorf("connack: %w", err)
	}
	if fh.Type != packets.Connack {
		return fmt.Errorf("%w: type %d instead of CONNACK", errUnexpected, fh.Type)
	}
	ack := packets.Packet{FixedHeader: fh, ProtocolVersion: 5}
	if err := ack.ConnackDecode(body); err != nil {
		return fmt.Errorf("connack: %w", err)
	}
	if ack.ReasonCode >= 0x80 {
		return fmt.Errorf("connect %s: %w: reason 0x%02x", clientID, errRefused, ack.ReasonCode)
	}
	if len(filters) == 0 {
		return nil
	}
	sub := packets.Packet{FixedHeader: packets.FixedHeader{Type: packets.Subscribe, Qos: 1}, PacketID: 1, ProtocolVersion: 5}
	for _, f := range filters {
		sub.Filters = append(sub.Filters, packets.Subscription{Filter: f, Qos: qos})
	}
	b.Reset()
	if err := sub.SubscribeEncode(&b); err != nil {
		return err
	}
	if err := c.write(b.Bytes()); err != nil {
		return fmt.Errorf("subscribe: %w", err)
	}
	for {
		fh, body, err := c.readPacket()
		if err != nil {
			return fmt.Errorf("suback: %w", err)
		}
		switch fh.Type {
		case packets.Publish:
			pub := packets.Packet{FixedHeader: fh, ProtocolVersion: 5}
			if err := pub.PublishDecode(body); err == nil && fh.Qos > 0 {
				if err := c.puback(pub.PacketID); err != nil {
					return err
				}
			}
			continue
		case packets.Suback:
		default:
			return fmt.Errorf("%w: type %d instead of SUBACK", errUnexpected, fh.Type)
		}
		sa := packets.Packet{FixedHeader: fh, ProtocolVersion: 5}
		if err := sa.SubackDecode(body); err != nil {
			return fmt.Errorf("suback: %w", err)
		}
		for _, rc := range sa.ReasonCodes {
			if rc >= 0x80 {
				return fmt.Errorf("subscribe %s: %w: reason 0x%02x", clientID, errRefused, rc)
			}
		}
		return nil
	}
}

// puback acknowledges a QoS 1 delivery. Reader goroutine only.
func (c *conn) puback(id uint16) error {
	c.ack.Reset()
	pk := packets.Packet{FixedHeader: packets.FixedHeader{Type: packets.Puback}, PacketID: id, ProtocolVersion: 5}
	if err := pk.PubackEncode(&c.ack); err != nil {
		return err
	}
	return c.write(c.ack.Bytes())
}

// pingreq is an encoded PINGREQ.
func pingreq() []byte {
	var b bytes.Buffer
	pk := packets.Packet{FixedHeader: packets.FixedHeader{Type: packets.Pingreq}}
	_ = pk.PingreqEncode(&b)
	return b.Bytes()
}

// close says DISCONNECT (normal) and closes the connection.
func (c *conn) close() {
	var b bytes.Buffer
	pk := packets.Packet{FixedHeader: packets.FixedHeader{Type: packets.Disconnect}, ProtocolVersion: 5}
	if pk.DisconnectEncode(&b) == nil {
		_ = c.nc.SetWriteDeadline(time.Now().Add(time.Second))
		_ = c.write(b.Bytes())
	}
	_ = c.nc.Close()
}
