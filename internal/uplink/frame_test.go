package uplink

import (
	"bytes"
	"encoding/hex"
	"errors"
	"flag"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/")

// frameFixtures is the one table of named frames: the encode, decode and fuzz tests use it, and
// testdata/frames/<name>.hex holds each one's bytes on the wire.
func frameFixtures(t testing.TB) []struct {
	name string
	typ  frameType
	v    any
	zero func() any
} {
	heading := 270.0
	rec1, rec2 := withSeq(hazardRecord(1), 42), withSeq(trafficRecord(2), 43)
	return []struct {
		name string
		typ  frameType
		v    any
		zero func() any
	}{
		{"hello", frameHello, &helloFrame{EdgeID: "edge-1", LastAcked: 41, Depth: 7}, func() any { return &helloFrame{} }},
		{"welcome", frameWelcome, &welcomeFrame{EdgeID: "edge-1", HighWater: 41}, func() any { return &welcomeFrame{} }},
		{"batch", frameBatch, encodeBatch(t, rec1, rec2), func() any { return &batchFrame{} }},
		{"ack", frameAck, &ackFrame{HighWater: 43}, func() any { return &ackFrame{} }},
		{"authority", frameAuthority, &authorityFrame{Tag: 9, Hazard: AuthorityHazard{
			ID: "rw-17", Cause: 3, SubCause: 4, Lat: 48.137, Lon: 11.575, RadiusM: 400, HeadingDeg: &heading,
			Start: t0, Validity: 6 * time.Hour, Issuer: "city-of-munich",
		}}, func() any { return &authorityFrame{} }},
		{"authority-ack", frameAuthorityAck, &authorityAckFrame{Tag: 9}, func() any { return &authorityAckFrame{} }},
	}
}

func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		require.NoError(t, os.MkdirAll(filepath.Dir(path), 0o755))
		require.NoError(t, os.WriteFile(path, []byte(hex.EncodeToString(got)+"\n"), 0o644))
	}
	want, err := os.ReadFile(path)
	require.NoError(t, err, "run go test -run %s -update to create it", t.Name())
	b, err := hex.DecodeString(strings.TrimSpace(string(want)))
	require.NoError(t, err)
	require.Equal(t, b, got, "%s changed: the wire format is a compatibility promise", path)
}

func TestFramesGolden(t *testing.T) {
	enc := newFrameEncoder()
	var stream bytes.Buffer
	for _, f := range frameFixtures(t) {
		t.Run(f.name, func(t *testing.T) {
			b, err := enc.encode(f.typ, f.v)
			require.NoError(t, err)
			golden(t, filepath.Join("frames", f.name+".hex"), b)
			stream.Write(b)

			fr := &frameReader{r: bytes.NewReader(b), max: DefaultMaxFrameBytes}
			typ, body, err := fr.next()
			require.NoError(t, err)
			require.Equal(t, f.typ, typ)
			back := f.zero()
			require.NoError(t, decodeBody(typ, body, back))
			again, err := newFrameEncoder().encode(typ, back)
			require.NoError(t, err)
			require.Equal(t, b, again, "decode then encode changed the frame")
			_, _, err = fr.next()
			require.ErrorIs(t, err, io.EOF)
		})
	}

	// The frames one after another, read back in order, and the stream cut at every byte.
	all := stream.Bytes()
	fr := &frameReader{r: bytes.NewReader(all), max: DefaultMaxFrameBytes}
	for _, f := range frameFixtures(t) {
		typ, _, err := fr.next()
		require.NoError(t, err)
		require.Equal(t, f.typ, typ)
	}
	for cut := 1; cut < len(all); cut++ {
		fr := &frameReader{r: bytes.NewReader(all[:cut]), max: DefaultMaxFrameBytes}
		var err error
		for err == nil {
			_, _, err = fr.next()
		}
		if !errors.Is(err, io.EOF) {
			require.ErrorIs(t, err, ErrMalformed, "cut at %d", cut)
			require.ErrorIs(t, err, io.ErrUnexpectedEOF)
		}
	}
}

func TestFrameLimits(t *testing.T) {
	_, _, err := (&frameReader{r: bytes.NewReader([]byte{0, 1, 0, 1, 3}), max: 1 << 10}).next()
	require.ErrorIs(t, err, ErrFrameTooLarge)
	_, _, err = (&frameReader{r: bytes.NewReader([]byte{0, 0, 0, 0}), max: 1 << 10}).next()
	require.ErrorIs(t, err, ErrMalformed)
	require.ErrorIs(t, decodeBody(frameAck, []byte{0x81, 0xa1, 'x', 0x01, 0xc0}, &ackFrame{}), ErrMalformed, "trailing byte")
	require.NoError(t, decodeBody(frameAck, []byte{0x81, 0xa1, 'x', 0x01}, &ackFrame{}), "unknown fields are ignored (forward compatible)")
	starts := 0
	fr := &frameReader{r: bytes.NewReader([]byte{0, 0, 0, 2, 4, 0x80}), max: 16, body: func(start bool) {
		if start {
			starts++
		}
	}}
	_, _, err = fr.next()
	require.NoError(t, err)
	require.Equal(t, 1, starts)
}

func FuzzFrames(f *testing.F) {
	enc := newFrameEncoder()
	for _, fx := range frameFixtures(f) {
		b, err := enc.encode(fx.typ, fx.v)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(append([]byte(nil), b...))
	}
	f.Add([]byte{0, 0, 0, 1, 3})
	f.Add([]byte{0xff, 0xff, 0xff, 0xff})
	f.Fuzz(func(t *testing.T, data []byte) {
		fr := &frameReader{r: bytes.NewReader(data), max: 1 << 16}
		for {
			typ, body, err := fr.next()
			if err != nil {
				return
			}
			var v any
			switch typ {
			case frameHello:
				v = &helloFrame{}
			case frameWelcome:
				v = &welcomeFrame{}
			case frameBatch:
				var b batchFrame
				if decodeBody(typ, body, &b) == nil {
					for _, raw := range b.Records {
						var r Record
						if decodeRecord(raw, &r) == nil {
							_ = r.Validate()
						}
					}
				}
				continue
			case frameAck:
				v = &ackFrame{}
			case frameAuthority:
				v = &authorityFrame{}
			case frameAuthorityAck:
				v = &authorityAckFrame{}
			default:
				continue
			}
			if decodeBody(typ, body, v) == nil {
				if a, ok := v.(*authorityFrame); ok {
					_ = a.Hazard.Validate()
				}
			}
		}
	})
}
