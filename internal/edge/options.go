package edge

import (
	"errors"
	"fmt"
	"hash/fnv"
	"log/slog"
	"net"
	"strings"
	"time"

	"github.com/michi-v2x/michi/internal/auth"
	"github.com/michi-v2x/michi/internal/detect"
	"github.com/michi-v2x/michi/internal/hazard"
	"github.com/michi-v2x/michi/internal/ldm"
	"github.com/michi-v2x/michi/internal/native"
	"github.com/michi-v2x/michi/internal/road"
	"github.com/michi-v2x/michi/internal/tlsconf"
	"github.com/michi-v2x/michi/internal/uplink"
)

// Options configures a Node. The zero value of every field means "the default"; see setDefaults.
type Options struct {
	EdgeID     string `yaml:"edge_id"`     // operator-facing name, default "edge-1"
	SourceUUID string `yaml:"source_uuid"` // source_uuid / topic source id of the DENMs it originates; default "michi_" + EdgeID
	StationID  uint32 `yaml:"station_id"`  // ETSI station id of the edge (originating_station_id); default FNV-32 of EdgeID
	Root       string `yaml:"root"`        // topic root, default "michi"

	MQTTAddr string `yaml:"mqtt_addr"` // MQTT over TCP, default "127.0.0.1:1883"; "off" disables
	WSAddr   string `yaml:"ws_addr"`   // MQTT over WebSocket (path /mqtt or /), default "127.0.0.1:8083"; "off" disables
	HTTPAddr string `yaml:"http_addr"` // API, /metrics, /healthz, default "127.0.0.1:8080"; "off" disables
	HTTPTLS  bool   `yaml:"http_tls"`  // serve HTTPAddr over HTTPS with the TLS listeners' certificate
	Pprof    bool   `yaml:"pprof"`     // also serve Go's profiler at /debug/pprof/ on HTTPAddr (keep that address private)
	// AllowPlaintext lets MQTTAddr, WSAddr and HTTPAddr, which have no TLS, listen on addresses
	// other than loopback. Without it such a configuration is refused: TLS on every external
	// listener (MQTTTLSAddr, WSSAddr, MQTTQUICAddr, QUICAddr), plaintext only when asked for.
	AllowPlaintext bool `yaml:"allow_plaintext"`

	MQTTTLSAddr  string `yaml:"mqtt_tls_addr"`  // MQTT over TLS (mqtts), default "off"
	WSSAddr      string `yaml:"wss_addr"`       // MQTT over WebSocket over TLS (wss, path /mqtt or /), default "off"
	MQTTQUICAddr string `yaml:"mqtt_quic_addr"` // MQTT over QUIC, ALPN "mqtt", one stream per connection, default "127.0.0.1:14567"; "off" disables
	QUICAddr     string `yaml:"quic_addr"`      // native michi-v2x/1 protocol (UDP), default "127.0.0.1:4433"; "off" disables
	TLSCert      string `yaml:"tls_cert"`       // PEM certificate for the TLS and QUIC listeners; with TLSKey
	TLSKey       string `yaml:"tls_key"`        // PEM key; both empty = a generated development certificate (fingerprint logged and served)
	DataDir      string `yaml:"data_dir"`       // state directory (created if missing), default "" = nothing persisted; the uplink queue lives in DataDir/uplink
	// Credentials is a credentials file (internal/auth): who may connect, as which source and
	// role. Empty = every client is admitted and may publish anything valid (logged at start).
	Credentials string `yaml:"credentials"`
	// SigningKey is a PEM PKCS#8 Ed25519 private key every alert is signed with. Empty: the key
	// in DataDir/signing.key (generated there on the first start), or without DataDir a key for
	// this run only. Its public key is logged and served at /api/v1/keys.
	SigningKey string `yaml:"signing_key"`

	// The uplink to the cloud hub (QUIC, mutual TLS; docs/uplink-protocol.md). Off while HubAddr
	// is empty; with it, DataDir, HubCA, EdgeCert and EdgeKey are required. The hub knows the edge
	// by EdgeCert's CommonName (`cloud-hub pki issue-edge NAME`), which should equal EdgeID.
	HubAddr  string `yaml:"hub_addr"`  // the hub's uplink address, host:port (UDP)
	HubCA    string `yaml:"hub_ca"`    // PEM CA the hub's certificate chains to (the PKI's ca.crt)
	EdgeCert string `yaml:"edge_cert"` // PEM client certificate of this edge
	EdgeKey  string `yaml:"edge_key"`  // its PEM private key
	// Coverage is the area this edge serves, "minLon,minLat,maxLon,maxLat"; the hub sends it the
	// authority hazards and neighbours' hazards that touch it. Empty = grown from where the LDM
	// has seen vehicles (widened by Uplink.CoverageMarginM).
	Coverage string        `yaml:"coverage"`
	Uplink   UplinkOptions `yaml:"uplink"`

	MaxPayload       int           `yaml:"max_payload"`       // bytes, default 16 KiB; larger publishes are rejected
	MaxClockSkew     time.Duration `yaml:"max_clock_skew"`    // |message timestamp - now| bound, default 10 s
	BindSource       *bool         `yaml:"bind_source"`       // a connection may publish as one source_uuid only, default true
	ForwardTelemetry *bool         `yaml:"forward_telemetry"` // republish validated CAM/CPM on outQueue, default true
	DetectInterval   time.Duration `yaml:"detect_interval"`   // period of the detection round, default 200 ms
	ClientQueue      int           `yaml:"client_queue"`      // per-client outbound queue: messages, and KiB of alerts on the lane (internal/broker); default 256
	SlowClientDrops  int           `yaml:"slow_client_drops"` // consecutive drops before a client is evicted, default 64
	RejectLogEvery   time.Duration `yaml:"reject_log_every"`  // at most one reject log line per client per interval, default 10 s
	DisseminateZoom  int           `yaml:"disseminate_zoom"`  // zoom of the outQueue DENM tiles, default 16
	TerminatedExpiry time.Duration `yaml:"terminated_expiry"` // how long a termination DENM stays retained, default 60 s
	// ResumeGrace: after a restart, a hazard the last run published is carried on under its
	// action id when a detector sees it again within this time, and terminated otherwise
	// (restart.go); default 30 s. Needs DataDir.
	ResumeGrace time.Duration `yaml:"resume_grace"`

	// Limits bound what one client may take: idle time, sessions, subscriptions, publish rate,
	// HTTP timeouts, WebSocket origins (limits.go).
	Limits LimitOptions `yaml:"limits"`

	Native  native.Options   `yaml:"native"` // native QUIC server tuning (queue length, timeouts); its Addr is QUICAddr
	LDM     ldm.Options      `yaml:"ldm"`
	Hazards hazard.Options   `yaml:"hazards"`
	Detect  detect.Options   `yaml:"detect"`
	Road    road.Options     `yaml:"road"` // the road model the detectors lean on; kept in DataDir/road-model
	Log     *slog.Logger     `yaml:"-"`
	Now     func() time.Time `yaml:"-"` // clock, default time.Now (tests may replace it)
}

