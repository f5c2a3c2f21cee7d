package uplink

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"io"

	"github.com/vmihailenco/msgpack/v5"
)

// ALPN is the TLS application protocol of the uplink.
const ALPN = "michi-uplink/1"

// Frame limits.
const (
	// DefaultMaxFrameBytes bounds a frame (type byte and msgpack body) on both sides.
	DefaultMaxFrameBytes = 4 << 20
	frameHeaderLen       = 4
)

// frameType is the byte after a frame's length prefix. The table is in docs/uplink-protocol.md.
type frameType uint8

const (
	frameHello        frameType = 0x01 // edge → hub, first frame
	frameWelcome      frameType = 0x02 // hub → edge, answer to Hello
	frameBatch        frameType = 0x03 // edge → hub, records
	frameAck          frameType = 0x04 // hub → edge, after the Sink committed
	frameAuthority    frameType = 0x05 // hub → edge, an authority hazard
	frameAuthorityAck frameType = 0x06 // edge → hub, the authority hazard was taken
)

func (t frameType) String() string {
	switch t {
	case frameHello:
		return "Hello"
	case frameWelcome:
		return "Welcome"
	case frameBatch:
		return "Batch"
	case frameAck:
		return "Ack"
	case frameAuthority:
		return "Authority"
	case frameAuthorityAck:
		return "AuthorityAck"
	}
	return fmt.Sprintf("frame(%#x)", uint8(t))
}

// helloFrame opens a session. EdgeID must be empty or the certificate's CommonName.
// LastAcked is the edge's own idea of what the hub has (a hint for logs and metrics; the hub's
// Welcome is what counts).
type helloFrame struct {
	EdgeID    string `msgpack:"edge_id"`
	LastAcked uint64 `msgpack:"last_acked"`
	Depth     int    `msgpack:"depth"` // unacked records at the edge, for the hub's view
}

// welcomeFrame answers Hello with the hub's stored high-water mark for the edge: the edge acks
// everything at or below it and resumes after it.
type welcomeFrame struct {
	EdgeID    string `msgpack:"edge_id"` // the identity the hub took from the certificate
	HighWater uint64 `msgpack:"high_water"`
}

// batchFrame carries records, each the msgpack encoding of a Record exactly as the queue stored
// it, in strictly ascending Seq order.
type batchFrame struct {
	Records []msgpack.RawMessage `msgpack:"records"`
}

// ackFrame reports the hub's high-water mark after its Sink committed a batch: every record of
// this edge at or below it is stored.
type ackFrame struct {
	HighWater uint64 `msgpack:"high_water"`
}

// authorityFrame carries one authority hazard down. Tag identifies this delivery; a newer
// version of the same hazard gets a new tag.
type authorityFrame struct {
	Tag    uint64          `msgpack:"tag"`
	Hazard AuthorityHazard `msgpack:"hazard"`
}

// authorityAckFrame confirms that the edge handed the hazard with Tag to its OnAuthority.
type authorityAckFrame struct {
	Tag uint64 `msgpack:"tag"`
}

// frameEncoder encodes frames into a reused buffer.
type frameEncoder struct {
	buf bytes.Buffer
	enc *msgpack.Encoder
}

func newFrameEncoder() *frameEncoder {
	fe := &frameEncoder{}
	fe.enc = msgpack.NewEncoder(&fe.buf)
	fe.enc.UseCompactInts(true)
	return fe
}

// encode returns the frame: length prefix, type, msgpack body. The slice is valid until the
// next call.
func (fe *frameEncoder) encode(t frameType, v any) ([]byte, error) {
	fe.buf.Reset()
	fe.buf.Write([]byte{0, 0, 0, 0, byte(t)})
	if err := fe.enc.Encode(v); err != nil {
		return nil, fmt.Errorf("encode %s: %w", t, err)
	}
	b := fe.buf.Bytes()
	binary.BigEndian.PutUint32(b, uint32(len(b)-frameHeaderLen))
	return b, nil
}

// frameReader reads frames from a stream. Between frames it may wait indefinitely (an idle
// peer is QUIC's keep-alive's business); once a length prefix has arrived, body is called with
// true before the rest is read and with false after, so the owner can bound a stalled frame
// with a read deadline.
type frameReader struct {
	r    io.Reader
	max  int
	body func(start bool)
	hdr  [frameHeaderLen]byte
	buf  []byte
}

// next returns the next frame's type and msgpack body, valid until the next call. It returns
// io.EOF at a clean end of the stream between frames, ErrFrameTooLarge for a length above max,
// and ErrMalformed (wrapping io.ErrUnexpectedEOF) for a stream ending inside a frame.
func (fr *frameReader) next() (frameType, []byte, error) {
	if _, err := io.ReadFull(fr.r, fr.hdr[:1]); err != nil {
		return 0, nil, err
	}
	if fr.body != nil {
		fr.body(true)
		defer fr.body(false)
	}
	if _, err := io.ReadFull(fr.r, fr.hdr[1:]); err != nil {
		return 0, nil, truncated(err)
	}
	n := int(binary.BigEndian.Uint32(fr.hdr[:]))
	if n < 1 {
		return 0, nil, fmt.Errorf("%w: empty frame", ErrMalformed)
	}
	if n > fr.max {
		return 0, nil, fmt.Errorf("%w: %d bytes, limit %d", ErrFrameTooLarge, n, fr.max)
	}
	if cap(fr.buf) < n {
		fr.buf = make([]byte, n)
	}
	b := fr.buf[:n]
	if _, err := io.ReadFull(fr.r, b); err != nil {
		return 0, nil, truncated(err)
	}
	return frameType(b[0]), b[1:], nil
}

func truncated(err error) error {
	if err == io.EOF || err == io.ErrUnexpectedEOF {
		return fmt.Errorf("%w: stream ended inside a frame: %w", ErrMalformed, io.ErrUnexpectedEOF)
	}
	return err
}

// decodeBody decodes a frame body into v, which must consume it entirely.
func decodeBody(t frameType, body []byte, v any) error {
	r := bytes.NewReader(body)
	dec := msgpack.NewDecoder(r)
	if err := dec.Decode(v); err != nil {
		return fmt.Errorf("%w: %s: %w", ErrMalformed, t, err)
	}
	if r.Len() != 0 {
		return fmt.Errorf("%w: %s: %d bytes after the body", ErrMalformed, t, r.Len())
	}
	return nil
}

// decodeRecord decodes one record of a batch.
func decodeRecord(raw []byte, rec *Record) error {
	*rec = Record{}
	if err := decodeBody(frameBatch, raw, rec); err != nil {
		return err
	}
	return nil
}
