package main

import (
	"bytes"
	"context"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
	"gopkg.in/yaml.v3"

	"github.com/michi-v2x/michi/internal/edge"
)

// checkConfig runs edge-node --check-config with args and returns the configuration it printed.
func checkConfig(t *testing.T, args ...string) (edge.Options, error) {
	t.Helper()
	var out bytes.Buffer
	err := run(context.Background(), append(args, "--check-config"), &out, io.Discard)
	if err != nil {
		return edge.Options{}, err
	}
	b, ok := bytes.CutPrefix(out.Bytes(), []byte("configuration OK\n"))
	require.True(t, ok, out.String())
	var o edge.Options
	require.NoError(t, yaml.Unmarshal(b, &o))
	return o, nil
}

func TestFlagsOverTheConfigFile(t *testing.T) {
	cfg := filepath.Join(t.TempDir(), "edge.yaml")
	require.NoError(t, os.WriteFile(cfg, []byte(`edge_id: a7-km12
mqtt_addr: 127.0.0.1:1999
station_id: 77
detect_interval: 300ms
road: {map_origin: {lat: 45.7578, lon: 4.832}}
limits: {max_sessions: 3, ws_origins: [dash.example.org]}
`), 0o600))

	o, err := checkConfig(t, "--config", cfg)
	require.NoError(t, err)
	require.Equal(t, "a7-km12", o.EdgeID)
	require.Equal(t, "127.0.0.1:1999", o.MQTTAddr)
	require.Equal(t, uint32(77), o.StationID)
	require.Equal(t, 45.7578, o.Road.MapOrigin.Lat)
	require.Equal(t, []string{"dash.example.org"}, o.Limits.WSOrigins)
	require.Equal(t, "127.0.0.1:8080", o.HTTPAddr, "the default fills what neither sets")

	// Flags given win, before or after --config; what they do not name keeps the file's value.
	o, err = checkConfig(t, "--mqtt-addr", "127.0.0.1:2000", "--config", cfg, "--station-id", "78",
		"--ws-origins", "a.org, https://b.org", "--road-map-origin", "-33.86785,151.20732", "--http-addr", "off")
	require.NoError(t, err)
	require.Equal(t, "a7-km12", o.EdgeID)
	require.Equal(t, "127.0.0.1:2000", o.MQTTAddr)
	require.Equal(t, uint32(78), o.StationID)
	require.Equal(t, []string{"a.org", "https://b.org"}, o.Limits.WSOrigins)
	require.Equal(t, -33.86785, o.Road.MapOrigin.Lat)
	require.Equal(t, 151.20732, o.Road.MapOrigin.Lon)
	require.Equal(t, 3, o.Limits.MaxSessions)
	require.Equal(t, edge.Off, o.HTTPAddr)

	// Without a file the flags alone, and every default.
	o, err = checkConfig(t, "--edge-id", "solo", "--pprof")
	require.NoError(t, err)
	require.Equal(t, "solo", o.EdgeID)
	require.True(t, o.Pprof)
	require.Equal(t, "127.0.0.1:1883", o.MQTTAddr)
}

func TestBadFlagsAndFiles(t *testing.T) {
	dir := t.TempDir()
	cfg := filepath.Join(dir, "edge.yaml")
	require.NoError(t, os.WriteFile(cfg, []byte("edge_id: x\ncolour: red\n"), 0o600))
	_, err := checkConfig(t, "--config", cfg)
	require.ErrorContains(t, err, "line 2: field colour not found")
	_, err = checkConfig(t, "--road-map-origin", "north")
	require.ErrorContains(t, err, `invalid value "north" for flag -road-map-origin: want lat,lon`)
	_, err = checkConfig(t, "--station-id", "-1")
	require.ErrorContains(t, err, "-station-id")
	_, err = checkConfig(t, "--log-level", "loud")
	require.ErrorContains(t, err, "-log-level")
	_, err = checkConfig(t, "--mqtt-addr", "nowhere")
	require.ErrorContains(t, err, "mqtt_addr")
	_, err = checkConfig(t, "serve")
	require.ErrorContains(t, err, `unexpected argument "serve"`)
	require.NoError(t, run(context.Background(), []string{"-h"}, io.Discard, io.Discard))
}
