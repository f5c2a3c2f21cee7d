// Command michi-sim runs michi scenarios (simulated or SUMO traffic against real edge nodes)
// and the one-command demo, and writes their reports.
//
//	michi-sim run scenario.yaml [--out dir] [--edge tcp://host:1883] [--duration 60s] [--seed N]
//	michi-sim check scenario.yaml
//	michi-sim demo [--duration 2m] [--out dir] [--no-hub]
//	michi-sim eval [--worlds a,b] [--short] [--parallel 2] [--out dir]
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"syscall"

	"github.com/michi-v2x/michi/sim/demo"
	"github.com/michi-v2x/michi/sim/eval"
	"github.com/michi-v2x/michi/sim/live"
	"github.com/michi-v2x/michi/sim/report"
	"github.com/michi-v2x/michi/sim/scenario"
	"github.com/michi-v2x/michi/sim/worlds"
)

const usage = `usage:
  michi-sim run scenario.yaml [--out dir] [--edge tcp://host:port] [--duration d] [--seed n] [--log-level l]
  michi-sim check scenario.yaml
  michi-sim demo [--duration d] [--out dir] [--no-hub] [--log-level l]
  michi-sim eval [--worlds name,…] [--short] [--parallel n] [--out dir] [--log-level l]
                 hazard detection on a suite of SUMO worlds: a table, results.json and results.md
`

func main() {
	if err := run(os.Args[1:], os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "michi-sim:", err)
		os.Exit(1)
	}
}

func run(args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return fmt.Errorf("no command")
	}
	switch args[0] {
	case "-h", "-help", "--help", "help":
		fmt.Fprint(stdout, usage)
		return nil
	}
	fs := flag.NewFlagSet("michi-sim "+args[0], flag.ContinueOnError)
	fs.SetOutput(stderr)
	out := fs.String("out", "", "run, demo: directory for report.json and report.html (default: sim-report-<name>); "+
		"eval: for results.json, results.md and each world (default: michi-eval)")
	edgeURL := fs.String("edge", "", "use this external edge node (tcp://host:port) instead of starting edges in-process")
	duration := fs.Duration("duration", 0, "run this long (default: the scenario's; demo: 2m)")
	seed := fs.Int64("seed", -1, "override the scenario's seed (eval: the worlds')")
	level := fs.String("log-level", "error", "debug, info, warn, error")
	noHub := fs.Bool("no-hub", false, "demo: leave the cloud hub out")
	worldNames := fs.String("worlds", "", "eval: run only these worlds of the suite (comma-separated names)")
	short := fs.Bool("short", false, "eval: the CI version, three worlds with shorter runs")
	connected := fs.Float64("connected", 0, "eval: run every world with this share (0…1] of its vehicles connected (default: the suite's own, 1 or 0.5)")
	parallel := fs.Int("parallel", 2, "eval: worlds run at once")
	pos, err := parseInterleaved(fs, args[1:])
	if errors.Is(err, flag.ErrHelp) {
		return nil
	}
	if err != nil {
		return err
	}
	var lv slog.Level
	if err := lv.UnmarshalText([]byte(*level)); err != nil {
		return fmt.Errorf("--log-level: %w", err)
	}
	log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: lv}))
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	tty := isTerminal(stdout)

	switch args[0] {
	case "check", "run":
		if len(pos) != 1 {
			return fmt.Errorf("%s needs one scenario file\n%s", args[0], usage)
		}
		s, err := scenario.Load(pos[0])
		if err != nil {
			return err
		}
		if args[0] == "check" {
			fmt.Fprintf(stdout, "%s: ok\n", pos[0])
			return nil
		}
		ro := scenario.RunOptions{EdgeURL: *edgeURL, Duration: *duration, Progress: stdout, TTY: tty, Log: log,
			OnReady: func(es []live.EdgeInfo) { printEdges(stdout, es) }}
		if *seed >= 0 {
			u := uint64(*seed)
			ro.Seed = &u
		}
		rep, err := s.Run(ctx, ro)
		if err != nil {
			return err
		}
		return finish(stdout, rep, orDefault(*out, "sim-report-"+rep.Scenario))
	case "demo":
		rep, err := demo.Run(ctx, demo.Options{Duration: *duration, Out: stdout, TTY: tty, Log: log, NoHub: *noHub})
		if err != nil {
			return err
		}
		return finish(stdout, rep, orDefault(*out, "sim-report-demo"))
	case "eval":
		return evaluate(ctx, stdout, log, *worldNames, *short, *parallel, *seed, *connected, orDefault(*out, "michi-eval"))
	}
	fmt.Fprint(stderr, usage)
	return fmt.Errorf("unknown command %q", args[0])
}

