package hub

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestOptionsDefaultsAndValidate(t *testing.T) {
	o := Options{TLSCert: "c", TLSKey: "k", ClientCA: "ca"}
	require.NoError(t, o.Validate())
	require.Equal(t, "127.0.0.1:7443", o.UplinkAddr)
	require.Equal(t, "127.0.0.1:9090", o.HTTPAddr)
	require.Equal(t, "./michi-hub.db", o.Store.DSN)
	require.True(t, *o.Relay)
	require.Equal(t, 30*time.Second, o.ReconcileEvery)

	bad := Options{UplinkAddr: "7443", Token: "short", ReconcileEvery: time.Millisecond, StreamBuffer: -1}
	bad.Store.BatchRows = 5000
	err := bad.Validate()
	for _, want := range []string{"uplink_addr", "tls_cert, tls_key and client_ca", "token", "reconcile_every", "stream_buffer", "batch_rows"} {
		require.ErrorContains(t, err, want)
	}
	_, err = New(bad)
	require.Error(t, err)

	open := Options{TLSCert: "c", TLSKey: "k", ClientCA: "ca", HTTPAddr: "0.0.0.0:9090"}
	require.ErrorContains(t, open.Validate(), "http_addr 0.0.0.0:9090: plain HTTP beyond loopback")
	open.AllowPlaintext = true
	require.NoError(t, open.Validate())
}
