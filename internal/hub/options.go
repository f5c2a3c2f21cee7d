package hub

import (
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"time"

	"github.com/michi-v2x/michi/internal/httpsrv"
	"github.com/michi-v2x/michi/internal/hub/store"
	"github.com/michi-v2x/michi/internal/tlsconf"
)

// Options configures a Hub. The zero value of every field means "the default".
type Options struct {
	UplinkAddr string `yaml:"uplink_addr"` // QUIC (UDP) address edges connect to, default "127.0.0.1:7443"
	HTTPAddr   string `yaml:"http_addr"`   // API, stream, /metrics, /healthz; default "127.0.0.1:9090"
	// HTTPTLSCert and HTTPTLSKey (PEM), when given, serve the API, stream and dashboard over
	// HTTPS (HTTP/2 too) on HTTPAddr: a certificate browsers trust, not the uplink's private PKI.
	HTTPTLSCert string `yaml:"http_tls_cert"`
	HTTPTLSKey  string `yaml:"http_tls_key"`
	// AllowPlaintext lets HTTPAddr serve plain HTTP (its bearer token and data in clear) beyond
	// loopback; without it, or HTTPS, that is refused.
	AllowPlaintext bool `yaml:"allow_plaintext"`

	// TLSCert/TLSKey are the hub's certificate for the uplink and ClientCA the CA whose
	// certificates edges present (mutual TLS; the edge id is the certificate's CommonName).
	// `cloud-hub pki init` writes all three. Required unless TLS is set.
	TLSCert  string `yaml:"tls_cert"`
	TLSKey   string `yaml:"tls_key"`
	ClientCA string `yaml:"client_ca"`
	// TLS, when set, is used instead of the files (tests, embedding).
	TLS *tls.Config `yaml:"-"`

	// Token is the bearer token for issuing authority hazards; empty disables that endpoint.
	Token string `yaml:"token"`

	Store store.Options `yaml:"store"` // the database; Store.DSN is --db

	Relay          *bool         `yaml:"relay"`           // relay edge hazards to neighbouring edges, default true
	ReconcileEvery time.Duration `yaml:"reconcile_every"` // authority hazard reconciliation period, default 30 s
	StreamBuffer   int           `yaml:"stream_buffer"`   // events buffered per SSE subscriber, default 256
	DrainTimeout   time.Duration `yaml:"drain_timeout"`   // graceful shutdown bound for HTTP, default 5 s
	// MaxStreams is the number of live stream (SSE) subscribers served at once, default 256;
	// beyond, 503 (michi_hub_stream_refused_total).
	MaxStreams int `yaml:"max_streams"`
	// HTTPTimeouts bound every HTTP request (httpsrv; the live stream keeps its own deadlines).
	HTTPTimeouts httpsrv.Timeouts `yaml:"http_timeouts"`

	Log *slog.Logger     `yaml:"-"`
	Now func() time.Time `yaml:"-"`
}

func (o *Options) setDefaults() {
	if o.UplinkAddr == "" {
		o.UplinkAddr = "127.0.0.1:7443"
	}
	if o.HTTPAddr == "" {
		o.HTTPAddr = "127.0.0.1:9090"
	}
	if o.Relay == nil {
		t := true
		o.Relay = &t
	}
	if o.ReconcileEvery == 0 {
		o.ReconcileEvery = 30 * time.Second
	}
	if o.StreamBuffer == 0 {
		o.StreamBuffer = 256
	}
	if o.DrainTimeout == 0 {
		o.DrainTimeout = 5 * time.Second
	}
	if o.MaxStreams == 0 {
		o.MaxStreams = 256
	}
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Store.Log == nil {
		o.Store.Log = o.Log
	}
	if o.Store.Now == nil {
		o.Store.Now = o.Now
	}
}

// Validate reports every problem with the options at once. It applies defaults first.
func (o *Options) Validate() error {
	o.setDefaults()
	var errs []error
	bad := func(format string, a ...any) { errs = append(errs, fmt.Errorf(format, a...)) }
	for name, addr := range map[string]string{"uplink_addr": o.UplinkAddr, "http_addr": o.HTTPAddr} {
		if _, _, err := net.SplitHostPort(addr); err != nil {
			bad("%s %q: want host:port: %v", name, addr, err)
		}
	}
	switch {
	case (o.HTTPTLSCert == "") != (o.HTTPTLSKey == ""):
		bad("http_tls_cert and http_tls_key: give both or neither")
	case o.HTTPTLSCert != "":
		if _, err := tls.LoadX509KeyPair(o.HTTPTLSCert, o.HTTPTLSKey); err != nil {
			bad("http_tls_cert: %v", err)
		}
	case !o.AllowPlaintext && !tlsconf.Loopback(o.HTTPAddr):
		bad("http_addr %s: plain HTTP beyond loopback (the API token would travel in clear); give http_tls_cert and http_tls_key, or set allow_plaintext (--allow-plaintext)", o.HTTPAddr)
	}
	if o.TLS == nil && (o.TLSCert == "" || o.TLSKey == "" || o.ClientCA == "") {
		bad("tls_cert, tls_key and client_ca are required for the edges' mutual TLS (create them with `cloud-hub pki init --dir DIR`)")
	}
	if o.Token != "" && len(o.Token) < 16 {
		bad("token: use at least 16 characters")
	}
	if o.ReconcileEvery < time.Second {
		bad("reconcile_every %s: want ≥ 1s", o.ReconcileEvery)
	}
	if o.StreamBuffer < 1 {
		bad("stream_buffer %d: want ≥ 1", o.StreamBuffer)
	}
	if o.DrainTimeout < 0 {
		bad("drain_timeout %s: must not be negative", o.DrainTimeout)
	}
	if o.MaxStreams < 1 {
		bad("max_streams %d: want ≥ 1", o.MaxStreams)
	}
	if err := o.HTTPTimeouts.Validate(); err != nil {
		bad("%w", err)
	}
	if err := o.Store.Validate(); err != nil {
		bad("store: %w", err)
	}
	return errors.Join(errs...)
}
