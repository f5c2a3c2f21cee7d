// Command cloud-hub runs michi's cloud hub: edge nodes connect over QUIC with mutual TLS and
// send hazard events, traffic aggregates and health, which the hub stores exactly once (SQLite
// by default, PostgreSQL with --db postgres://…) and serves over HTTP (JSON, GeoJSON, CSV, a
// live event stream, /metrics); authority hazards posted to its API go down to the edges.
//
//	cloud-hub pki init --dir pki                 CA, hub certificate
//	cloud-hub pki issue-edge --dir pki edge-1    an edge's client certificate (CN = edge id)
//	cloud-hub --pki-dir pki --token "$TOKEN"     serve
package main

import (
	"bytes"
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
		return runPKI(args[1:], stdout)
	}
	fs := flag.NewFlagSet("cloud-hub", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var (
		configFile  = fs.String("config", "", "YAML config file; flags given on the command line override it")
		checkConfig = fs.Bool("check-config", false, "validate the configuration, print it (token redacted) and exit")
		logLevel    = fs.String("log-level", "info", "debug, info, warn or error")
		pkiDir      = fs.String("pki-dir", "", "directory written by `cloud-hub pki init`: sets --tls-cert, --tls-key and --client-ca")
		f           hub.Options
	)
	fs.StringVar(&f.UplinkAddr, "uplink-addr", "", `QUIC (UDP) address edges connect to (default "127.0.0.1:7443")`)
	fs.StringVar(&f.HTTPAddr, "http-addr", "", `HTTP API, stream, /metrics and /healthz address (default "127.0.0.1:9090")`)
	fs.StringVar(&f.HTTPTLSCert, "http-tls-cert", "", "PEM certificate to serve the API and dashboard over HTTPS (with --http-tls-key)")
	fs.StringVar(&f.HTTPTLSKey, "http-tls-key", "", "PEM private key for --http-tls-cert")
	fs.BoolVar(&f.AllowPlaintext, "allow-plaintext", false, "let the plain-HTTP API listen beyond loopback (its token travels in clear: prefer a TLS proxy)")
	fs.StringVar(&f.Store.DSN, "db", "", `SQLite file, or postgres://user:pass@host/db for PostgreSQL (default "./michi-hub.db")`)
	fs.StringVar(&f.TLSCert, "tls-cert", "", "PEM certificate of the hub (uplink)")
	fs.StringVar(&f.TLSKey, "tls-key", "", "PEM private key for --tls-cert")
	fs.StringVar(&f.ClientCA, "client-ca", "", "PEM CA that signs the edges' client certificates")
	fs.StringVar(&f.Token, "token", "", "bearer token for POST/DELETE /api/v1/hazards (default $"+EnvToken+"; none disables them)")
	fs.IntVar(&f.MaxStreams, "max-streams", 0, "live stream (SSE) subscribers served at once; beyond, 503 (default 256)")
	fs.Usage = func() {
		fmt.Fprintf(stderr, "usage: cloud-hub [flags]\n       cloud-hub pki init --dir DIR [--hosts h1,h2]\n       cloud-hub pki issue-edge --dir DIR NAME\n\nflags:\n")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected argument %q (subcommands: pki)", fs.Arg(0))
	}

	var opts hub.Options
	if *configFile != "" {
		b, err := os.ReadFile(*configFile)
		if err != nil {
			return err
		}
		dec := yaml.NewDecoder(bytes.NewReader(b))
		dec.KnownFields(true)
		if err := dec.Decode(&opts); err != nil && !errors.Is(err, io.EOF) {
			return fmt.Errorf("config %s: %w", *configFile, err)
		}
	}
	if opts.Token == "" {
		opts.Token = os.Getenv(EnvToken)
	}
	if *pkiDir != "" {
		opts.TLSCert, opts.TLSKey, opts.ClientCA = filepath.Join(*pkiDir, hubCert), filepath.Join(*pkiDir, hubKey), filepath.Join(*pkiDir, caCert)
	}
	fs.Visit(func(fl *flag.Flag) { // flags given explicitly win over the file, the environment and --pki-dir
		switch fl.Name {
		case "uplink-addr":
			opts.UplinkAddr = f.UplinkAddr
		case "http-addr":
			opts.HTTPAddr = f.HTTPAddr
		case "allow-plaintext":
			opts.AllowPlaintext = f.AllowPlaintext
		case "http-tls-cert":
			opts.HTTPTLSCert = f.HTTPTLSCert
		case "http-tls-key":
			opts.HTTPTLSKey = f.HTTPTLSKey
		case "db":
			opts.Store.DSN = f.Store.DSN
		case "tls-cert":
			opts.TLSCert = f.TLSCert
		case "tls-key":
			opts.TLSKey = f.TLSKey
		case "client-ca":
			opts.ClientCA = f.ClientCA
		case "token":
			opts.Token = f.Token
		case "max-streams":
			opts.MaxStreams = f.MaxStreams
		}
	})

	var level slog.Level
	if err := level.UnmarshalText([]byte(*logLevel)); err != nil {
		return fmt.Errorf("--log-level: %w", err)
	}
	log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: level}))
	opts.Log = log

	if err := opts.Validate(); err != nil {
		return err
	}
	if *checkConfig {
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