// Off disables a listener when given as its address.
const Off = "off"

func (o *Options) setDefaults() {
	if o.EdgeID == "" {
		o.EdgeID = "edge-1"
	}
	if o.SourceUUID == "" {
		o.SourceUUID = "michi_" + o.EdgeID
	}
	if o.StationID == 0 {
		h := fnv.New32a()
		h.Write([]byte(o.EdgeID))
		o.StationID = h.Sum32()
	}
	if o.Root == "" {
		o.Root = "michi"
	}
	if o.MQTTAddr == "" {
		o.MQTTAddr = "127.0.0.1:1883"
	}
	if o.WSAddr == "" {
		o.WSAddr = "127.0.0.1:8083"
	}
	if o.HTTPAddr == "" {
		o.HTTPAddr = "127.0.0.1:8080"
	}
	if o.MQTTTLSAddr == "" {
		o.MQTTTLSAddr = Off
	}
	if o.WSSAddr == "" {
		o.WSSAddr = Off
	}
	if o.MQTTQUICAddr == "" {
		o.MQTTQUICAddr = "127.0.0.1:14567"
	}
	if o.QUICAddr == "" {
		o.QUICAddr = "127.0.0.1:4433"
	}
	if o.MaxPayload == 0 {
		o.MaxPayload = 16 << 10
	}
	if o.MaxClockSkew == 0 {
		o.MaxClockSkew = 10 * time.Second
	}
	if o.BindSource == nil {
		o.BindSource = ptr(true)
	}
	if o.ForwardTelemetry == nil {
		o.ForwardTelemetry = ptr(true)
	}
	if o.DetectInterval == 0 {
		o.DetectInterval = 200 * time.Millisecond
	}
	if o.ClientQueue == 0 {
		o.ClientQueue = 256
	}
	if o.SlowClientDrops == 0 {
		o.SlowClientDrops = 64
	}
	if o.RejectLogEvery == 0 {
		o.RejectLogEvery = 10 * time.Second
	}
	if o.DisseminateZoom == 0 {
		o.DisseminateZoom = 16
	}
	if o.TerminatedExpiry == 0 {
		o.TerminatedExpiry = time.Minute
	}
	if o.ResumeGrace == 0 {
		o.ResumeGrace = 30 * time.Second
	}
	o.Uplink.setDefaults()
	o.Limits.setDefaults()
	if o.Hazards.StationID == 0 {
		o.Hazards.StationID = o.StationID
	}
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	if o.Now == nil {
		o.Now = time.Now
	}
}

