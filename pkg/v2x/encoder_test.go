package v2x

import (
	"encoding/json"
	"math"
	"testing"

	"github.com/stretchr/testify/require"
	"github.com/vmihailenco/msgpack/v5"
)

func TestAppendJSONString(t *testing.T) {
	for _, s := range []string{"", "plain", "quote\" back\\ slash/", "\x00\x1f\t\n\r", "é🚗", "\u2028\u2029", "<&>"} {
		got := appendJSONString(nil, s)
		var back string
		require.NoError(t, json.Unmarshal(got, &back), "%q", got)
		require.Equal(t, s, back)
	}
	require.Equal(t, `"\ufffd"`, string(appendJSONString(nil, "\xff")), "invalid UTF-8 is replaced")
}

func TestMsgpackScalars(t *testing.T) {
	ints := []int64{0, 1, 127, 128, 255, 256, 65535, 65536, math.MaxUint32, math.MaxUint32 + 1, math.MaxInt64,
		-1, -32, -33, -128, -129, -32768, -32769, math.MinInt32, math.MinInt32 - 1, math.MinInt64}
	for _, v := range ints {
		b := mpInt(nil, v)
		var got int64
		require.NoError(t, msgpack.Unmarshal(b, &got))
		require.Equal(t, v, got)
		d := decoder{buf: b, mp: true}
		require.Equal(t, v, d.int(math.MinInt64, math.MaxInt64))
		require.NoError(t, d.finish())
	}
	d := decoder{buf: mpUint(nil, math.MaxUint64), mp: true}
	require.Equal(t, uint64(math.MaxUint64), d.uint(math.MaxUint64))
	for _, n := range []int{0, 31, 32, 255, 256, 70000} {
		s := string(make([]byte, n))
		var got string
		require.NoError(t, msgpack.Unmarshal(mpString(nil, s), &got))
		require.Equal(t, s, got)
	}
	for _, n := range []int{0, 15, 16, 70000} {
		var got []any
		b := mpArrayHeader(nil, n)
		for range n {
			b = mpBool(b, true)
		}
		require.NoError(t, msgpack.Unmarshal(b, &got))
		require.Len(t, got, n)
	}
	var m map[string]any
	b := mpMapHeader(nil, 16)
	for i := range 16 {
		b = mpInt(mpString(b, string(rune('a'+i))), int64(i))
	}
	require.NoError(t, msgpack.Unmarshal(b, &m))
	require.Len(t, m, 16)
}