// parseInterleaved parses flags given before and after the positional arguments.
func parseInterleaved(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		args = fs.Args()
		if len(args) == 0 {
			return pos, nil
		}
		pos = append(pos, args[0])
		args = args[1:]
	}
}

func printEdges(w io.Writer, es []live.EdgeInfo) {
	for _, e := range es {
		fmt.Fprintf(w, "edge %-10s MQTT %s", e.ID, e.MQTT)
		if e.HTTP != "" {
			fmt.Fprintf(w, "  API %s/api/v1/hazards  metrics %s/metrics", e.HTTP, e.HTTP)
		}
		fmt.Fprintln(w)
	}
}

func finish(w io.Writer, rep *report.Report, dir string) error {
	j, h, err := rep.WriteFiles(dir)
	if err != nil {
		return err
	}
	o := rep.Overall
	fmt.Fprintf(w, "hazards detected %d/%d (delay p50 %.1f s) · alerts delivered %d/%d (%.1f %%), false %d · alert latency p50 %.1f ms p99 %.1f ms · lead time min %.1f s p50 %.1f s\n",
		o.HazardsDetected, o.HazardsInjected, o.DetectionDelayS.P50, o.AlertsDelivered, o.AlertsExpected, 100*o.DeliveryRatio,
		o.FalseDeliveries, o.AlertLatencyMS.P50, o.AlertLatencyMS.P99, o.LeadTimeS.Min, o.LeadTimeS.P50)
	d := rep.Detection.Overall
	fmt.Fprintf(w, "detection: raised %d, matched %d · precision %s recall %s · phantoms %d (%d warnings delivered) · duplicates %d\n",
		d.Raised, d.Matched, report.Percent(d.Precision), report.Percent(d.Recall), d.Phantom, d.PhantomWarnings, d.Duplicates)
	fmt.Fprintf(w, "report: %s\n        %s\n", j, h)
	return nil
}

// evaluate runs the suite of worlds (or the named ones, or the short suite) and prints the table.
func evaluate(ctx context.Context, w io.Writer, log *slog.Logger, names string, short bool, parallel int, seed int64,
	connected float64, out string) error {
	suite := worlds.Suite()
	if short {
		suite = worlds.Short()
	}
	if connected != 0 {
		if connected < 0 || connected > 1 {
			return fmt.Errorf("--connected %g: want a share above 0, at most 1", connected)
		}
		suite = worlds.WithConnected(suite, connected)
	}
	if names != "" {
		var err error
		if suite, err = worlds.Select(suite, names); err != nil {
			return err
		}
	}
	for i := range suite {
		if seed >= 0 {
			suite[i].Seed = uint64(seed)
		}
	}
	res, err := eval.Run(ctx, eval.Options{Worlds: suite, Parallel: parallel, Out: out, Short: short, Progress: w, Log: log})
	if res != nil {
		fmt.Fprintf(w, "\n%s\nresults: %s/results.md, %s/results.json (commit %s)\n", res.Table(), out, out, res.Commit)
	}
	return err
}

func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}

func orDefault(v, d string) string {
	if v == "" {
		return d
	}
	return v
}
