package v2x

import (
	"crypto/ed25519"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"fmt"
)

// Alerts an edge sends are signed, so that a vehicle can tell them from forgeries whatever
// carried them. A signature covers the exact bytes of the DENM as sent: the its-client JSON
// payload over MQTT (in MQTT v5 user properties, since the payload's schema admits no other
// member), the DENM's msgpack encoding over the native protocol (fields of the alert frame).
// The algorithm is named with each signature, so another can follow; Ed25519 is the one now.

// SigAlgEd25519 names Ed25519 (RFC 8032) signatures.
const SigAlgEd25519 = "ed25519"

// The MQTT v5 user properties that carry an alert's signature.
const (
	PropSigAlg = "sig_alg" // SigAlgEd25519
	PropKeyID  = "key_id"  // KeyID of the signing key
	PropSig    = "sig"     // the signature, standard base64
)

// Errors of Verify.
var (
	ErrUnsigned       = errors.New("v2x: alert not signed")
	ErrUnknownKey     = errors.New("v2x: alert signed by an unknown key")
	ErrBadSignature   = errors.New("v2x: alert signature does not verify")
	ErrUnsupportedAlg = errors.New("v2x: unsupported signature algorithm")
)

// Signature is one signature of an alert.
type Signature struct {
	Alg   string // SigAlgEd25519
	KeyID string // KeyID of the key that made it
	Sig   []byte
}

// KeyID names an Ed25519 public key: the first 8 bytes of its SHA-256, in hex.
func KeyID(pub ed25519.PublicKey) string {
	sum := sha256.Sum256(pub)
	return hex.EncodeToString(sum[:8])
}

// Signer signs alerts with one Ed25519 key.
type Signer struct {
	key ed25519.PrivateKey
	id  string
}

// NewSigner returns a signer for key.
func NewSigner(key ed25519.PrivateKey) *Signer {
	return &Signer{key: key, id: KeyID(key.Public().(ed25519.PublicKey))}
}

// Public is the key vehicles verify with.
func (s *Signer) Public() ed25519.PublicKey { return s.key.Public().(ed25519.PublicKey) }

// KeyID is the public key's name.
func (s *Signer) KeyID() string { return s.id }

// Sign signs msg, the bytes of a DENM as they will be sent.
func (s *Signer) Sign(msg []byte) Signature {
	return Signature{Alg: SigAlgEd25519, KeyID: s.id, Sig: ed25519.Sign(s.key, msg)}
}

// Properties are sig's MQTT v5 user properties, in order: PropSigAlg, PropKeyID, PropSig.
func (sig Signature) Properties() [3][2]string {
	return [3][2]string{{PropSigAlg, sig.Alg}, {PropKeyID, sig.KeyID}, {PropSig, base64.StdEncoding.EncodeToString(sig.Sig)}}
}

// SignatureFromProperties reads a signature from MQTT v5 user properties (name, value pairs);
// ErrUnsigned when there is none.
func SignatureFromProperties(props [][2]string) (Signature, error) {
	var sig Signature
	var b64 string
	for _, p := range props {
		switch p[0] {
		case PropSigAlg:
			sig.Alg = p[1]
		case PropKeyID:
			sig.KeyID = p[1]
		case PropSig:
			b64 = p[1]
		}
	}
	if sig.Alg == "" && b64 == "" {
		return sig, ErrUnsigned
	}
	b, err := base64.StdEncoding.DecodeString(b64)
	if err != nil {
		return sig, fmt.Errorf("%w: %s is not base64", ErrBadSignature, PropSig)
	}
	sig.Sig = b
	return sig, nil
}

// MarshalPublicKey is pub as vehicles are given it: PEM PKIX ("PUBLIC KEY"), what the edge logs
// and serves at /api/v1/keys.
func MarshalPublicKey(pub ed25519.PublicKey) string {
	der, _ := x509.MarshalPKIXPublicKey(pub) // never fails for an Ed25519 key
	return string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}))
}

// ParsePublicKey reads an Ed25519 public key in PEM PKIX form (MarshalPublicKey, or
// `openssl pkey -pubout`).
func ParsePublicKey(b []byte) (ed25519.PublicKey, error) {
	block, _ := pem.Decode(b)
	if block == nil || block.Type != "PUBLIC KEY" {
		return nil, errors.New(`v2x: want a PEM "PUBLIC KEY"`)
	}
	k, err := x509.ParsePKIXPublicKey(block.Bytes)
	if err != nil {
		return nil, fmt.Errorf("v2x: public key: %w", err)
	}
	pub, ok := k.(ed25519.PublicKey)
	if !ok {
		return nil, fmt.Errorf("v2x: a %T public key, not Ed25519", k)
	}
	return pub, nil
}

// KeySet is the public keys a vehicle trusts, by KeyID.
type KeySet map[string]ed25519.PublicKey

// NewKeySet returns a set of the given keys.
func NewKeySet(keys ...ed25519.PublicKey) KeySet {
	ks := KeySet{}
	for _, k := range keys {
		ks[KeyID(k)] = k
	}
	return ks
}

// Verify checks that sig, made by a key in ks, covers msg.
func (ks KeySet) Verify(msg []byte, sig Signature) error {
	switch {
	case sig.Alg == "" && len(sig.Sig) == 0:
		return ErrUnsigned
	case sig.Alg != SigAlgEd25519:
		return fmt.Errorf("%w %q", ErrUnsupportedAlg, sig.Alg)
	}
	key, ok := ks[sig.KeyID]
	if !ok {
		return fmt.Errorf("%w %q", ErrUnknownKey, sig.KeyID)
	}
	if len(sig.Sig) != ed25519.SignatureSize || !ed25519.Verify(key, msg, sig.Sig) {
		return ErrBadSignature
	}
	return nil
}
