package main

import (
	"flag"

	"github.com/michi-v2x/michi/internal/hub"
)

// bindFlags binds every cloud-hub flag that sets a field of o: the one list of them. Each
// defaults to the zero value, which hub.Options reads as the default the usage names; cli.Load
// applies them over the --config file.
func bindFlags(fs *flag.FlagSet, o *hub.Options) {
	fs.StringVar(&o.UplinkAddr, "uplink-addr", "", `QUIC (UDP) address edges connect to (default "127.0.0.1:7443")`)
	fs.StringVar(&o.HTTPAddr, "http-addr", "", `HTTP API, stream, /metrics and /healthz address (default "127.0.0.1:9090")`)
	fs.StringVar(&o.HTTPTLSCert, "http-tls-cert", "", "PEM certificate to serve the API and dashboard over HTTPS (with --http-tls-key)")
	fs.StringVar(&o.HTTPTLSKey, "http-tls-key", "", "PEM private key for --http-tls-cert")
	fs.BoolVar(&o.AllowPlaintext, "allow-plaintext", false, "let the plain-HTTP API listen beyond loopback (its token travels in clear: prefer a TLS proxy)")
	fs.StringVar(&o.Store.DSN, "db", "", `SQLite file, or postgres://user:pass@host/db for PostgreSQL (default "./michi-hub.db", with --data-dir DIR/michi-hub.db)`)
	fs.StringVar(&o.TLSCert, "tls-cert", "", "PEM certificate of the hub (uplink)")
	fs.StringVar(&o.TLSKey, "tls-key", "", "PEM private key for --tls-cert")
	fs.StringVar(&o.ClientCA, "client-ca", "", "PEM CA that signs the edges' client certificates")
	fs.StringVar(&o.Token, "token", "", "bearer token for POST/DELETE /api/v1/hazards (default $"+EnvToken+"; none disables them)")
	fs.IntVar(&o.MaxStreams, "max-streams", 0, "live stream (SSE) subscribers served at once; beyond, 503 (default 256)")
}
