package main

import (
	"bytes"
	"context"
	"io"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/michi-v2x/michi/internal/auth"
	"github.com/michi-v2x/michi/internal/edge"
	"github.com/michi-v2x/michi/internal/testutil"
	"github.com/michi-v2x/michi/pkg/geo"
	"github.com/michi-v2x/michi/pkg/v2x"
	"github.com/michi-v2x/michi/pkg/v2x/client"
)

// startEdge runs a real edge node admitting one vehicle credential, for com_car_42, on MQTT over
// TCP and native QUIC, and returns it with the credential's token.
func startEdge(t *testing.T) (*edge.Node, string) {
	t.Helper()
	token := auth.NewToken()
	creds := filepath.Join(t.TempDir(), "credentials.yaml")
	require.NoError(t, os.WriteFile(creds, []byte("credentials:\n"+auth.Entry("com_car_42", auth.Vehicle, token)), 0o600))
	n, err := edge.New(edge.Options{MQTTAddr: "127.0.0.1:0", QUICAddr: "127.0.0.1:0", WSAddr: edge.Off, HTTPAddr: edge.Off,
		MQTTQUICAddr: edge.Off, Credentials: creds})
	require.NoError(t, err)
	testutil.Start(t, n)
	return n, token
}

func TestSourceAndRefusals(t *testing.T) {
	n, token := startEdge(t)
	mqtt := "tcp://" + n.MQTTAddr()

	// The default source of station 1001 is com_car_1001: the refusal names it and the way out.
	err := run(context.Background(), []string{"-url", mqtt, "-token", token}, io.Discard, io.Discard)
	require.ErrorContains(t, err, "refused source com_car_1001, station 1001")
	require.ErrorContains(t, err, "-source")
	err = run(context.Background(), []string{"-url", mqtt, "-source", "com_car_42"}, io.Discard, io.Discard)
	require.ErrorContains(t, err, "refused source com_car_42, station 1001")
	require.ErrorContains(t, err, "give -token")

	// With -source the credential's vehicle drives, reports an accident ahead and hears of it.
	var out bytes.Buffer
	require.NoError(t, run(context.Background(), []string{"-url", mqtt, "-source", "com_car_42", "-token", token, "-report", "2", "-alerts", "1"}, &out, io.Discard))
	require.Contains(t, out.String(), "connected to "+mqtt+" as source com_car_42, station 1001, over mqtt-tcp")
	require.Regexp(t, `alert \d+/\d+: accident \(cause 2\) at [0-9.]+,[0-9.]+, alert latency [0-9.]+m?s over mqtt-tcp`, out.String())
}

func TestErrorsNameTheFlags(t *testing.T) {
	for _, c := range []struct {
		args []string
		want []string
	}{
		{[]string{"-url", "quic://127.0.0.1:4433"}, []string{`-url "quic://127.0.0.1:4433" uses TLS: set -ca FILE, -pin FINGERPRINT`, "-insecure"}},
		{[]string{"-url", "tcp://127.0.0.1:1883", "-pin", "AB"}, []string{"is plaintext but -ca, -pin or -insecure is given"}},
		{[]string{"-url", "mqtts://127.0.0.1:8883", "-insecure", "-ca", "ca.crt"}, []string{"-insecure cannot be combined with -ca or -pin"}},
		{[]string{"-url", "gopher://x"}, []string{`-url "gopher://x": scheme "gopher"`}},
		{[]string{"-source", "a/b"}, []string{`-source "a/b"`}},
		{[]string{"-station", "0"}, []string{"-station: required"}},
		{[]string{"-rate", "0"}, []string{"-rate must be positive"}},
	} {
		err := run(context.Background(), c.args, io.Discard, io.Discard)
		require.Error(t, err, c.args)
		for _, w := range c.want {
			require.ErrorContains(t, err, w, c.args)
		}
		require.NotContains(t, err.Error(), "TLS.", c.args)
		require.NotContains(t, err.Error(), "station_id", c.args)
	}
	require.NoError(t, run(context.Background(), []string{"-h"}, io.Discard, io.Discard))
}

func TestAlertLines(t *testing.T) {
	id := v2x.ActionID{OriginatingStationID: 7, SequenceNumber: 3}
	now := time.Now()
	alert := func(ref time.Time, term *v2x.Termination) client.Alert {
		d := v2x.NewDENM(v2x.DENMSpec{SourceUUID: "michi_edge-1", StationID: 7, StationType: 15, ActionID: id, Cause: 94,
			Pos: geo.Point{Lat: 48.1, Lon: 11.5}, Reference: ref, Termination: term})
		return client.Alert{DENM: d, ActionID: id, AlertLatency: 3200 * time.Microsecond, Latency: 1500 * time.Microsecond, Transport: "mqtt-tcp"}
	}
	p := printer{seen: map[v2x.ActionID]bool{}}
	replayed := alert(now, nil)
	replayed.Replayed, replayed.AlertLatency, replayed.Latency = true, 13700*time.Millisecond, 13600*time.Millisecond
	require.Equal(t, "alert 7/3: stationaryVehicle (cause 94) at 48.100000,11.500000, replayed on subscribing, this version published 13.6s ago over mqtt-tcp", p.line(replayed))
	// A live version: alert latency (from the edge accepting the event), not its delivery part.
	require.Equal(t, "update 7/3: stationaryVehicle (cause 94) at 48.100000,11.500000, alert latency 3ms over mqtt-tcp", p.line(alert(now.Add(time.Second), nil)))
	cancelled := v2x.TerminationCancellation
	require.Contains(t, p.line(alert(now.Add(2*time.Second), &cancelled)), "ended 7/3")
}
