// Command michi-bench measures a michi edge node, or any MQTT broker as a baseline, under load:
// N vehicles publishing CAM at R Hz over a chosen transport, hazards injected at a set rate by
// a reporting sensor, and at every vehicle that should get each alert the report-to-alert
// latency (HDR histogram, corrected for coordinated omission) and alert latency (the target
// accepting the report → the vehicle reading the alert, docs/metrics.md), alerts lost, telemetry
// achieved, and the CPU and memory of the target and of the generator itself. See
// benchmarks/README.md.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"runtime/pprof"
	"strings"
	"syscall"

	"github.com/michi-v2x/michi/benchmarks/harness"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "michi-bench:", err)
		os.Exit(1)
	}
}

func run() error {
	fs := flag.NewFlagSet("michi-bench", flag.ContinueOnError)
	var (
		o          harness.BenchOptions
		l          = &o.Load
		transports = fs.String("transport", harness.MQTTTCP, `transports, comma-separated: mqtt-tcp, mqtt-ws, mqtt-quic, quic, or "all"`)
		sweep      = fs.String("sweep", "", "vehicle counts to run one after the other, e.g. 500,2000,5000 (overrides --vehicles)")
		center     = fs.String("center", "45.76,4.84", "centre of the area, lat,lon")
		cause      = fs.Uint("hazard-cause", 99, "DENM cause code of the injected hazards")
		baseline   = fs.String("baseline", "", `drive a plain MQTT broker instead of michi: "local" starts mosquitto, or mqtt://host:port`)
		targetArgs = fs.String("target-args", "", "extra edge-node flags, space-separated (e.g. --config bench.yaml)")
		jsonOut    = fs.String("json", "", `write the results as JSON to this file ("-" = stdout)`)
		markdown   = fs.Bool("markdown", false, "print a Markdown table as well")
		quiet      = fs.Bool("quiet", false, "no progress lines")
		logLevel   = fs.String("log-level", "info", "debug, info, warn or error")
		cpuProfile = fs.String("cpuprofile", "", "write the generator's CPU profile to this file")
	)
	fs.IntVar(&l.Vehicles, "vehicles", 500, "connected vehicles")
	fs.Float64Var(&l.RateHz, "rate", 10, "CAMs per second per vehicle (--cam-rules fixed)")
	fs.StringVar(&l.CAMRules, "cam-rules", harness.CAMRulesFixed, `when vehicles send a CAM: "fixed" (--rate, standing still: the worst case) or "etsi" (moving, EN 302 637-2: 1 to 10 Hz by their dynamics)`)
	fs.DurationVar(&l.Duration, "duration", 0, "measurement window in which hazards are injected (default 20s)")
	fs.DurationVar(&l.Warmup, "warmup", 0, "telemetry before the window (default 3s)")
	fs.DurationVar(&l.Grace, "grace", 0, "wait for late alerts after the window (default 2s)")
	fs.Float64Var(&l.HazardRate, "hazard-rate", 2, "hazards injected per second")
	fs.Float64Var(&l.HazardRadiusM, "hazard-radius", 0, "relevance radius the target uses, m (default: the edge's default for the cause)")
	fs.DurationVar(&l.HazardValidity, "hazard-validity", 0, "validity of injected hazards (default 60s)")
	fs.Float64Var(&l.HazardSpacingM, "hazard-spacing", 0, "minimum distance between injected hazards, m (default 250)")
	fs.Float64Var(&l.AreaKm, "area-km", 5, "side of the square area vehicles and hazards are in, km")
	fs.Int64Var(&l.Seed, "seed", 1, "seed of positions and hazard order")
	fs.IntVar(&l.Writers, "writers", 0, "telemetry writer loops (default GOMAXPROCS)")
	fs.IntVar(&l.ConnectParallel, "connect-parallel", 0, "concurrent connection handshakes (default 64)")
	fs.BoolVar(&l.AlertQoS0, "alert-qos0", false, "vehicles subscribe to alerts at QoS 0 (default QoS 1)")
	fs.StringVar(&l.Root, "root", "michi", "topic root")
	fs.StringVar(&o.TargetBin, "target-bin", "", "edge-node (or, with --baseline local, mosquitto) binary (default: go build ./cmd/edge-node; mosquitto from PATH)")
	fs.StringVar(&o.Attach.MQTTAddr, "target-mqtt", "", "attach to a running edge: its MQTT/TCP address")
	fs.StringVar(&o.Attach.WSAddr, "target-ws", "", "attach: its MQTT/WebSocket address")
	fs.StringVar(&o.Attach.MQTTQUICAddr, "target-mqtt-quic", "", "attach: its MQTT/QUIC address")
	fs.StringVar(&o.Attach.QUICAddr, "target-quic", "", "attach: its native QUIC address")
	fs.StringVar(&o.Attach.HTTPAddr, "target-http", "", "attach: its HTTP API (metrics, certificate fingerprint)")
	fs.StringVar(&o.Attach.TLSFingerprint, "tls-fingerprint", "", "attach: SHA-256 fingerprint of its QUIC certificate (default: from --target-http)")
	fs.IntVar(&o.Attach.PID, "target-pid", 0, "attach: the target's process id, for its CPU and memory")
	pin := fs.String("pin", "", "TARGET/GENERATOR CPU lists (Linux): start the target under taskset on the first, move the bench to the second, e.g. 0/1")
	if err := fs.Parse(os.Args[1:]); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return err
	}

	var err error
	if o.Transports, err = harness.ParseTransports(*transports); err != nil {
		return err
	}
	if *sweep != "" {
		if o.Vehicles, err = harness.ParseVehicles(*sweep); err != nil {
			return err
		}
	}
	if l.Center, err = harness.ParsePoint(*center); err != nil {
		return err
	}
	if *cause > 255 {
		return fmt.Errorf("--hazard-cause %d: want 0 … 255", *cause)
	}
	l.HazardCause = uint8(*cause)
	o.TargetArgs = strings.Fields(*targetArgs)
	if *pin != "" {
		if o.Pin, err = harness.ParsePin(*pin); err != nil {
			return err
		}
	}
	switch {
	case *baseline == "local":
		o.Target = harness.TargetMosquitto
	case *baseline != "":
		addr, ok := strings.CutPrefix(*baseline, "mqtt://")
		if !ok {
			return fmt.Errorf(`--baseline %q: want "local" or mqtt://host:port`, *baseline)
		}
		o.Target, o.Attach.MQTTAddr = harness.TargetBroker, addr
	case o.Attach.MQTTAddr != "" || o.Attach.WSAddr != "" || o.Attach.MQTTQUICAddr != "" || o.Attach.QUICAddr != "":
		o.Target = harness.TargetAttach
	}

	var level slog.Level
	if err := level.UnmarshalText([]byte(*logLevel)); err != nil {
		return fmt.Errorf("--log-level: %w", err)
	}
	o.Log = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: level}))
	if !*quiet {
		l.Progress = os.Stderr
	}

	b, err := harness.New(o)
	if err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if *cpuProfile != "" {
		f, err := os.Create(*cpuProfile)
		if err != nil {
			return err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
		defer pprof.StopCPUProfile()
	}
	meta := harness.CollectMeta()
	results, err := b.Run(ctx)
	if len(results) > 0 {
		fmt.Println()
		_ = harness.WriteTable(os.Stdout, results)
		if *markdown {
			fmt.Println()
			harness.WriteMarkdown(os.Stdout, results)
		}
		if *jsonOut != "" {
			if werr := writeJSON(*jsonOut, harness.Report{Meta: meta, Results: results}); werr != nil {
				return errors.Join(err, werr)
			}
		}
	}
	return err
}

func writeJSON(path string, r harness.Report) error {
	var w io.Writer = os.Stdout
	if path != "-" {
		f, err := os.Create(path)
		if err != nil {
			return err
		}
		defer f.Close()
		w = f
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(r)
}
