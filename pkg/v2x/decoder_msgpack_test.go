package v2x

import (
	"bytes"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestDecodeMsgpackRejects(t *testing.T) {
	mp := fixtureByName(t, "cam_car").decode(t).AppendMsgpack(nil)
	_, err := DecodeMsgpack(append(bytes.Clone(mp), 0xc0))
	require.ErrorIs(t, err, ErrMalformed, "trailing data")
	for i := range len(mp) {
		_, err := DecodeMsgpack(mp[:i])
		require.Error(t, err, "truncated at %d", i)
	}
	_, err = DecodeMsgpack([]byte{0x81, 0xac, 'm', 'e', 's', 's', 'a', 'g', 'e', '_', 't', 'y', 'p', 'e', 0xa3, 'x', 'y', 'z'})
	require.ErrorIs(t, err, ErrUnknownType)
	_, err = DecodeMsgpack([]byte{0xdf, 0xff, 0xff, 0xff, 0xff})
	require.ErrorIs(t, err, ErrMalformed, "a count beyond the input")
	_, err = DecodeMsgpack([]byte{0x81, 0xdb, 0xff, 0xff, 0xff, 0xff, 'a'})
	require.ErrorIs(t, err, ErrMalformed, "a string length beyond the input")
	_, err = DecodeMsgpack([]byte{0x81, 0xac, 'm', 'e', 's', 's', 'a', 'g', 'e', '_', 't', 'y', 'p', 'e', 0xcb, 0, 0, 0, 0, 0, 0, 0, 0})
	require.ErrorIs(t, err, ErrMalformed, "a float message type")
}
