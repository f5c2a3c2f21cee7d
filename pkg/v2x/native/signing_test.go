package native

import (
	"bytes"
	"testing"

	"github.com/stretchr/testify/require"
	"github.com/vmihailenco/msgpack/v5"

	"github.com/michi-v2x/michi/pkg/v2x"
)

// A signed alert verifies after the wire; one byte of its DENM changed, or a key not trusted, and
// it does not.
func TestSignedAlert(t *testing.T) {
	b, err := EncodeFrame(signedAlert())
	require.NoError(t, err)
	keys := v2x.NewKeySet(fixtureSigner.Public())
	f, err := DecodeFrame(b)
	require.NoError(t, err)
	require.NoError(t, f.(*Alert).Verify(keys))
	require.ErrorIs(t, f.(*Alert).Verify(v2x.KeySet{}), v2x.ErrUnknownKey)

	// The first byte of the event's longitude: still a valid DENM, no longer what was signed.
	i := bytes.Index(b, []byte("longitude")) + len("longitude") + 1
	tampered := append([]byte(nil), b...)
	tampered[i+1] ^= 1
	f, err = DecodeFrame(tampered)
	require.NoError(t, err)
	require.ErrorIs(t, f.(*Alert).Verify(keys), v2x.ErrBadSignature)

	unsigned, err := DecodeFrame(mustEncode(t, &Alert{DENM: fixtureHazard(fixtureTime, false), ServerSendNS: 1, Seq: 1}))
	require.NoError(t, err)
	require.ErrorIs(t, unsigned.(*Alert).Verify(keys), v2x.ErrUnsigned)

	p := rawMap(t, "type", uint64(TypeAlert), "denm", msgpack.RawMessage(fixtureHazard(fixtureTime, false).AppendMsgpack(nil)), "action_id",
		map[string]any{"originating_station_id": 900001, "sequence_number": 42}, "server_send_ns", 1, "seq", 1, "sig_alg", "ed25519")
	_, err = DecodeFrame(withLength(p))
	require.ErrorContains(t, err, "sig_alg, key_id and sig go together")
}

func mustEncode(t *testing.T, f Frame) []byte {
	t.Helper()
	b, err := EncodeFrame(f)
	require.NoError(t, err)
	return b
}
