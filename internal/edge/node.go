package edge

import (
	"context"
	"crypto/ed25519"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	mqtt "github.com/mochi-mqtt/server/v2"
	"github.com/mochi-mqtt/server/v2/listeners"
	"github.com/mochi-mqtt/server/v2/packets"

	"github.com/michi-v2x/michi/internal/auth"
	"github.com/michi-v2x/michi/internal/detect"
	"github.com/michi-v2x/michi/internal/hazard"
	"github.com/michi-v2x/michi/internal/ldm"
	"github.com/michi-v2x/michi/internal/native"
	"github.com/michi-v2x/michi/internal/road"
	"github.com/michi-v2x/michi/internal/tlsconf"
	"github.com/michi-v2x/michi/pkg/quicconn"
	"github.com/michi-v2x/michi/pkg/v2x"
	nativewire "github.com/michi-v2x/michi/pkg/v2x/native"
)

// Node is one edge node. New builds it without I/O; Run binds the listeners, serves until the
// context ends, then drains and returns.
type Node struct {
	opts Options
	log  *slog.Logger

	ldm             *ldm.Map
	hazards         *hazard.Manager
	reports         *detect.Reports
	reportDetectors []detect.Detector   // over n.reports and n.authorities; run under reportMu
	authorities     *detect.Authorities // hazards the hub sent down (authority's and relayed)
	detectors       []detect.Detector   // over the LDM; run by the detection loop only
	road            *road.Model         // what ordinary traffic does where; learned by the detection loop
	metrics         *metrics
	inPrefix        string // {root}/inQueue/v2x/
	outPrefix       string // {root}/outQueue/

	broker *mqtt.Server
	pub    *mqtt.Client // inline MQTT v5 client the edge publishes hazards with
	hook   *hook
	subs   *subIndex // the subscriptions hazards can reach, mirrored from the broker's hooks

	signer     *v2x.Signer                // signs every alert; set by run before any listener
	creds      atomic.Pointer[auth.Store] // nil: every client admitted
	refusedLog atomic.Int64               // when a refusal was last logged (Unix ns): one line per RejectLogEvery

	quotas   *quotas      // what each credential holds: sessions, publish rate (limits.go)
	stations *stationBook // who speaks for each station id (stations.go)
	limitLog atomic.Int64 // when a refusal at a limit was last logged (Unix ns)

	fanning atomic.Int32 // hazard fan-outs in progress; the detection round gives way to them
	native  *native.Server
	lns     []net.Listener // the broker's listeners, closed first at shutdown
	geo     *geocast       // native-QUIC dissemination; nil when QUICAddr is off
	up      *hubLink       // the uplink to the cloud hub; nil when HubAddr is empty

	reportMu  sync.Mutex
	pubMu     sync.Mutex
	published map[v2x.ActionID]published

	journal  *journal    // the hazards published and the reports stored, for a restart (journal.go); nil without DataDir
	restored []journaled // what the journal gave back, until republish

	tls            *tls.Config // server certificate for every TLS and QUIC listener, ALPN set per listener
	tlsFingerprint string      // SHA-256 of the served certificate
	tlsGenerated   bool

	ready                                                            chan struct{}
	mqttAddr, wsAddr, wssAddr, httpAd, mqttTLSAd, mqttQUICAd, quicAd string
	runOnce                                                          sync.Once
}

// New checks the options and builds a node. It does no I/O.
func New(opts Options) (*Node, error) {
	if err := opts.Validate(); err != nil {
		return nil, fmt.Errorf("edge options: %w", err)
	}
	n := &Node{
		opts:      opts,
		log:       opts.Log.With("edge", opts.EdgeID),
		ldm:       ldm.New(opts.LDM),
		inPrefix:  opts.Root + "/" + string(v2x.InQueue) + "/v2x/",
		outPrefix: opts.Root + "/" + string(v2x.OutQueue) + "/",
		published: make(map[v2x.ActionID]published),
		subs:      newSubIndex(opts.Root),
		ready:     make(chan struct{}),
	}
	n.stations = newStationBook()
	n.quotas = newQuotas(opts.Limits, func(id string) (*mqtt.Client, bool) { return n.broker.Clients.Get(id) })
	ho := opts.Hazards
	if opts.DataDir != "" {
		ho.Reserve = n.saveSequence
	}
	n.hazards = hazard.New(ho)
	n.road = newRoadModel(opts)
	n.reports, n.reportDetectors, n.detectors = detect.Build(opts.Detect, n.road)
	n.authorities = detect.NewAuthorities()
	n.reportDetectors = append(n.reportDetectors, n.authorities)
	if opts.HubAddr != "" {
		n.up = newHubLink(n)
	}
	n.metrics = newMetrics(n)
	return n, nil
}

