package harness

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"slices"
	"strings"

	"github.com/michi-v2x/michi/pkg/geo"
)

// Target kinds a Bench drives.
const (
	TargetEdge      = "edge"      // start edge-node (built from this module, or TargetBin)
	TargetAttach    = "attach"    // a michi edge that is already running (Attach)
	TargetMosquitto = "mosquitto" // start mosquitto (baseline)
	TargetBroker    = "broker"    // any running MQTT broker (baseline, Attach.MQTTAddr)
)

// BenchOptions is a whole invocation: the load, the vehicle counts and transports to sweep
// over, and the target.
type BenchOptions struct {
	Load       Options
	Vehicles   []int    // one run per count; default [Load.Vehicles]
	Transports []string // default [Load.Transport]

	Target     string   // one of the Target* kinds, default TargetEdge
	TargetBin  string   // edge-node or mosquitto binary; "" = build edge-node / mosquitto from PATH
	TargetArgs []string // extra edge-node flags
	Pin        Pin      // CPUs of the target and of the generator; zero: not pinned
	Attach     Target   // addresses (and PID) of a running target for TargetAttach and TargetBroker
	Log        *slog.Logger
}

func (o *BenchOptions) setDefaults() {
	if o.Target == "" {
		o.Target = TargetEdge
	}
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	o.Load.Log = o.Log
	o.Load.setDefaults()
	if len(o.Vehicles) == 0 {
		o.Vehicles = []int{o.Load.Vehicles}
	}
	if len(o.Transports) == 0 {
		o.Transports = []string{o.Load.Transport}
	}
}

// Validate reports every problem at once, with the defaults applied.
func (o *BenchOptions) Validate() error {
	o.setDefaults()
	var errs []error
	for _, tr := range o.Transports {
		for _, n := range o.Vehicles {
			l := o.Load
			l.Transport, l.Vehicles = tr, n
			if err := l.Validate(); err != nil {
				errs = append(errs, fmt.Errorf("%s × %d vehicles: %w", tr, n, err))
			}
		}
	}
	switch o.Target {
	case TargetEdge, TargetAttach:
	case TargetMosquitto, TargetBroker:
		for _, tr := range o.Transports {
			if tr != MQTTTCP {
				errs = append(errs, fmt.Errorf("baseline: transport %s: only %s is driven against a plain broker", tr, MQTTTCP))
			}
		}
		if o.Target == TargetBroker && o.Attach.MQTTAddr == "" {
			errs = append(errs, errors.New("baseline: the broker's address is missing"))
		}
	default:
		errs = append(errs, fmt.Errorf("target %q: want %s, %s, %s or %s", o.Target, TargetEdge, TargetAttach, TargetMosquitto, TargetBroker))
	}
	if o.Pin.Target != "" && (o.Target == TargetAttach || o.Target == TargetBroker) {
		errs = append(errs, errors.New("--pin: the target runs already; pin it with taskset yourself and give the generator's CPUs only (--pin /1)"))
	}
	return errors.Join(errs...)
}

// Bench runs a sweep. New does no I/O; Run starts (or attaches to) the target for every run.
type Bench struct {
	o BenchOptions
}

// New checks the options.
func New(o BenchOptions) (*Bench, error) {
	if err := o.Validate(); err != nil {
		return nil, err
	}
	return &Bench{o: o}, nil
}

// Run does every run of the sweep in turn, transports outer, vehicle counts inner, and returns
// their results. A target the bench starts is started afresh for each run, so its CPU, peak
// memory and state belong to that run alone. A run that fails is reported with its error and
// the sweep goes on; Run fails only when ctx ends or nothing can be started.
func (b *Bench) Run(ctx context.Context) ([]Result, error) {
	o := b.o
	bin := o.TargetBin
	if o.Target == TargetEdge && bin == "" {
		dir, err := os.MkdirTemp("", "michi-bench")
		if err != nil {
			return nil, err
		}
		defer os.RemoveAll(dir)
		o.Log.Info("building edge-node")
		if bin, err = BuildEdge(ctx, dir); err != nil {
			return nil, err
		}
	}
	if o.Pin.Generator != "" {
		if err := pinSelf(o.Pin.Generator); err != nil {
			return nil, err
		}
	}
	var out []Result
	for _, tr := range o.Transports {
		for _, n := range o.Vehicles {
			l := o.Load
			l.Transport, l.Vehicles = tr, n
			res, err := b.runOne(ctx, l, bin)
			if ctx.Err() != nil {
				return out, ctx.Err()
			}
			if err != nil {
				o.Log.Error("run failed", "transport", tr, "vehicles", n, "error", err)
				res = &Result{Transport: tr, Vehicles: n, RateHz: l.RateHz, Error: firstLine(err.Error())}
			}
			out = append(out, *res)
		}
	}
	return out, nil
}

func (b *Bench) runOne(ctx context.Context, l Options, bin string) (*Result, error) {
	o := b.o
	var (
		t    Target
		stop = func() error { return nil }
		err  error
	)
	switch o.Target {
	case TargetEdge:
		t, stop, err = StartEdge(ctx, bin, o.TargetArgs, o.Pin, o.Log)
	case TargetMosquitto:
		t, stop, err = StartMosquitto(ctx, bin, o.Pin, o.Log)
	case TargetAttach:
		t = AttachEdge(ctx, o.Attach)
	case TargetBroker:
		t = o.Attach
		t.Baseline = true
		if t.Name == "" {
			t.Name = "mqtt://" + t.MQTTAddr
		}
	}
	if err != nil {
		return nil, err
	}
	defer func() { _ = stop() }()
	o.Log.Info("run", "target", t.Name, "transport", l.Transport, "vehicles", l.Vehicles, "rate_hz", l.RateHz, "duration", l.Duration)
	res, err := Run(ctx, l, t)
	if res != nil {
		res.Target = t.Name
	}
	return res, err
}

func firstLine(s string) string {
	s, _, _ = strings.Cut(s, "\n")
	return s
}

// ParseVehicles parses a sweep like "500,2000,5000".
func ParseVehicles(s string) ([]int, error) {
	var out []int
	for f := range strings.SplitSeq(s, ",") {
		var n int
		if _, err := fmt.Sscanf(strings.TrimSpace(f), "%d", &n); err != nil || n < 1 {
			return nil, fmt.Errorf("sweep %q: want positive vehicle counts separated by commas", s)
		}
		out = append(out, n)
	}
	return out, nil
}

// ParseTransports parses "mqtt-tcp,mqtt-ws" (or "all").
func ParseTransports(s string) ([]string, error) {
	if s == "all" {
		return slices.Clone(Transports), nil
	}
	var out []string
	for f := range strings.SplitSeq(s, ",") {
		f = strings.TrimSpace(f)
		if !slices.Contains(Transports, f) {
			return nil, fmt.Errorf("transport %q: want one of %v", f, Transports)
		}
		out = append(out, f)
	}
	return out, nil
}

// ParsePoint parses "lat,lon".
func ParsePoint(s string) (geo.Point, error) {
	var p geo.Point
	if _, err := fmt.Sscanf(strings.ReplaceAll(s, " ", ""), "%g,%g", &p.Lat, &p.Lon); err != nil || !p.Valid() {
		return p, fmt.Errorf("point %q: want lat,lon in degrees", s)
	}
	return p, nil
}
