package v2x

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// seed adds every fixture of type typ ("" for all), compact and indented.
func seed(f *testing.F, typ MessageType) {
	for _, fx := range fixtures {
		if typ == "" || fx.typ == typ {
			f.Add(fx.golden(f))
			f.Add(fx.compact(f))
		}
	}
}

// stable checks what every decoder promises for an input it accepted: the
// input was valid JSON, and decode → encode → decode gives the same message
// and the same bytes, in JSON and in msgpack. decodeMP is the msgpack decoder
// of the same kind: a typed decoder takes a message whose message_type breaks
// its schema constant (Validate reports that), which the generic msgpack
// decoder, dispatching on message_type, cannot.
func stable(t *testing.T, data []byte, m Message, decode, decodeMP func([]byte) (Message, error)) {
	t.Helper()
	require.True(t, json.Valid(data), "accepted invalid JSON %q", data)
	_ = m.Validate() // must not panic
	out := m.AppendJSON(nil)
	back, err := decode(out)
	require.NoError(t, err, "re-decoding %s", out)
	require.Equal(t, m, back)
	require.Equal(t, string(out), string(back.AppendJSON(nil)))
	mp := m.AppendMsgpack(nil)
	viaMP, err := decodeMP(mp)
	require.NoError(t, err)
	require.Equal(t, m, viaMP)
}

func FuzzUnmarshalCAM(f *testing.F) {
	seed(f, TypeCAM)
	dec := func(b []byte) (Message, error) { return UnmarshalCAM(b) }
	decMP := func(b []byte) (Message, error) { return UnmarshalCAMMsgpack(b) }
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := UnmarshalCAM(data)
		if err != nil {
			require.ErrorIs(t, err, ErrMalformed)
			return
		}
		stable(t, data, m, dec, decMP)
	})
}

func FuzzUnmarshalDENM(f *testing.F) {
	seed(f, TypeDENM)
	dec := func(b []byte) (Message, error) { return UnmarshalDENM(b) }
	decMP := func(b []byte) (Message, error) { return UnmarshalDENMMsgpack(b) }
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := UnmarshalDENM(data)
		if err != nil {
			require.ErrorIs(t, err, ErrMalformed)
			return
		}
		stable(t, data, m, dec, decMP)
	})
}

func FuzzUnmarshalCPM(f *testing.F) {
	seed(f, TypeCPM)
	dec := func(b []byte) (Message, error) { return UnmarshalCPM(b) }
	decMP := func(b []byte) (Message, error) { return UnmarshalCPMMsgpack(b) }
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := UnmarshalCPM(data)
		if err != nil {
			require.ErrorIs(t, err, ErrMalformed)
			return
		}
		stable(t, data, m, dec, decMP)
	})
}

func FuzzDecode(f *testing.F) {
	seed(f, "")
	f.Add([]byte(`{"message_type":"mapem"}`))
	f.Add([]byte(`{"message_type":1}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := Decode(data)
		if err != nil {
			return
		}
		stable(t, data, m, Decode, DecodeMsgpack)
	})
}

func FuzzDecodeMsgpack(f *testing.F) {
	for _, fx := range fixtures {
		f.Add(fx.decode(f).AppendMsgpack(nil))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := DecodeMsgpack(data)
		if err != nil {
			return
		}
		_ = m.Validate()
		mp := m.AppendMsgpack(nil)
		back, err := DecodeMsgpack(mp)
		require.NoError(t, err)
		require.Equal(t, m, back)
		require.True(t, bytes.Equal(mp, back.AppendMsgpack(nil)))
		viaJSON, err := Decode(m.AppendJSON(nil))
		require.NoError(t, err)
		require.Equal(t, m, viaJSON)
	})
}

func FuzzParseTopic(f *testing.F) {
	f.Add("5GCroCo/inQueue/v2x/cam/com_car_42/1/2/0/3")
	f.Add("a/b/outQueue/v2x/denm/77/0/1/2/3/0/1/2/3/0/1/2/3/0/1/2/3/0/1/2/3/0/1")
	f.Add("r/interQueue/v2x/cpm/x/3")
	f.Add("r/inQueue/v2x/cam/+/1/#")
	f.Fuzz(func(t *testing.T, s string) {
		tp, err := ParseTopic(s)
		if err != nil {
			require.ErrorIs(t, err, ErrBadTopic)
			return
		}
		require.Equal(t, s, tp.String())
		require.True(t, tp.Queue.Valid())
		require.True(t, tp.Type.Valid())
		require.NotContains(t, tp.SourceID, "/")
		require.LessOrEqual(t, len(tp.Quadkey), 23)
		require.Equal(t, "", strings.Trim(tp.Quadkey, "0123"))
	})
}
