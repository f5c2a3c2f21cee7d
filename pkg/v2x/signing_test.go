package v2x_test

import (
	"crypto/ed25519"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/michi-v2x/michi/pkg/v2x"
)

func TestSignAndVerify(t *testing.T) {
	pub, key, err := ed25519.GenerateKey(nil)
	require.NoError(t, err)
	s := v2x.NewSigner(key)
	require.Equal(t, pub, s.Public())
	require.Len(t, s.KeyID(), 16)
	keys := v2x.NewKeySet(pub)

	msg := []byte(`{"message_type":"denm"}`)
	sig := s.Sign(msg)
	require.Equal(t, v2x.SigAlgEd25519, sig.Alg)
	require.NoError(t, keys.Verify(msg, sig))

	// Through MQTT v5 user properties and back.
	props := sig.Properties()
	back, err := v2x.SignatureFromProperties([][2]string{{"other", "x"}, props[0], props[1], props[2]})
	require.NoError(t, err)
	require.Equal(t, sig, back)
	_, err = v2x.SignatureFromProperties([][2]string{{"other", "x"}})
	require.ErrorIs(t, err, v2x.ErrUnsigned)
	_, err = v2x.SignatureFromProperties([][2]string{props[0], props[1], {v2x.PropSig, "%%%"}})
	require.ErrorIs(t, err, v2x.ErrBadSignature)

	back2, err := v2x.ParsePublicKey([]byte(v2x.MarshalPublicKey(pub)))
	require.NoError(t, err)
	require.Equal(t, pub, back2)
	_, err = v2x.ParsePublicKey([]byte("-----BEGIN PRIVATE KEY-----\nAA==\n-----END PRIVATE KEY-----\n"))
	require.ErrorContains(t, err, "PUBLIC KEY")

	tampered := append([]byte(nil), msg...)
	tampered[3] ^= 1
	require.ErrorIs(t, keys.Verify(tampered, sig), v2x.ErrBadSignature)
	short := sig
	short.Sig = sig.Sig[:10]
	require.ErrorIs(t, keys.Verify(msg, short), v2x.ErrBadSignature)
	otherPub, _, err := ed25519.GenerateKey(nil)
	require.NoError(t, err)
	require.ErrorIs(t, v2x.NewKeySet(otherPub).Verify(msg, sig), v2x.ErrUnknownKey)
	require.ErrorIs(t, keys.Verify(msg, v2x.Signature{}), v2x.ErrUnsigned)
	rsa := sig
	rsa.Alg = "rsa-pss"
	require.ErrorIs(t, keys.Verify(msg, rsa), v2x.ErrUnsupportedAlg)
}

// The edge signs each hazard version twice (JSON for MQTT, msgpack for native); vehicles verify.
func BenchmarkSignAlert(b *testing.B) {
	_, key, err := ed25519.GenerateKey(nil)
	require.NoError(b, err)
	s := v2x.NewSigner(key)
	payload := make([]byte, 700) // a hazard DENM's JSON is about this long
	b.Run("sign", func(b *testing.B) {
		for b.Loop() {
			s.Sign(payload)
		}
	})
	sig, keys := s.Sign(payload), v2x.NewKeySet(s.Public())
	b.Run("verify", func(b *testing.B) {
		for b.Loop() {
			if err := keys.Verify(payload, sig); err != nil {
				b.Fatal(err)
			}
		}
	})
}