// ReloadCredentials reads Options.Credentials again (edge-node does on SIGHUP). Connections
// already admitted keep what they were granted; a file that does not load changes nothing.
func (n *Node) ReloadCredentials() error {
	if n.opts.Credentials == "" {
		return nil
	}
	s, err := auth.Load(n.opts.Credentials)
	if err != nil {
		return err
	}
	n.creds.Store(s)
	n.log.Info("credentials loaded", "file", n.opts.Credentials, "credentials", s.Len())
	return nil
}

// authenticate checks a client's source and token against the credentials, if the edge has any.
func (n *Node) authenticate(transport, remote, source, token string) (auth.Grant, error) {
	s := n.creds.Load()
	if s == nil {
		return auth.Grant{}, nil
	}
	g, err := s.Check(source, token)
	if err != nil {
		n.metrics.refused.WithLabelValues(transport).Inc()
		if now := time.Now().UnixNano(); now-n.refusedLog.Load() >= int64(n.opts.RejectLogEvery) {
			n.refusedLog.Store(now)
			n.log.Warn("refused a client's credentials", "transport", transport, "remote", remote, "source", source)
		}
	}
	return g, err
}

// Ready is closed once every listener is bound and the broker serves.
func (n *Node) Ready() <-chan struct{} { return n.ready }

// MQTTAddr, WSAddr and HTTPAddr are the bound addresses, valid after Ready ("" when off).
func (n *Node) MQTTAddr() string { return n.mqttAddr }
func (n *Node) WSAddr() string   { return n.wsAddr }
func (n *Node) HTTPAddr() string { return n.httpAd }

// MQTTTLSAddr, WSSAddr and MQTTQUICAddr are the bound TLS, WebSocket-over-TLS and QUIC MQTT
// addresses ("" when off).
func (n *Node) MQTTTLSAddr() string  { return n.mqttTLSAd }
func (n *Node) WSSAddr() string      { return n.wssAddr }
func (n *Node) MQTTQUICAddr() string { return n.mqttQUICAd }

// QUICAddr is the bound native michi-v2x/1 address ("" when off).
func (n *Node) QUICAddr() string { return n.quicAd }

// TLSFingerprint is the SHA-256 fingerprint of the certificate the TLS and QUIC listeners serve
// (valid after Ready), for clients that pin it.
func (n *Node) TLSFingerprint() string { return n.tlsFingerprint }

// AlertKey is the public key the node signs alerts with (valid after Ready).
func (n *Node) AlertKey() ed25519.PublicKey { return n.signer.Public() }

// Options returns the node's options with defaults applied.
func (n *Node) Options() Options { return n.opts }

// LDM and Hazards expose the node's state to in-process tools (the demo, benchmarks).
func (n *Node) LDM() *ldm.Map            { return n.ldm }
func (n *Node) Hazards() *hazard.Manager { return n.hazards }

// Run serves until ctx ends. It can be called once.
func (n *Node) Run(ctx context.Context) error {
	err := errors.New("edge: Run called twice")
	n.runOnce.Do(func() { err = n.run(ctx) })
	return err
}