// Validate reports every problem with the options at once. It applies defaults first.
func (o *Options) Validate() error {
	o.setDefaults()
	var errs []error
	bad := func(format string, a ...any) { errs = append(errs, fmt.Errorf(format, a...)) }
	for name, v := range map[string]string{"edge_id": o.EdgeID, "source_uuid": o.SourceUUID, "root": o.Root} {
		if strings.ContainsAny(v, "+#\x00") || strings.TrimSpace(v) != v {
			bad("%s %q: must not contain MQTT wildcards, NUL or surrounding spaces", name, v)
		}
	}
	if strings.Contains(o.SourceUUID, "/") || strings.Contains(o.EdgeID, "/") {
		bad("source_uuid and edge_id must be a single topic level (no '/')")
	}
	if strings.HasPrefix(o.Root, "/") || strings.HasSuffix(o.Root, "/") || strings.HasPrefix(o.Root, "$") {
		bad("root %q: must not start or end with '/' or start with '$'", o.Root)
	}
	if o.MaxPayload < 512 || o.MaxPayload > 1<<20 {
		bad("max_payload %d: want 512 B … 1 MiB", o.MaxPayload)
	}
	if o.MaxClockSkew < 0 {
		bad("max_clock_skew %s: must be positive", o.MaxClockSkew)
	}
	if o.DetectInterval < 10*time.Millisecond {
		bad("detect_interval %s: want ≥ 10ms", o.DetectInterval)
	}
	if o.ClientQueue < 8 {
		bad("client_queue %d: want ≥ 8", o.ClientQueue)
	}
	if o.SlowClientDrops < 1 {
		bad("slow_client_drops %d: want ≥ 1", o.SlowClientDrops)
	}
	if o.DisseminateZoom < 1 || o.DisseminateZoom > 18 {
		bad("disseminate_zoom %d: want 1 … 18", o.DisseminateZoom)
	}
	if o.MQTTAddr == Off && o.WSAddr == Off && o.MQTTTLSAddr == Off && o.WSSAddr == Off && o.MQTTQUICAddr == Off && o.QUICAddr == Off {
		bad("every listener is off: vehicles could not connect")
	}
	if !o.AllowPlaintext {
		for _, l := range []struct {
			name, addr string
			tls        bool
		}{{"mqtt_addr", o.MQTTAddr, false}, {"ws_addr", o.WSAddr, false}, {"http_addr", o.HTTPAddr, o.HTTPTLS}} {
			if l.addr != Off && !l.tls && !tlsconf.Loopback(l.addr) {
				bad("%s %s: plaintext beyond loopback; vehicles outside this machine belong on mqtt_tls_addr, wss_addr, mqtt_quic_addr or quic_addr (TLS). Set allow_plaintext (--allow-plaintext) to serve it anyway", l.name, l.addr)
			}
		}
	}
	if o.Credentials != "" {
		if _, err := auth.Load(o.Credentials); err != nil {
			bad("%w", err)
		}
	}
	if (o.TLSCert == "") != (o.TLSKey == "") {
		bad("tls_cert and tls_key: give both or neither (neither = generated development certificate)")
	}
	if o.Coverage != "" {
		if _, _, err := parseBBox(o.Coverage); err != nil {
			bad("coverage: %w", err)
		}
	}
	if o.HubAddr != "" {
		if _, _, err := net.SplitHostPort(o.HubAddr); err != nil {
			bad("hub_addr %q: want host:port: %v", o.HubAddr, err)
		}
		if o.DataDir == "" {
			bad("data_dir is required with hub_addr: the uplink queue keeps records there until the hub has them")
		}
		if o.HubCA == "" || o.EdgeCert == "" || o.EdgeKey == "" {
			bad("hub_ca, edge_cert and edge_key are required with hub_addr (mutual TLS; `cloud-hub pki issue-edge %s` writes the edge's pair)", o.EdgeID)
		}
	}
	if err := o.Uplink.validate(); err != nil {
		bad("uplink: %w", err)
	}
	if err := o.Limits.validate(); err != nil {
		bad("limits: %w", err)
	}
	for name, err := range map[string]error{"ldm": o.LDM.Validate(), "hazards": o.Hazards.Validate(), "detect": o.Detect.Validate(), "road": o.Road.Validate()} {
		if err != nil {
			bad("%s: %w", name, err)
		}
	}
	return errors.Join(errs...)
}

