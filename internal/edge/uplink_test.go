package edge_test

import (
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/michi-v2x/michi/internal/edge"
	"github.com/michi-v2x/michi/internal/tlsconf"
)

func TestUplinkOptionsValidate(t *testing.T) {
	o := edge.Options{HubAddr: "hub.example.org:7443"}
	err := o.Validate()
	require.ErrorContains(t, err, "data_dir is required with hub_addr")
	require.ErrorContains(t, err, "hub_ca, edge_cert and edge_key are required")

	o = edge.Options{HubAddr: "no-port", DataDir: t.TempDir(), HubCA: "ca.crt", EdgeCert: "e.crt", EdgeKey: "e.key",
		Coverage: "2.3,48.9,2.4", Uplink: edge.UplinkOptions{HealthEvery: time.Millisecond}}
	err = o.Validate()
	require.ErrorContains(t, err, `hub_addr "no-port"`)
	require.ErrorContains(t, err, "coverage: bbox")
	require.ErrorContains(t, err, "health_every")

	o = edge.Options{HubAddr: "127.0.0.1:7443", DataDir: t.TempDir(), HubCA: "ca.crt", EdgeCert: "e.crt", EdgeKey: "e.key",
		Coverage: "2.30,48.84,2.35,48.87"}
	require.NoError(t, o.Validate())
	require.Equal(t, 10*time.Second, o.Uplink.HealthEvery)
	require.Equal(t, time.Second, o.Uplink.TrafficSample)
}

// TestUplinkNeedsItsCertificates: a missing certificate stops Run with a clear error rather
// than an edge that silently never reaches its hub.
func TestUplinkNeedsItsCertificates(t *testing.T) {
	n, err := edge.New(edge.Options{MQTTAddr: "127.0.0.1:0", WSAddr: edge.Off, HTTPAddr: edge.Off, MQTTQUICAddr: edge.Off, QUICAddr: edge.Off,
		HubAddr: "127.0.0.1:7443", DataDir: t.TempDir(), HubCA: "missing-ca.crt", EdgeCert: "missing.crt", EdgeKey: "missing.key"})
	require.NoError(t, err)
	require.ErrorContains(t, n.Run(t.Context()), "uplink tls")
	_, ok := n.UplinkStats()
	require.False(t, ok)
}

// Plaintext listeners stay on loopback unless the operator says otherwise.
func TestPlaintextBeyondLoopbackIsExplicit(t *testing.T) {
	o := edge.Options{MQTTAddr: "0.0.0.0:1883", WSAddr: "[::]:8083", HTTPAddr: "10.1.2.3:8080", MQTTTLSAddr: "0.0.0.0:8883"}
	err := o.Validate()
	for _, name := range []string{"mqtt_addr 0.0.0.0:1883", "ws_addr [::]:8083", "http_addr 10.1.2.3:8080"} {
		require.ErrorContains(t, err, name+": plaintext beyond loopback")
	}
	require.NotContains(t, err.Error(), "mqtt_tls_addr 0.0.0.0", "TLS may listen anywhere")
	o.AllowPlaintext = true
	require.NoError(t, o.Validate())
	require.NoError(t, (&edge.Options{MQTTAddr: "localhost:1883", WSAddr: "[::1]:8083"}).Validate())
	require.NoError(t, (&edge.Options{HTTPAddr: "0.0.0.0:8443", HTTPTLS: true}).Validate(), "HTTPS may listen anywhere")
}

// Item 8 of issue 14: an edge whose edge_id is not its certificate's CommonName does not start:
// the hub knows it by the certificate, so it would speak for another edge (and two edges with one
// certificate took the hub link from each other).
func TestEdgeIDMustMatchItsCertificate(t *testing.T) {
	dir := t.TempDir()
	ca, err := tlsconf.NewCA("test CA")
	require.NoError(t, err)
	caFile := filepath.Join(dir, "ca.crt")
	require.NoError(t, ca.WriteFiles(caFile, filepath.Join(dir, "ca.key")))
	cert, err := ca.IssueClient("edge-b")
	require.NoError(t, err)
	certFile, keyFile := filepath.Join(dir, "edge-b.crt"), filepath.Join(dir, "edge-b.key")
	require.NoError(t, tlsconf.WriteKeyPair(cert, certFile, keyFile))
	o := edge.Options{EdgeID: "edge-a", HubAddr: "127.0.0.1:7443", DataDir: t.TempDir(), HubCA: caFile, EdgeCert: certFile, EdgeKey: keyFile}
	_, err = startBare(t, o)
	require.ErrorIs(t, err, edge.ErrEdgeIdentity)
	require.ErrorContains(t, err, `edge_id "edge-a", but edge_cert is issued to "edge-b"`)

	o.EdgeID = "edge-b"
	_, err = startBare(t, o)
	require.NoError(t, err, "the edge its certificate names starts (and keeps dialling its absent hub)")
}
