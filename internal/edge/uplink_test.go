package edge_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/michi-v2x/michi/internal/edge"
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