func ptr[T any](v T) *T { return &v }

// UplinkOptions tunes the uplink to the hub. The zero value of every field means its default.
type UplinkOptions struct {
	HealthEvery     time.Duration `yaml:"health_every"`      // period of the edge health record, default 10 s
	TrafficSample   time.Duration `yaml:"traffic_sample"`    // how often the LDM is sampled for traffic aggregates, default 1 s
	CoverageMarginM float64       `yaml:"coverage_margin_m"` // a grown coverage reaches this far beyond the vehicles seen, default 300 m
	Backlog         int           `yaml:"backlog"`           // records waiting in memory for the disk queue, default 65536; beyond, records are lost and counted
	QueueMaxBytes   int64         `yaml:"queue_max_bytes"`   // the disk queue's soft limit, default 256 MiB (see uplink.QueueOptions)
	QueueMaxRecords int           `yaml:"queue_max_records"` // its soft limit in records, default 1,048,576
	BackoffMin      time.Duration `yaml:"backoff_min"`       // first reconnect delay, default 250 ms
	BackoffMax      time.Duration `yaml:"backoff_max"`       // reconnect delays double up to this, default 30 s

	// The disk queue's fsync policy: records are fsynced within QueueSyncInterval (default
	// 50 ms) or once QueueSyncEvery (default 256) wait. A power failure loses at most the records
	// of that window; the hub never has them, so it never acknowledged them (see uplink.Queue).
	QueueSyncInterval time.Duration `yaml:"queue_sync_interval"`
	QueueSyncEvery    int           `yaml:"queue_sync_every"`
}

func (o *UplinkOptions) setDefaults() {
	if o.HealthEvery == 0 {
		o.HealthEvery = 10 * time.Second
	}
	if o.TrafficSample == 0 {
		o.TrafficSample = time.Second
	}
	if o.CoverageMarginM == 0 {
		o.CoverageMarginM = 300
	}
	if o.Backlog == 0 {
		o.Backlog = 1 << 16
	}
	if o.QueueMaxBytes == 0 {
		o.QueueMaxBytes = uplink.DefaultQueueMaxBytes
	}
	if o.QueueMaxRecords == 0 {
		o.QueueMaxRecords = uplink.DefaultQueueMaxRecords
	}
	if o.BackoffMin == 0 {
		o.BackoffMin = uplink.DefaultBackoffMin
	}
	if o.BackoffMax == 0 {
		o.BackoffMax = uplink.DefaultBackoffMax
	}
	if o.QueueSyncInterval == 0 {
		o.QueueSyncInterval = uplink.DefaultSyncInterval
	}
	if o.QueueSyncEvery == 0 {
		o.QueueSyncEvery = uplink.DefaultSyncEvery
	}
}

func (o *UplinkOptions) validate() error {
	var errs []error
	if o.HealthEvery < 100*time.Millisecond || o.TrafficSample < 10*time.Millisecond || o.TrafficSample > 30*time.Second {
		errs = append(errs, fmt.Errorf("want health_every ≥ 100ms (got %s) and traffic_sample 10ms … 30s (got %s)", o.HealthEvery, o.TrafficSample))
	}
	if o.CoverageMarginM < 0 || o.Backlog < 1 || o.QueueMaxBytes < 64<<10 || o.QueueMaxRecords < 16 || o.BackoffMin < 0 || o.BackoffMax < o.BackoffMin {
		errs = append(errs, errors.New("want coverage_margin_m ≥ 0, backlog ≥ 1, queue_max_bytes ≥ 64 KiB, queue_max_records ≥ 16, 0 ≤ backoff_min ≤ backoff_max"))
	}
	if o.QueueSyncInterval < time.Millisecond || o.QueueSyncInterval > time.Minute || o.QueueSyncEvery < 1 {
		errs = append(errs, fmt.Errorf("want queue_sync_interval 1ms … 1m (got %s) and queue_sync_every ≥ 1 (got %d)", o.QueueSyncInterval, o.QueueSyncEvery))
	}
	return errors.Join(errs...)
}
