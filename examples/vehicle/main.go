// Command vehicle is a runnable example of michi's vehicle SDK (pkg/v2x/client): it connects to
// an edge node, drives straight ahead at a constant speed sending its state, optionally reports
// a hazard ahead of itself, and prints every alert it receives, until interrupted.
//
//	go run ./examples/vehicle -url tcp://127.0.0.1:1883
//	go run ./examples/vehicle -url quic://127.0.0.1:4433 -pin 3A:F0:… -report 2
//	go run ./examples/vehicle -source com_car_42 -token "$TOKEN"
//
// Try it against a local edge node (cmd/edge-node): its log prints the fingerprint to pin.
package main

import (
	"context"
	"crypto/ed25519"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"sync"
	"syscall"
	"time"

	"github.com/michi-v2x/michi/pkg/geo"
	"github.com/michi-v2x/michi/pkg/v2x"
	"github.com/michi-v2x/michi/pkg/v2x/client"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "vehicle:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	stdout = &lockedWriter{w: stdout} // the alert printer and the driving loop both write
	fs := flag.NewFlagSet("vehicle", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var (
		url      = fs.String("url", "tcp://127.0.0.1:1883", "edge node: tcp://, ws://…/mqtt, mqtts://, mqtt+quic://, quic://")
		station  = fs.Uint("station", 1001, "ETSI station id")
		source   = fs.String("source", "", `source_uuid the vehicle speaks as, the one its credential names (default "com_car_" + station id)`)
		token    = fs.String("token", "", "credential token (edge-node credentials add prints one)")
		pin      = fs.String("pin", "", "SHA-256 fingerprint of the edge's certificate (TLS transports; the edge logs it and serves it at /api/v1/tls)")
		caFile   = fs.String("ca", "", "PEM CA file the edge's certificate chains to (TLS transports)")
		insecure = fs.Bool("insecure", false, "skip certificate verification (loopback tests only)")
		lat      = fs.Float64("lat", 48.8566, "start latitude")
		lon      = fs.Float64("lon", 2.3522, "start longitude")
		speed    = fs.Float64("speed", 13.9, "speed, m/s")
		heading  = fs.Float64("heading", 90, "heading, degrees from north")
		rate     = fs.Float64("rate", 10, "states per second")
		camRules = fs.String("cam-rules", "etsi", `when a state is sent as a CAM: "etsi" (EN 302 637-2: 1 to 10 Hz by heading, position and speed changes) or "fixed" (every state)`)
		cause    = fs.Uint("report", 0, "report a hazard of this DENM cause 300 m ahead (0: none)")
		verbose  = fs.Bool("v", false, "log connection events")
		alertKey = fs.String("alert-key", "", "PEM public key of the edge (its /api/v1/keys): take only alerts it signed")
		count    = fs.Int("alerts", 0, "stop after printing this many alerts (0: drive until interrupted)")
	)
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	if *camRules != "etsi" && *camRules != "fixed" {
		return fmt.Errorf("-cam-rules %q: want etsi or fixed", *camRules)
	}
	if *rate <= 0 || *station > 1<<32-1 || *cause > 255 {
		return errors.New("-rate must be positive, -station at most 4294967295, -report a cause from 0 to 255")
	}
	level := slog.LevelWarn
	if *verbose {
		level = slog.LevelInfo
	}
	opts := client.Options{
		URL: *url, StationID: uint32(*station), SourceUUID: *source, Token: *token,
		Log: slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: level})),
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
			return fmt.Errorf("-alert-key: %w", err)
		}
	}
	if err := opts.Validate(); err != nil {
		return inFlagNames(err)
	}
	c, err := client.Dial(ctx, opts)
	if err != nil {
		return refusal(err, opts)
	}
	defer c.Close()
	fmt.Fprintf(stdout, "connected to %s as source %s, station %d, over %s\n", *url, opts.SourceUUID, opts.StationID, c.Transport())
	printed, enough := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(printed)
		p := printer{seen: map[v2x.ActionID]bool{}}
		n := 0
		for a := range c.Alerts() {
			fmt.Fprintln(stdout, p.line(a))
			if n++; n == *count {
				close(enough)
			}
		}
	}()

	pos := geo.Point{Lat: *lat, Lon: *lon}
	period := time.Duration(float64(time.Second) / *rate)
	tick := time.NewTicker(period)
	defer tick.Stop()
	reported := *cause == 0
	sender := client.NewSender(c, client.SenderOptions{}) // -cam-rules etsi
	for {
		st := client.State{Pos: pos, SpeedMPS: *speed, HeadingDeg: *heading}
		var err error
		if *camRules == "fixed" {
			err = c.SendState(ctx, st)
		} else {
			_, err = sender.Update(ctx, st)
		}
		if err != nil {
			opts.Log.Warn("send state", "error", err) // ErrNotConnected while reconnecting: the next one follows
		}
		if !reported {
			id, err := c.Report(ctx, client.Hazard{Cause: uint8(*cause), Pos: geo.Destination(pos, *heading, 300)})
			if err == nil {
				fmt.Fprintf(stdout, "reported %s (cause %d) as %s\n", v2x.CauseName(uint8(*cause)), *cause, id)
				reported = true
			}
		}
		select {
		case <-ctx.Done():
		case <-enough:
		case <-c.Done():
			if ctx.Err() == nil {
				return refusal(c.Err(), opts)
			}
		case <-tick.C:
			pos = geo.Destination(pos, *heading, *speed*period.Seconds())
			continue
		}
		c.Close()
		<-printed
		fmt.Fprintf(stdout, "stats: %+v\n", c.Stats())
		return nil
	}
}

// lockedWriter serialises writes to w.
type lockedWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}