func (n *Node) run(ctx context.Context) error {
	if err := n.ReloadCredentials(); err != nil {
		return err
	}
	if n.opts.Credentials == "" {
		n.log.Warn("no credentials file: every client is admitted and may publish as any role")
	}
	if n.opts.DataDir != "" {
		if err := os.MkdirAll(n.opts.DataDir, 0o755); err != nil {
			return fmt.Errorf("data dir: %w", err)
		}
		if err := n.resumeSequence(); err != nil {
			return err
		}
	}
	if err := n.loadRoad(); err != nil {
		return err
	}
	if err := n.loadSigner(); err != nil {
		return err
	}
	caps := mqtt.NewDefaultServerCapabilities()
	caps.MaximumClientWritesPending = int32(n.opts.ClientQueue)
	caps.MaximumPacketSize = uint32(4 * n.opts.MaxPayload) // hard cap; ingest rejects > MaxPayload with a reason
	caps.MaximumInflight = 256
	n.limitCapabilities(caps)
	n.broker = mqtt.New(&mqtt.Options{
		Capabilities:             caps,
		Logger:                   brokerLogger(n.log),
		ClientNetReadBufferSize:  2048,
		ClientNetWriteBufferSize: 2048,
		SysTopicResendInterval:   10,
	})
	n.pub = n.broker.NewClient(nil, mqtt.LocalListener, "michi-edge-"+n.opts.EdgeID, true)
	n.pub.Properties.ProtocolVersion = 5 // retained hazards carry v5 message expiry
	n.hook = &hook{n: n}
	if err := n.broker.AddHook(n.hook, nil); err != nil {
		return err
	}

	var closers []func()
	defer func() {
		for i := len(closers) - 1; i >= 0; i-- {
			closers[i]()
		}
	}()
	if n.up != nil { // first opened, last closed: what the edge still says on its way down is kept
		closeQueue, err := n.up.open()
		if err != nil {
			return fmt.Errorf("uplink: %w", err)
		}
		closers = append(closers, closeQueue)
	}
	if n.opts.DataDir != "" { // before any listener: a restarted edge resumes its hazards (restart.go)
		if err := n.restoreJournal(); err != nil {
			return err
		}
		closers = append(closers, n.journal.close)
	}
	if n.opts.MQTTAddr != Off {
		ln, err := net.Listen("tcp", n.opts.MQTTAddr)
		if err != nil {
			return fmt.Errorf("mqtt listener: %w", err)
		}
		n.mqttAddr = ln.Addr().String()
		if err := n.addListener("tcp", ln); err != nil {
			return err
		}
	}
	if n.opts.WSAddr != Off {
		ln, err := net.Listen("tcp", n.opts.WSAddr)
		if err != nil {
			return fmt.Errorf("websocket listener: %w", err)
		}
		n.wsAddr = ln.Addr().String()
		if err := n.addListener("ws", n.newWSListener(ln)); err != nil {
			return err
		}
	}
	if n.opts.MQTTTLSAddr != Off || n.opts.WSSAddr != Off || n.opts.MQTTQUICAddr != Off || n.opts.QUICAddr != Off || n.opts.HTTPTLS {
		conf, fp, generated, err := tlsconf.ServerConfig(n.opts.TLSCert, n.opts.TLSKey)
		if err != nil {
			return fmt.Errorf("tls: %w", err)
		}
		n.tls, n.tlsFingerprint, n.tlsGenerated = conf, fp, generated
		if generated {
			n.log.Warn("no tls_cert/tls_key: serving a generated development certificate; clients must pin it",
				"fingerprint_sha256", fp)
		}
	}
	if n.opts.MQTTTLSAddr != Off {
		ln, err := tls.Listen("tcp", n.opts.MQTTTLSAddr, n.tlsFor("mqtt"))
		if err != nil {
			return fmt.Errorf("mqtt tls listener: %w", err)
		}
		n.mqttTLSAd = ln.Addr().String()
		if err := n.addListener("tls", ln); err != nil {
			return err
		}
	}
	if n.opts.WSSAddr != Off {
		ln, err := tls.Listen("tcp", n.opts.WSSAddr, n.tlsFor("http/1.1"))
		if err != nil {
			return fmt.Errorf("websocket tls listener: %w", err)
		}
		n.wssAddr = ln.Addr().String()
		if err := n.addListener("wss", n.newWSListener(ln)); err != nil {
			return err
		}
	}
	if n.opts.MQTTQUICAddr != Off {
		ln, err := quicconn.ListenAddr(n.opts.MQTTQUICAddr, n.tlsFor("mqtt"), nil)
		if err != nil {
			return fmt.Errorf("mqtt quic listener: %w", err)
		}
		n.mqttQUICAd = ln.Addr().String()
		if err := n.addListener("quic", ln); err != nil {
			return err
		}
	}
	if n.opts.QUICAddr != Off {
		o := n.opts.Native
		o.Addr, o.TLS, o.EdgeID, o.Log = n.opts.QUICAddr, n.tlsFor(nativewire.ALPN), n.opts.EdgeID, n.log.With("component", "native")
		o.Authenticate = func(h nativewire.Hello) (native.Grant, error) { // a session speaks only for its hello's source
			g, err := n.authenticate("native", "", h.SourceUUID, h.Token)
			if err != nil {
				return native.Grant{}, err
			}
			if err := nativeGrant(g, h.StationID); err != nil {
				n.rejected(reject("hello", ReasonStation, packets.ErrNotAuthorized, err))
				return native.Grant{}, nativewire.WrapError(nativewire.CodeForbidden, err)
			}
			return native.Grant{Role: string(g.Role), Credential: g.Identity}, nil
		}
		srv, err := native.New(o, nativeHandler{n})
		if err != nil {
			return fmt.Errorf("native quic: %w", err)
		}
		n.native, n.geo = srv, newGeocast(srv, n.signer)
		nctx, stopNative := context.WithCancel(context.Background())
		var runErr error
		stopped := make(chan struct{})
		go func() { defer close(stopped); runErr = srv.Run(nctx) }()
		closers = append(closers, func() { stopNative(); <-stopped })
		select {
		case <-srv.Ready():
			n.quicAd = srv.Addr().String()
		case <-stopped:
			return fmt.Errorf("native quic: %w", runErr)
		}
	}
	var httpSrv *http.Server
	if n.opts.HTTPAddr != Off {
		ln, err := net.Listen("tcp", n.opts.HTTPAddr)
		if err != nil {
			return fmt.Errorf("http listener: %w", err)
		}
		n.httpAd = ln.Addr().String()
		if n.opts.HTTPTLS {
			ln = tls.NewListener(ln, n.tlsFor("http/1.1"))
		}
		httpSrv = n.opts.Limits.HTTP.Server(n.Handler(), n.log.With("component", "http"))
		closers = append(closers, func() { ln.Close() })
		go func() { _ = httpSrv.Serve(ln) }()
	}
	if err := n.broker.Serve(); err != nil {
		return fmt.Errorf("broker: %w", err)
	}
	closers = append(closers, func() { n.stopClients(); _ = n.broker.Close() })
	if n.up != nil { // authority hazards disseminate through the broker: stopped before it
		closers = append(closers, n.up.startClient())
	}

	n.republish()
	var wg sync.WaitGroup
	loopCtx, stopLoop := context.WithCancel(ctx)
	wg.Add(1)
	go func() { defer wg.Done(); n.detectLoop(loopCtx) }()
	if n.journal != nil {
		wg.Add(1)
		go func() { defer wg.Done(); n.journalLoop(loopCtx) }()
	}
	closers = append(closers, func() { stopLoop(); wg.Wait(); n.saveRoad() })
	if n.up != nil {
		closers = append(closers, n.up.startLoops())
	}

	n.log.Info("edge node ready", "mqtt", n.mqttAddr, "ws", n.wsAddr, "mqtts", n.mqttTLSAd, "wss", n.wssAddr, "mqtt_quic", n.mqttQUICAd, "quic", n.quicAd, "http", n.httpAd, "hub", n.opts.HubAddr,
		"root", n.opts.Root, "source_uuid", n.opts.SourceUUID, "station_id", n.opts.StationID)
	close(n.ready)
	<-ctx.Done()
	n.log.Info("edge node stopping")
	if httpSrv != nil {
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		_ = httpSrv.Shutdown(sctx)
		cancel()
	}
	return nil
}

