// Command edge-node runs a michi roadside edge node: an embedded MQTT broker (TCP, WebSocket)
// that takes in CAM, DENM and CPM, keeps a Local Dynamic Map, detects hazards and publishes them
// to exactly the outQueue tiles their relevance area touches. With --hub it reports to a cloud
// hub and disseminates the authority hazards the hub sends down.
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

	"gopkg.in/yaml.v3"

	"github.com/michi-v2x/michi/internal/cli"
	"github.com/michi-v2x/michi/internal/demo"
	"github.com/michi-v2x/michi/internal/edge"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "edge-node:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) > 0 && args[0] == "credentials" {
		return credentials(args[1:], stdout)
	}
	var (
		opts        edge.Options
		checkConfig bool
		demoMode    bool
		level       slog.Level
	)
	fs := flag.NewFlagSet("edge-node", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.BoolVar(&checkConfig, "check-config", false, "validate the configuration, print it and exit")
	fs.TextVar(&level, "log-level", slog.LevelInfo, "debug, info, warn or error")
	fs.BoolVar(&demoMode, "demo", false, "also drive built-in simulated vehicles (real MQTT clients) and print the alerts they get")
	bindFlags(fs, &opts)
	if err := cli.Load(fs, args, &opts, nil); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected argument %q (subcommands: credentials)", fs.Arg(0))
	}
	log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: level}))
	opts.Log = log
	if err := opts.Validate(); err != nil {
		return err
	}
	if checkConfig {
		out, _ := yaml.Marshal(opts)
		fmt.Fprintf(stdout, "configuration OK\n%s", out)
		return nil
	}
	node, err := edge.New(opts)
	if err != nil {
		return err
	}
	go reloadOnHangup(ctx, node, log)
	if demoMode {
		return demo.Run(ctx, node, stdout, demo.Timeline{})
	}
	return node.Run(ctx)
}

// reloadOnHangup reloads the credentials file on each SIGHUP until ctx ends.
func reloadOnHangup(ctx context.Context, node *edge.Node, log *slog.Logger) {
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	defer signal.Stop(hup)
	for {
		select {
		case <-ctx.Done():
			return
		case <-hup:
			if err := node.ReloadCredentials(); err != nil {
				log.Error("credentials not reloaded; the ones loaded before stay", "error", err)
			}
		}
	}
}
