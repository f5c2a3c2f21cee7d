package native

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"strconv"
)

// maxFields bounds the entries of a frame map, known or not.
const maxFields = 32

// AppendFrame appends f's encoding — the 4-byte big-endian payload length, then the msgpack map —
// to b. The map's first key is "type". On error b is returned unchanged and the error is an
// *Error (CodeTooLarge when the payload would exceed MaxFrameSize, CodeBadFrame for a frame that
// cannot be encoded, such as a CAMFrame without a CAM or a string that is not UTF-8).
func AppendFrame(b []byte, f Frame) ([]byte, error) {
	start := len(b)
	b = append(b, 0, 0, 0, 0, 0) // length, then room for a fixmap header
	b = mpString(b, "type")
	b = mpUint(b, uint64(f.Type()))
	b, n, err := f.appendFields(b)
	if err != nil {
		return b[:start], &Error{Code: CodeBadFrame, Reason: "encode " + f.Type().String() + ": " + err.Error(), err: err}
	}
	b[start+lengthSize] = 0x80 | byte(n+1) // every frame has fewer than 15 fields
	size := len(b) - start - lengthSize
	if size > MaxFrameSize {
		return b[:start], &Error{Code: CodeTooLarge, Reason: fmt.Sprintf("%s frame of %d bytes exceeds %d", f.Type(), size, MaxFrameSize)}
	}
	binary.BigEndian.PutUint32(b[start:], uint32(size))
	return b, nil
}

// EncodeFrame returns f's encoding; see AppendFrame.
func EncodeFrame(f Frame) ([]byte, error) { return AppendFrame(nil, f) }

// WriteFrame writes f's encoding to w in one Write call.
func WriteFrame(w io.Writer, f Frame) error {
	b, err := EncodeFrame(f)
	if err != nil {
		return err
	}
	_, err = w.Write(b)
	return err
}

// DecodeFrame decodes b, which must hold exactly one frame: its length prefix and payload, as a
// QUIC datagram does. Errors are *Error values: CodeTooLarge for a length over MaxFrameSize,
// CodeBadFrame for everything else (and they unwrap to the pkg/v2x error when the CAM or DENM
// inside was malformed). DecodeFrame never panics, whatever b holds.
func DecodeFrame(b []byte) (Frame, error) {
	if len(b) < lengthSize {
		return nil, badFrame("frame shorter than its length prefix")
	}
	n := binary.BigEndian.Uint32(b)
	if n > MaxFrameSize {
		return nil, tooLarge(n, MaxFrameSize)
	}
	if int(n) != len(b)-lengthSize {
		return nil, badFrame(fmt.Sprintf("length prefix %d, but %d bytes follow", n, len(b)-lengthSize))
	}
	return decodePayload(b[lengthSize:])
}

func badFrame(reason string) *Error { return &Error{Code: CodeBadFrame, Reason: reason} }

func tooLarge(n uint32, limit int) *Error {
	return &Error{Code: CodeTooLarge, Reason: "frame length " + strconv.FormatUint(uint64(n), 10) + " exceeds " + strconv.Itoa(limit)}
}

// decodePayload decodes one frame's msgpack map. Keys may come in any order; unknown keys are
// skipped (a later minor revision may add optional fields), known keys must not repeat.
func decodePayload(p []byte) (Frame, error) {
	if len(p) == 0 {
		return nil, badFrame("empty frame")
	}
	r := mpReader{buf: p}
	n := r.mapLen()
	if r.ok() && n > maxFields {
		return nil, badFrame(fmt.Sprintf("%d fields, at most %d allowed", n, maxFields))
	}
	var keys [maxFields][]byte
	var starts, ends [maxFields]int
	typeAt := -1
	for i := 0; i < n && r.ok(); i++ {
		keys[i] = r.str()
		starts[i] = r.off
		r.skip(0)
		ends[i] = r.off
		if r.ok() && string(keys[i]) == "type" {
			if typeAt >= 0 {
				return nil, badFrame("duplicate field \"type\"")
			}
			typeAt = i
		}
	}
	switch {
	case !r.ok():
		return nil, badFrame("frame map: " + r.err)
	case r.off != len(p):
		return nil, badFrame("trailing bytes after the frame map")
	case typeAt < 0:
		return nil, badFrame("no \"type\" field")
	}
	tr := mpReader{buf: p[:ends[typeAt]], off: starts[typeAt]}
	t := tr.uint(255)
	if !tr.ok() {
		return nil, badFrame("field \"type\": " + tr.err)
	}
	f := newFrame(FrameType(t))
	if f == nil {
		return nil, badFrame("unknown frame type " + strconv.FormatUint(t, 10))
	}
	var seen fieldSet
	for i := 0; i < n; i++ {
		if i == typeAt {
			continue
		}
		fr := mpReader{buf: p[:ends[i]], off: starts[i]}
		bit := f.setField(keys[i], &fr)
		if !fr.ok() {
			e := badFrame(fmt.Sprintf("%s field %q: %s", f.Type(), keys[i], fr.err))
			e.err = fr.cause
			return nil, e
		}
		if bit == 0 {
			continue // unknown key
		}
		if seen&bit != 0 {
			return nil, badFrame(fmt.Sprintf("%s: duplicate field %q", f.Type(), keys[i]))
		}
		seen |= bit
	}
	if msg := f.check(seen); msg != "" {
		return nil, badFrame(f.Type().String() + ": " + msg)
	}
	return f, nil
}

// Reader reads frames from a stream. It reuses one buffer, so it is cheap per frame; decoded
// frames do not refer to it.
type Reader struct {
	r   io.Reader
	max int
	hdr [lengthSize]byte
	buf []byte
}

// NewReader returns a Reader of r that accepts payloads up to MaxFrameSize.
func NewReader(r io.Reader) *Reader { return &Reader{r: r, max: MaxFrameSize} }

// SetMaxFrame lowers the largest payload accepted (a peer's Welcome.MaxFrame); n ≤ 0 or above
// MaxFrameSize means MaxFrameSize.
func (fr *Reader) SetMaxFrame(n int) {
	if n <= 0 || n > MaxFrameSize {
		n = MaxFrameSize
	}
	fr.max = n
}

// ReadFrame reads and decodes the next frame. It returns io.EOF when the stream ended cleanly
// between frames and io.ErrUnexpectedEOF when it ended inside one; other read errors as they
// are. Protocol errors are *Error values, as from DecodeFrame: after one, the stream is still
// positioned at the next frame, except after CodeTooLarge, whose payload is not read.
func (fr *Reader) ReadFrame() (Frame, error) {
	if _, err := io.ReadFull(fr.r, fr.hdr[:]); err != nil {
		return nil, err
	}
	n := binary.BigEndian.Uint32(fr.hdr[:])
	if n > uint32(fr.max) {
		return nil, tooLarge(n, fr.max)
	}
	if cap(fr.buf) < int(n) {
		fr.buf = make([]byte, n, max(int(n), 512))
	}
	p := fr.buf[:n]
	if _, err := io.ReadFull(fr.r, p); err != nil {
		if errors.Is(err, io.EOF) {
			err = io.ErrUnexpectedEOF
		}
		return nil, err
	}
	return decodePayload(p)
}
