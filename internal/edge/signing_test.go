package edge_test

import (
	"crypto/ed25519"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/michi-v2x/michi/internal/edge"
	"github.com/michi-v2x/michi/pkg/v2x"
)

// An MQTT v5 client the edge did not write (mosquitto_sub) gets each alert with its signature in
// user properties, and it verifies with the key the edge serves.
func TestAlertsAreSignedOverMQTTv5(t *testing.T) {
	requireTool(t, "mosquitto_sub")
	n, clk := startNode(t)
	lines := mosquittoSub(t, n.MQTTAddr(), denmFilter(n, here, 16), "-F", "PAYLOAD %P|%p")
	now := clk.Now()
	newVehicle(t, n, 1).denm(t, v2x.DENMSpec{Cause: v2x.CauseAccident, Pos: here, Detection: now, Reference: now, At: now})
	var line string
	select {
	case line = <-lines:
	case <-time.After(10 * time.Second):
		t.Fatal("no alert")
	}
	props, payload, ok := strings.Cut(line, "|")
	require.True(t, ok, line)
	var pairs [][2]string
	for _, f := range strings.Fields(props) {
		k, v, _ := strings.Cut(f, ":")
		pairs = append(pairs, [2]string{k, v})
	}
	sig, err := v2x.SignatureFromProperties(pairs)
	require.NoError(t, err, line)

	var served struct {
		Keys []struct {
			Alg       string `json:"alg"`
			KeyID     string `json:"key_id"`
			PublicKey string `json:"public_key"`
		} `json:"keys"`
	}
	getJSON(t, "http://"+n.HTTPAddr()+"/api/v1/keys", &served)
	require.Len(t, served.Keys, 1)
	require.Equal(t, v2x.SigAlgEd25519, served.Keys[0].Alg)
	require.Equal(t, sig.KeyID, served.Keys[0].KeyID)
	pub, err := v2x.ParsePublicKey([]byte(served.Keys[0].PublicKey))
	require.NoError(t, err)
	keys := v2x.NewKeySet(pub)
	require.Equal(t, v2x.KeyID(n.AlertKey()), sig.KeyID)
	require.NoError(t, keys.Verify([]byte(payload), sig))
	require.ErrorIs(t, keys.Verify([]byte(strings.Replace(payload, `"cause":2`, `"cause":3`, 1)), sig), v2x.ErrBadSignature)
}

// Native alerts carry a signature of their DENM bytes.
func TestNativeAlertsAreSigned(t *testing.T) {
	n, clk := startNode(t, func(o *edge.Options) { o.QUICAddr = "127.0.0.1:0" })
	v := dialNative(t, n, 1)
	v.at(t, n, clk, here, 90)
	now := clk.Now()
	newVehicle(t, n, 90).denm(t, v2x.DENMSpec{Cause: v2x.CauseAnimal, Pos: here, Detection: now, Reference: now, At: now})
	select {
	case a := <-v.conn.Alerts():
		require.NoError(t, a.Verify(v2x.NewKeySet(n.AlertKey())))
	case <-time.After(5 * time.Second):
		t.Fatal("no alert")
	}
}

// The signing key: a PKCS#8 file as given, else generated once in the data dir and kept.
func TestSigningKey(t *testing.T) {
	dir := t.TempDir()
	keyOf := func(o edge.Options) (key ed25519.PublicKey, err error) {
		t.Run("run", func(t *testing.T) { // the node stops when the subtest ends
			var n *edge.Node
			if n, err = startBare(t, o); err == nil {
				key = n.AlertKey()
			}
		})
		return key, err
	}
	first, err := keyOf(edge.Options{DataDir: dir})
	require.NoError(t, err)
	again, err := keyOf(edge.Options{DataDir: dir})
	require.NoError(t, err)
	require.Equal(t, first, again, "kept in the data dir")
	info, err := os.Stat(filepath.Join(dir, "signing.key"))
	require.NoError(t, err)
	require.Equal(t, os.FileMode(0o600), info.Mode().Perm())

	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	require.NoError(t, err)
	der, err := x509.MarshalPKCS8PrivateKey(priv)
	require.NoError(t, err)
	file := filepath.Join(t.TempDir(), "edge.key")
	require.NoError(t, os.WriteFile(file, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), 0o600))
	given, err := keyOf(edge.Options{SigningKey: file, DataDir: dir})
	require.NoError(t, err)
	require.Equal(t, pub, given, "a key given wins over the data dir's")

	rsaKey, err := rsa.GenerateKey(rand.Reader, 1024)
	require.NoError(t, err)
	der, err = x509.MarshalPKCS8PrivateKey(rsaKey)
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(file, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), 0o600))
	_, err = keyOf(edge.Options{SigningKey: file})
	require.ErrorContains(t, err, "not an Ed25519 key")
	_, err = keyOf(edge.Options{SigningKey: filepath.Join(t.TempDir(), "missing.key")})
	require.ErrorIs(t, err, os.ErrNotExist, "a key given must exist: it is never generated")
}
