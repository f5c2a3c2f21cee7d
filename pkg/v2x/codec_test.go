package v2x

import (
	"bytes"
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/require"
	"github.com/vmihailenco/msgpack/v5"
)

func TestRoundTripJSON(t *testing.T) {
	for _, f := range fixtures {
		t.Run(f.name, func(t *testing.T) {
			m := f.decode(t)
			require.Equal(t, string(f.compact(t)), string(m.AppendJSON(nil)), "byte-exact after compaction")

			// encoding/json goes through the same codec.
			out, err := json.Marshal(m)
			require.NoError(t, err)
			require.JSONEq(t, string(f.golden(t)), string(out))
		})
	}
}

func TestTypedUnmarshal(t *testing.T) {
	for _, f := range fixtures {
		t.Run(f.name, func(t *testing.T) {
			var err error
			var m Message
			switch f.typ {
			case TypeCAM:
				m, err = UnmarshalCAM(f.golden(t))
			case TypeDENM:
				m, err = UnmarshalDENM(f.golden(t))
			case TypeCPM:
				m, err = UnmarshalCPM(f.golden(t))
			}
			require.NoError(t, err)
			require.Equal(t, f.decode(t), m)

			// json.Unmarshal into the concrete type uses the strict decoder.
			var into Message
			switch f.typ {
			case TypeCAM:
				into = new(CAM)
			case TypeDENM:
				into = new(DENM)
			case TypeCPM:
				into = new(CPM)
			}
			require.NoError(t, json.Unmarshal(f.golden(t), into))
			require.Equal(t, m, into)
		})
	}
}

func TestRoundTripMsgpack(t *testing.T) {
	for _, f := range fixtures {
		t.Run(f.name, func(t *testing.T) {
			m := f.decode(t)
			mp := m.AppendMsgpack(nil)
			back, err := DecodeMsgpack(mp)
			require.NoError(t, err)
			require.Equal(t, m, back)
			require.Equal(t, string(f.compact(t)), string(back.AppendJSON(nil)))

			// msgpack.Marshal uses the same codec.
			viaLib, err := msgpack.Marshal(m)
			require.NoError(t, err)
			require.Equal(t, mp, viaLib)

			// A generic msgpack reader sees the same document as a JSON reader.
			var generic, want any
			require.NoError(t, msgpack.Unmarshal(mp, &generic))
			require.NoError(t, json.Unmarshal(f.golden(t), &want))
			g, err := json.Marshal(generic)
			require.NoError(t, err)
			w, err := json.Marshal(want)
			require.NoError(t, err)
			require.JSONEq(t, string(w), string(g))

			// And msgpack.Unmarshal into the concrete type decodes strictly.
			var into Message
			switch f.typ {
			case TypeCAM:
				into = new(CAM)
			case TypeDENM:
				into = new(DENM)
			case TypeCPM:
				into = new(CPM)
			}
			require.NoError(t, msgpack.Unmarshal(mp, into))
			require.Equal(t, m, into)
		})
	}
}

// Members encoded by vmihailenco/msgpack with non-compact integers and
// 16-bit headers decode the same.
func TestMsgpackFromLibrary(t *testing.T) {
	var generic map[string]any
	require.NoError(t, json.Unmarshal(fixtureByName(t, "cam_car").golden(t), &generic))
	b, err := msgpack.Marshal(generic) // float64 numbers
	require.NoError(t, err)
	_, err = DecodeMsgpack(b)
	require.ErrorIs(t, err, ErrInvalid, "floats are not integers")

	var buf = new(bytesBuffer)
	enc := msgpack.NewEncoder(buf)
	enc.UseCompactInts(false)
	m := fixtureByName(t, "cam_car").decode(t).(*CAM)
	require.NoError(t, enc.Encode(&m.Message)) // reflection, by tags
	var msg CAMMessage
	d := decoder{buf: buf.b, mp: true}
	msg.decode(&d)
	require.NoError(t, d.finish())
	require.Equal(t, m.Message, msg)
}

type bytesBuffer struct{ b []byte }

func (w *bytesBuffer) Write(p []byte) (int, error) { w.b = append(w.b, p...); return len(p), nil }

// Members in any order decode the same (encoding/json sorts map keys, and
// a generic msgpack encoder follows map order): the in-order fast path
// falls back to the general one.
func TestMemberOrderDoesNotMatter(t *testing.T) {
	for _, f := range fixtures {
		t.Run(f.name, func(t *testing.T) {
			want := f.decode(t)
			var generic any
			dec := json.NewDecoder(bytes.NewReader(f.golden(t)))
			dec.UseNumber()
			require.NoError(t, dec.Decode(&generic))
			sorted, err := json.Marshal(generic)
			require.NoError(t, err)
			got, err := Decode(sorted)
			require.NoError(t, err)
			require.Equal(t, want, got)

			mp, err := msgpack.Marshal(intsOf(t, generic))
			require.NoError(t, err)
			got, err = DecodeMsgpack(mp)
			require.NoError(t, err)
			require.Equal(t, want, got)
		})
	}
}

// intsOf turns json.Numbers into int64 so msgpack writes integers.
func intsOf(t *testing.T, v any) any {
	switch x := v.(type) {
	case json.Number:
		n, err := x.Int64()
		require.NoError(t, err)
		return n
	case map[string]any:
		for k, e := range x {
			x[k] = intsOf(t, e)
		}
	case []any:
		for i, e := range x {
			x[i] = intsOf(t, e)
		}
	}
	return v
}