// addListener serves MQTT on ln through the embedded broker, each connection with an alert lane
// (lane.go), and remembers ln for shutdown.
func (n *Node) addListener(id string, ln net.Listener) error {
	if err := n.broker.AddListener(listeners.NewNet(id, laneListener{Listener: ln, n: n, max: n.opts.ClientQueue << 10})); err != nil {
		ln.Close()
		return err
	}
	n.lns = append(n.lns, ln)
	return nil
}

// stopClients disconnects every client before the broker closes. mochi-mqtt v2.7.9's Close walks
// clients per listener under a read lock it takes twice (Clients.GetByListener); a client leaving
// in between deadlocks it. Stopping them first (GetAll locks once) and waiting until they are
// gone leaves Close nothing to race with.
func (n *Node) stopClients() {
	for _, ln := range n.lns { // no new connections, not even auto-reconnecting clients
		_ = ln.Close()
	}
	for _, cl := range n.broker.Clients.GetAll() {
		if !cl.Net.Inline {
			cl.Stop(errShuttingDown)
		}
	}
	// Wait until none is open and the client map has stopped shrinking (mochi deletes a clean
	// session's entry just after its connection ends; persistent sessions stay, harmlessly).
	deadline, last := time.Now().Add(3*time.Second), -1
	for time.Now().Before(deadline) {
		all, open := n.broker.Clients.GetAll(), 0
		for _, cl := range all {
			if !cl.Net.Inline && !cl.Closed() {
				open++
			}
		}
		if open == 0 && len(all) == last {
			return
		}
		last = len(all)
		time.Sleep(5 * time.Millisecond)
	}
}

