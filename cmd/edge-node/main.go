// Command edge-node runs a michi roadside edge node: an embedded MQTT broker (TCP, WebSocket)
// that takes in CAM, DENM and CPM, keeps a Local Dynamic Map, detects hazards and publishes them
// to exactly the outQueue tiles their relevance area touches. With --hub it reports to a cloud
// hub and disseminates the authority hazards the hub sends down.
package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"gopkg.in/yaml.v3"

	"github.com/michi-v2x/michi/internal/auth"
	"github.com/michi-v2x/michi/internal/demo"
	"github.com/michi-v2x/michi/internal/edge"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "edge-node:", err)
		os.Exit(1)
	}
}

func run() error {
	if len(os.Args) > 1 && os.Args[1] == "credentials" {
		return credentials(os.Args[2:], os.Stdout)
	}
	fs := flag.NewFlagSet("edge-node", flag.ContinueOnError)
	var (
		configFile  = fs.String("config", "", "YAML config file; flags given on the command line override it")
		checkConfig = fs.Bool("check-config", false, "validate the configuration, print it and exit")
		logLevel    = fs.String("log-level", "info", "debug, info, warn or error")
		demoMode    = fs.Bool("demo", false, "also drive built-in simulated vehicles (real MQTT clients) and print the alerts they get")
		flagOpts    edge.Options
	)
	fs.StringVar(&flagOpts.MQTTAddr, "mqtt-addr", "", `MQTT over TCP listen address (default "127.0.0.1:1883"; "off" disables)`)
	fs.StringVar(&flagOpts.WSAddr, "ws-addr", "", `MQTT over WebSocket listen address (default "127.0.0.1:8083"; "off" disables)`)
	fs.StringVar(&flagOpts.HTTPAddr, "http-addr", "", `HTTP API, /metrics and /healthz address (default "127.0.0.1:8080"; "off" disables)`)
	fs.BoolVar(&flagOpts.HTTPTLS, "http-tls", false, "serve the HTTP address over HTTPS with the TLS listeners' certificate")
	fs.BoolVar(&flagOpts.AllowPlaintext, "allow-plaintext", false, "let the plaintext listeners (MQTT TCP, WebSocket, HTTP) listen beyond loopback")
	fs.BoolVar(&flagOpts.Pprof, "pprof", false, "serve Go's profiler at /debug/pprof/ on the HTTP address (keep it private)")
	fs.StringVar(&flagOpts.MQTTTLSAddr, "mqtt-tls-addr", "", `MQTT over TLS listen address (default "off")`)
	fs.StringVar(&flagOpts.WSSAddr, "wss-addr", "", `MQTT over WebSocket over TLS (wss) listen address (default "off")`)
	fs.StringVar(&flagOpts.MQTTQUICAddr, "mqtt-quic-addr", "", `MQTT over QUIC (ALPN mqtt, single stream) UDP address (default "127.0.0.1:14567"; "off" disables)`)
	fs.StringVar(&flagOpts.QUICAddr, "quic-addr", "", `native michi-v2x/1 QUIC UDP address (default "127.0.0.1:4433"; "off" disables)`)
	fs.StringVar(&flagOpts.TLSCert, "tls-cert", "", "PEM certificate for the TLS and QUIC listeners (default: a generated development certificate)")
	fs.StringVar(&flagOpts.TLSKey, "tls-key", "", "PEM private key for --tls-cert")
	fs.StringVar(&flagOpts.Root, "root", "", `topic root (default "michi")`)
	fs.StringVar(&flagOpts.EdgeID, "edge-id", "", `edge name (default "edge-1")`)
	fs.StringVar(&flagOpts.SourceUUID, "source-uuid", "", `source_uuid of the DENMs the edge originates (default "michi_" + edge id)`)
	stationID := fs.Uint("station-id", 0, "ETSI station id of the edge (default: derived from the edge id)")
	fs.StringVar(&flagOpts.Credentials, "credentials", "", "credentials file: who may connect, as which source and role (default: everyone; `edge-node credentials add` writes one; SIGHUP reloads it)")
	fs.StringVar(&flagOpts.SigningKey, "signing-key", "", "PEM PKCS#8 Ed25519 key alerts are signed with (default: DIR/signing.key of --data-dir, generated there once; else a key for this run)")
	fs.StringVar(&flagOpts.DataDir, "data-dir", "", "state directory (default: none; required with --hub: the uplink queue lives in DIR/uplink)")
	fs.StringVar(&flagOpts.HubAddr, "hub", "", "cloud hub uplink address host:port (QUIC, mutual TLS; default: no uplink)")
	fs.StringVar(&flagOpts.HubCA, "hub-ca", "", "PEM CA the hub's certificate chains to (ca.crt of `cloud-hub pki init`)")
	fs.StringVar(&flagOpts.EdgeCert, "edge-cert", "", "PEM client certificate of this edge (`cloud-hub pki issue-edge EDGE-ID`)")
	fs.StringVar(&flagOpts.EdgeKey, "edge-key", "", "PEM private key for --edge-cert")
	fs.StringVar(&flagOpts.Coverage, "coverage", "", "area this edge serves, minLon,minLat,maxLon,maxLat (default: grown from the vehicles seen)")
	fs.StringVar(&flagOpts.Road.Map, "road-map", "", "seed the road model the detectors lean on from a road network: SUMO .net.xml or GeoJSON (default: learned from traffic only)")
	roadOrigin := fs.String("road-map-origin", "", "lat,lon where network (0,0) of a --road-map SUMO net without geo-projection lies")
	wsOrigins := fs.String("ws-origins", "", "browser origins allowed on the WebSocket listeners besides their own host, comma-separated host or scheme://host patterns (default: none)")
	if err := fs.Parse(os.Args[1:]); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return err
	}

	var opts edge.Options
	if *configFile != "" {
		b, err := os.ReadFile(*configFile)
		if err != nil {
			return err
		}
		dec := yaml.NewDecoder(bytes.NewReader(b))
		dec.KnownFields(true)
		if err := dec.Decode(&opts); err != nil {
			return fmt.Errorf("config %s: %w", *configFile, err)
		}
	}
	var badOrigin error
	fs.Visit(func(f *flag.Flag) { // flags given explicitly win over the file
		switch f.Name {
		case "mqtt-addr":
			opts.MQTTAddr = flagOpts.MQTTAddr
		case "ws-addr":
			opts.WSAddr = flagOpts.WSAddr
		case "http-addr":
			opts.HTTPAddr = flagOpts.HTTPAddr
		case "pprof":
			opts.Pprof = flagOpts.Pprof
		case "allow-plaintext":
			opts.AllowPlaintext = flagOpts.AllowPlaintext
		case "http-tls":
			opts.HTTPTLS = flagOpts.HTTPTLS
		case "mqtt-tls-addr":
			opts.MQTTTLSAddr = flagOpts.MQTTTLSAddr
		case "wss-addr":
			opts.WSSAddr = flagOpts.WSSAddr
		case "mqtt-quic-addr":
			opts.MQTTQUICAddr = flagOpts.MQTTQUICAddr
		case "quic-addr":
			opts.QUICAddr = flagOpts.QUICAddr
		case "tls-cert":
			opts.TLSCert = flagOpts.TLSCert
		case "tls-key":
			opts.TLSKey = flagOpts.TLSKey
		case "root":
			opts.Root = flagOpts.Root
		case "edge-id":
			opts.EdgeID = flagOpts.EdgeID
		case "source-uuid":
			opts.SourceUUID = flagOpts.SourceUUID
		case "station-id":
			opts.StationID = uint32(*stationID)
		case "credentials":
			opts.Credentials = flagOpts.Credentials
		case "signing-key":
			opts.SigningKey = flagOpts.SigningKey
		case "data-dir":
			opts.DataDir = flagOpts.DataDir
		case "road-map":
			opts.Road.Map = flagOpts.Road.Map
		case "road-map-origin":
			if _, err := fmt.Sscanf(*roadOrigin, "%g,%g", &opts.Road.MapOrigin.Lat, &opts.Road.MapOrigin.Lon); err != nil {
				badOrigin = fmt.Errorf("--road-map-origin %q: want lat,lon", *roadOrigin)
			}
		case "hub":
			opts.HubAddr = flagOpts.HubAddr
		case "hub-ca":
			opts.HubCA = flagOpts.HubCA
		case "edge-cert":
			opts.EdgeCert = flagOpts.EdgeCert
		case "edge-key":
			opts.EdgeKey = flagOpts.EdgeKey
		case "coverage":
			opts.Coverage = flagOpts.Coverage
		case "ws-origins":
			opts.Limits.WSOrigins = strings.FieldsFunc(*wsOrigins, func(r rune) bool { return r == ',' || r == ' ' })
		}
	})
	if badOrigin != nil {
		return badOrigin
	}

	var level slog.Level
	if err := level.UnmarshalText([]byte(*logLevel)); err != nil {
		return fmt.Errorf("--log-level: %w", err)
	}
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: level}))
	opts.Log = log

	if err := opts.Validate(); err != nil {
		return err
	}
	if *checkConfig {
		out, _ := yaml.Marshal(opts)
		fmt.Printf("configuration OK\n%s", out)
		return nil
	}
	node, err := edge.New(opts)
	if err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	go reloadOnHangup(ctx, node, log)
	if *demoMode {
		return demo.Run(ctx, node, os.Stdout, demo.Timeline{})
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

// credentials is `edge-node credentials add`: it draws a token for a source and role, appends the
// token's hash to the credentials file (created if missing) and prints the token, which is not
// kept anywhere else.
func credentials(args []string, out io.Writer) error {
	if len(args) == 0 || args[0] != "add" {
		return errors.New("usage: edge-node credentials add --file FILE --source SOURCE_UUID|'*' --role vehicle|sensor|authority [--stations 1001,5000-5999]")
	}
	fs := flag.NewFlagSet("edge-node credentials add", flag.ContinueOnError)
	file := fs.String("file", "", "credentials file to append to (created if missing)")
	source := fs.String("source", "", `source_uuid the token speaks for; "*" for any (a fleet token)`)
	role := fs.String("role", "vehicle", "vehicle, sensor or authority")
	stations := fs.String("stations", "", "station ids the token may use, e.g. 1001 or 5000-5999,7001 (default: any, each connection pinned to the first it uses)")
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	if *file == "" || *source == "" {
		return errors.New("credentials add: --file and --source are required")
	}
	var ids auth.Stations
	if *stations != "" {
		var err error
		if ids, err = auth.ParseStations(*stations); err != nil {
			return fmt.Errorf("credentials add: %w", err)
		}
	}
	old, err := os.ReadFile(*file)
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return err
	}
	if len(bytes.TrimSpace(old)) == 0 {
		old = []byte("# michi edge credentials (edge-node --credentials); tokens are kept as SHA-256 only\ncredentials:\n")
	} else if old[len(old)-1] != '\n' {
		old = append(old, '\n')
	}
	token := auth.NewToken()
	next := append(old, auth.Entry(*source, auth.Role(*role), token, ids...)...)
	if _, err := auth.Parse(next); err != nil { // checks the role, the source and the file as it was
		return fmt.Errorf("credentials add: %w", err)
	}
	if err := os.WriteFile(*file, next, 0o600); err != nil {
		return err
	}
	fmt.Fprintln(out, token)
	return nil
}
