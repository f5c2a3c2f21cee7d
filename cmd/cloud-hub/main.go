// Command cloud-hub runs michi's cloud hub: edge nodes connect over QUIC with mutual TLS and
// send hazard events, traffic aggregates and health, which the hub stores exactly once (SQLite
// by default, PostgreSQL with --db postgres://…) and serves over HTTP (JSON, GeoJSON, CSV, a
// live event stream, /metrics); authority hazards posted to its API go down to the edges.
//
//	cloud-hub pki init --dir pki                 CA, hub certificate
//	cloud-hub pki issue-edge --dir pki edge-1    an edge's client certificate (CN = edge id)
//	cloud-hub --pki-dir pki --token "$TOKEN"     serve
//	cloud-hub --data-dir DIR                     serve with a development PKI generated in DIR/pki
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/url"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"

	"gopkg.in/yaml.v3"

	"github.com/michi-v2x/michi/internal/cli"
	"github.com/michi-v2x/michi/internal/hub"
)

// EnvToken is the environment variable holding the authority bearer token.
const EnvToken = "MICHI_HUB_TOKEN"

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "cloud-hub:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) > 0 && args[0] == "pki" {
		if err := runPKI(args[1:], stdout, stderr); !errors.Is(err, errHelp) {
			return err
		}
		return nil
	}
	var (
		opts            hub.Options
		checkConfig     bool
		level           slog.Level
		pkiDir, dataDir string
	)
	fs := flag.NewFlagSet("cloud-hub", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.BoolVar(&checkConfig, "check-config", false, "validate the configuration, print it (token redacted) and exit")
	fs.TextVar(&level, "log-level", slog.LevelInfo, "debug, info, warn or error")
	fs.StringVar(&pkiDir, "pki-dir", "", `directory written by 'cloud-hub pki init': sets --tls-cert, --tls-key and --client-ca`)
	fs.StringVar(&dataDir, "data-dir", "", "state directory (created): the database defaults to DIR/michi-hub.db and, without a PKI, a development PKI is generated in DIR/pki")
	bindFlags(fs, &opts)
	fs.Usage = func() {
		fmt.Fprintf(stderr, "usage: cloud-hub [flags]\n       cloud-hub pki init --dir DIR [--hosts h1,h2]\n       cloud-hub pki issue-edge --dir DIR NAME\n\nflags:\n")
		fs.PrintDefaults()
	}
	// The file, then the environment, --data-dir and --pki-dir, then the flags given.
	err := cli.Load(fs, args, &opts, func(o *hub.Options) {
		if o.Token == "" {
			o.Token = os.Getenv(EnvToken)
		}
		if dataDir != "" && o.Store.DSN == "" {
			o.Store.DSN = filepath.Join(dataDir, "michi-hub.db")
		}
		dir := pkiDir
		if dir == "" && dataDir != "" && o.TLSCert == "" && o.TLSKey == "" && o.ClientCA == "" {
			dir = filepath.Join(dataDir, "pki") // the development PKI, unless flags name certificates
		}
		if dir != "" {
			o.TLSCert, o.TLSKey, o.ClientCA = filepath.Join(dir, hubCert), filepath.Join(dir, hubKey), filepath.Join(dir, caCert)
		}
	})
	if errors.Is(err, flag.ErrHelp) {
		return nil
	}
	if err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected argument %q (subcommands: pki)", fs.Arg(0))
	}
	log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: level}))
	opts.Log = log
	if dataDir != "" && !checkConfig {
		if err := os.MkdirAll(dataDir, 0o700); err != nil {
			return err
		}
	}
	if dev := filepath.Join(dataDir, "pki"); dataDir != "" && pkiDir == "" && !checkConfig &&
		opts.TLSCert == filepath.Join(dev, hubCert) && opts.TLSKey == filepath.Join(dev, hubKey) && opts.ClientCA == filepath.Join(dev, caCert) {
		if err := developmentPKI(dev, log); err != nil {
			return err
		}
	}
	if err := opts.Validate(); err != nil {
		if opts.TLSCert == "" && opts.ClientCA == "" {
			err = fmt.Errorf("%w\nnext step: `cloud-hub pki init --dir pki` and start with --pki-dir pki, or give --data-dir DIR for a development PKI generated in DIR/pki", err)
		}
		return err
	}
	if checkConfig {
		shown := opts
		if shown.Token != "" {
			shown.Token = strings.Repeat("*", 8)
		}
		if u, err := url.Parse(shown.Store.DSN); err == nil && u.User != nil {
			shown.Store.DSN = u.Redacted()
		}
		out, _ := yaml.Marshal(shown)
		fmt.Fprintf(stdout, "configuration OK\n%s", out)
		return nil
	}
	h, err := hub.New(opts)
	if err != nil {
		return err
	}
	return h.Run(ctx)
}
