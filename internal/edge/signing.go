package edge

import (
	"crypto/ed25519"
	"crypto/rand"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/google/renameio/v2"
	"github.com/michi-v2x/michi/internal/broker"

	"github.com/michi-v2x/michi/pkg/v2x"
)

// signingKeyFile is where, in DataDir, an edge keeps the key it generated for signing alerts.
const signingKeyFile = "signing.key"

// loadSigner sets up the key every alert is signed with (v2x/signing.go): Options.SigningKey; else
// DataDir/signing.key, generated on the first start; else a key for this run only.
func (n *Node) loadSigner() error {
	path, generate := n.opts.SigningKey, false
	if path == "" && n.opts.DataDir != "" {
		path, generate = filepath.Join(n.opts.DataDir, signingKeyFile), true
	}
	var key ed25519.PrivateKey
	var err error
	if path == "" {
		_, key, err = ed25519.GenerateKey(rand.Reader)
		n.log.Warn("alerts signed with a key for this run only: give --signing-key or --data-dir to keep one")
	} else if key, err = readSigningKey(path); errors.Is(err, os.ErrNotExist) && generate {
		key, err = newSigningKey(path)
	}
	if err != nil {
		return fmt.Errorf("signing key: %w", err)
	}
	n.signer = v2x.NewSigner(key)
	n.log.Info("alerts signed", "alg", v2x.SigAlgEd25519, "key_id", n.signer.KeyID(), "public_key", "GET /api/v1/keys")
	return nil
}

// readSigningKey reads a PEM PKCS#8 Ed25519 private key (`openssl genpkey -algorithm ed25519`).
func readSigningKey(path string) (ed25519.PrivateKey, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	block, _ := pem.Decode(b)
	if block == nil || block.Type != "PRIVATE KEY" {
		return nil, fmt.Errorf("%s: want a PEM \"PRIVATE KEY\" (PKCS#8)", path)
	}
	k, err := x509.ParsePKCS8PrivateKey(block.Bytes)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	key, ok := k.(ed25519.PrivateKey)
	if !ok {
		return nil, fmt.Errorf("%s: a %T, not an Ed25519 key", path, k)
	}
	return key, nil
}

// newSigningKey generates a key and writes it to path (0600, atomically).
func newSigningKey(path string) (ed25519.PrivateKey, error) {
	_, key, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return nil, err
	}
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return nil, err
	}
	return key, renameio.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), 0o600)
}

// signatureProperties are the MQTT v5 user properties signing payload.
func (n *Node) signatureProperties(payload []byte) []broker.UserProperty {
	ps := n.signer.Sign(payload).Properties()
	out := make([]broker.UserProperty, len(ps))
	for i, p := range ps {
		out[i] = broker.UserProperty{Key: p[0], Val: p[1]}
	}
	return out
}