// mqttClients is the number of connected MQTT clients (the edge's inline publisher excluded).
func (n *Node) mqttClients() int64 { return atomic.LoadInt64(&n.broker.Info.ClientsConnected) }

// tlsFor is the node's server TLS configuration offering one ALPN protocol.
func (n *Node) tlsFor(alpn string) *tls.Config {
	c := n.tls.Clone()
	c.NextProtos = []string{alpn}
	return c
}

// detectLoop runs the detectors over the LDM every DetectInterval and publishes what changed.
func (n *Node) detectLoop(ctx context.Context) {
	t := time.NewTicker(n.opts.DetectInterval)
	defer t.Stop()
	save := time.NewTicker(roadSaveEvery)
	defer save.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			n.DetectOnce()
		case <-save.C:
			n.saveRoad()
		}
	}
}

// DetectOnce runs one detection round now: expiry of stale LDM entries, every detector, the
// hazard manager's timers, and dissemination of the resulting events.
func (n *Node) DetectOnce() {
	now := n.opts.Now()
	start := time.Now()
	n.giveWay()
	n.ldm.Expire(now)
	n.road.Learn(now, n.ldm)
	var events []hazard.Event
	for _, d := range n.detectors {
		n.giveWay()
		events = append(events, n.hazards.Apply(now, d.Name(), d.Detect(now, n.ldm))...)
	}
	n.reportMu.Lock()
	events = append(events, n.runDetectors(now, n.reportDetectors)...)
	n.reportMu.Unlock()
	events = append(events, n.hazards.Tick(now)...)
	n.metrics.detectDur.Observe(time.Since(start).Seconds())
	n.disseminate(events, start)
}

// giveWay lets a hazard fan-out in progress finish before the detection round goes on. The round
// is background work of some milliseconds per 200 ms (a detector over 2,000 vehicles takes up to
// ~4 ms); on a processor it holds, the fan-out's helper could not write, and the vehicles of a
// hazard that arrived at the start of a round waited for it.
func (n *Node) giveWay() {
	for n.fanning.Load() > 0 {
		time.Sleep(50 * time.Microsecond)
	}
	runtime.Gosched()
}

func (n *Node) runDetectors(now time.Time, ds []detect.Detector) []hazard.Event {
	var events []hazard.Event
	for _, d := range ds {
		events = append(events, n.hazards.Apply(now, d.Name(), d.Detect(now, n.ldm))...)
	}
	return events
}

// brokerLogger quiets the embedded broker: mochi logs every client connection that ends with a
// read error (a normal disconnect, or everyone at shutdown) as a warning. Its own lines pass at
// error level, or all of them when the edge logs at debug.
func brokerLogger(log *slog.Logger) *slog.Logger {
	log = log.With("component", "broker")
	if log.Enabled(context.Background(), slog.LevelDebug) {
		return log
	}
	return slog.New(minLevel{log.Handler(), slog.LevelError})
}

type minLevel struct {
	slog.Handler
	min slog.Level
}

func (h minLevel) Enabled(ctx context.Context, l slog.Level) bool {
	return l >= h.min && h.Handler.Enabled(ctx, l)
}

func (h minLevel) WithAttrs(as []slog.Attr) slog.Handler {
	return minLevel{h.Handler.WithAttrs(as), h.min}
}
func (h minLevel) WithGroup(g string) slog.Handler { return minLevel{h.Handler.WithGroup(g), h.min} }
