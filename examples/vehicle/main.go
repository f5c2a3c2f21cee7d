// Command vehicle is a runnable example of michi's vehicle SDK (pkg/v2x/client): it connects to
// an edge node, drives straight ahead at a constant speed sending its state, optionally reports
// a hazard ahead of itself, and prints every alert it receives with its latency, until
// interrupted.
//
//	go run ./examples/vehicle -url tcp://127.0.0.1:1883
//	go run ./examples/vehicle -url quic://127.0.0.1:4433 -pin 3A:F0:… -report 2
//
// Try it against a local edge node (cmd/edge-node): its log prints the fingerprint to pin.
package main

import (
	"context"
	"crypto/ed25519"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"time"

	"github.com/michi-v2x/michi/pkg/geo"
	"github.com/michi-v2x/michi/pkg/v2x"
	"github.com/michi-v2x/michi/pkg/v2x/client"
)

func main() {
	var (
		url      = flag.String("url", "tcp://127.0.0.1:1883", "edge node: tcp://, ws://…/mqtt, mqtts://, mqtt+quic://, quic://")
		station  = flag.Uint("station", 1001, "ETSI station id")
		token    = flag.String("token", "", "credential")
		pin      = flag.String("pin", "", "SHA-256 fingerprint of the edge's certificate (TLS transports)")
		caFile   = flag.String("ca", "", "PEM CA file (TLS transports)")
		insecure = flag.Bool("insecure", false, "skip certificate verification (loopback tests only)")
		lat      = flag.Float64("lat", 48.8566, "start latitude")
		lon      = flag.Float64("lon", 2.3522, "start longitude")
		speed    = flag.Float64("speed", 13.9, "speed, m/s")
		heading  = flag.Float64("heading", 90, "heading, degrees from north")
		rate     = flag.Float64("rate", 10, "states per second")
		cause    = flag.Uint("report", 0, "report a hazard of this DENM cause 300 m ahead (0: none)")
		verbose  = flag.Bool("v", false, "log connection events")
		alertKey = flag.String("alert-key", "", "PEM public key of the edge (its /api/v1/keys): take only alerts it signed")
	)
	flag.Parse()
	level := slog.LevelWarn
	if *verbose {
		level = slog.LevelInfo
	}
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: level}))

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	opts := client.Options{
		URL: *url, StationID: uint32(*station), Token: *token, Log: log,
		TLS: client.TLS{PinnedFingerprint: *pin, CAFile: *caFile, Insecure: *insecure},
	}
	if *alertKey != "" {
		b, err := os.ReadFile(*alertKey)
		if err == nil {
			var pub ed25519.PublicKey
			if pub, err = v2x.ParsePublicKey(b); err == nil {
				opts.AlertKeys = v2x.NewKeySet(pub)
			}
		}
		if err != nil {
			fmt.Fprintln(os.Stderr, "vehicle: --alert-key:", err)
			os.Exit(1)
		}
	}
	c, err := client.Dial(ctx, opts)
	if err != nil {
		fmt.Fprintln(os.Stderr, "vehicle:", err)
		os.Exit(1)
	}
	defer c.Close()
	go printAlerts(c)

	pos := geo.Point{Lat: *lat, Lon: *lon}
	period := time.Duration(float64(time.Second) / *rate)
	tick := time.NewTicker(period)
	defer tick.Stop()
	reported := *cause == 0
	for {
		if err := c.SendState(ctx, client.State{Pos: pos, SpeedMPS: *speed, HeadingDeg: *heading}); err != nil {
			log.Warn("send state", "error", err) // ErrNotConnected while reconnecting: the next one follows
		}
		if !reported {
			id, err := c.Report(ctx, client.Hazard{Cause: uint8(*cause), Pos: geo.Destination(pos, *heading, 300)})
			if err == nil {
				fmt.Printf("reported %s (cause %d) as %s\n", v2x.CauseName(uint8(*cause)), *cause, id)
				reported = true
			}
		}
		select {
		case <-ctx.Done():
			fmt.Printf("stats: %+v\n", c.Stats())
			return
		case <-c.Done():
			fmt.Fprintln(os.Stderr, "vehicle:", c.Err())
			os.Exit(1)
		case <-tick.C:
			pos = geo.Destination(pos, *heading, *speed*period.Seconds())
		}
	}
}

func printAlerts(c *client.Client) {
	for a := range c.Alerts() {
		cause, _ := a.DENM.Cause()
		what := "alert"
		if a.Terminated() {
			what = "ended"
		}
		fmt.Printf("%s %s: %s (cause %d) at %.6f,%.6f, latency %s over %s\n", what, a.ActionID,
			v2x.CauseName(cause), cause, a.DENM.EventPosition().Lat, a.DENM.EventPosition().Lon,
			a.Latency.Round(time.Microsecond), a.Transport)
	}
}
