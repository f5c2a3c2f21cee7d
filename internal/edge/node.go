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

	"github.com/michi-v2x/michi/internal/auth"
	"github.com/michi-v2x/michi/internal/broker"
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

	mqtt *broker.Server // the MQTT broker; built by run

	signer     *v2x.Signer                // signs every alert; set by run before any listener
	creds      atomic.Pointer[auth.Store] // nil: every client admitted
	refusedLog atomic.Int64               // when a refusal was last logged (Unix ns): one line per RejectLogEvery

	quotas   *quotas      // what each credential holds: sessions, publish rate (limits.go)
	stations *stationBook // who speaks for each station id (stations.go)
	limitLog atomic.Int64 // when a refusal at a limit was last logged (Unix ns)

	fanning atomic.Int32 // hazard fan-outs in progress; the detection round gives way to them
	native  *native.Server
	geo     *geocast // native-QUIC dissemination; nil when QUICAddr is off
	up      *hubLink // the uplink to the cloud hub; nil when HubAddr is empty

	reportMu  sync.Mutex
	pubMu     sync.Mutex
	published map[v2x.ActionID]published

	journal  *journal    // the hazards published and the reports stored, for a restart (journal.go); nil without DataDir
	restored []journaled // what the journal gave back, until republish

	tls            *tls.Config // server certificate for every TLS and QUIC listener, ALPN set per listener
	tlsFingerprint string      // SHA-256 of the served certificate
	tlsGenerated   bool

	ready   chan struct{}
	addrs   Addrs
	runOnce sync.Once
}

// Addrs are a node's bound addresses, valid after Ready ("" for a listener that is off).
type Addrs struct {
	MQTT, WS, HTTP         string
	MQTTTLS, WSS, MQTTQUIC string // MQTT over TLS, WebSocket over TLS, MQTT over QUIC
	QUIC                   string // native michi-v2x/1
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
		ready:     make(chan struct{}),
	}
	n.stations = newStationBook()
	n.quotas = newQuotas(opts.Limits, func(id string) (*broker.Conn, bool) { return n.mqtt.Session(id) })
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

// Addrs are the bound addresses, valid after Ready.
func (n *Node) Addrs() Addrs { return n.addrs }

// MQTTAddr … QUICAddr are single fields of Addrs, for callers that want one.
func (n *Node) MQTTAddr() string     { return n.addrs.MQTT }
func (n *Node) WSAddr() string       { return n.addrs.WS }
func (n *Node) HTTPAddr() string     { return n.addrs.HTTP }
func (n *Node) MQTTTLSAddr() string  { return n.addrs.MQTTTLS }
func (n *Node) WSSAddr() string      { return n.addrs.WSS }
func (n *Node) MQTTQUICAddr() string { return n.addrs.MQTTQUIC }
func (n *Node) QUICAddr() string     { return n.addrs.QUIC }

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
	mqttSrv, err := broker.New(broker.Options{
		Root: n.opts.Root, PublisherID: "michi-edge-" + n.opts.EdgeID,
		ClientQueue:    n.opts.ClientQueue,
		MaxPacketSize:  uint32(4 * n.opts.MaxPayload), // hard cap; ingest rejects > MaxPayload with a reason
		ConnectTimeout: n.opts.Limits.ConnectTimeout, MaxKeepAlive: n.opts.Limits.MaxKeepAlive,
		SessionExpiry: n.opts.Limits.SessionExpiry, MaxSubscriptions: n.opts.Limits.MaxSubscriptions,
		SlowClientDrops: n.opts.SlowClientDrops, WSOrigins: n.opts.Limits.WSOrigins, HTTP: n.opts.Limits.HTTP,
		Log: n.log, Metrics: n.metrics.broker(),
	}, mqttHandler{n})
	if err != nil {
		return err
	}
	n.mqtt = mqttSrv

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
	if err := n.loadTLS(); err != nil {
		return err
	}
	for _, l := range n.mqttListeners() {
		if l.addr == Off {
			continue
		}
		ln, err := l.open(l.addr)
		if err != nil {
			return fmt.Errorf("%s listener: %w", l.name, err)
		}
		*l.bound = ln.Addr().String()
		if err := l.serve(ln); err != nil {
			return err
		}
	}
	if n.opts.QUICAddr != Off {
		stop, err := n.startNative()
		if err != nil {
			return err
		}
		closers = append(closers, stop)
	}
	var httpSrv *http.Server
	if n.opts.HTTPAddr != Off {
		ln, err := net.Listen("tcp", n.opts.HTTPAddr)
		if err != nil {
			return fmt.Errorf("http listener: %w", err)
		}
		n.addrs.HTTP = ln.Addr().String()
		if n.opts.HTTPTLS {
			ln = tls.NewListener(ln, n.tlsFor("http/1.1"))
		}
		httpSrv = n.opts.Limits.HTTP.Server(n.Handler(), n.log.With("component", "http"))
		closers = append(closers, func() { ln.Close() })
		go func() { _ = httpSrv.Serve(ln) }()
	}
	if err := n.mqtt.Serve(); err != nil {
		return fmt.Errorf("broker: %w", err)
	}
	closers = append(closers, func() { _ = n.mqtt.Close() })
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

	a := n.addrs
	n.log.Info("edge node ready", "mqtt", a.MQTT, "ws", a.WS, "mqtts", a.MQTTTLS, "wss", a.WSS, "mqtt_quic", a.MQTTQUIC, "quic", a.QUIC, "http", a.HTTP, "hub", n.opts.HubAddr,
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

// listener is one of the broker's listeners: where it binds, how, and where its bound address
// goes.
type listener struct {
	name  string                                  // in errors: "{name} listener: …"
	addr  string                                  // from Options; Off: not bound
	bound *string                                 // the field of Node.addrs it fills
	open  func(addr string) (net.Listener, error) // binds
	serve func(ln net.Listener) error             // hands it to the broker
}

// mqttListeners are the broker's listeners, in the order they are bound.
func (n *Node) mqttListeners() []listener {
	tcp := func(addr string) (net.Listener, error) { return net.Listen("tcp", addr) }
	tlsTCP := func(alpn string) func(string) (net.Listener, error) {
		return func(addr string) (net.Listener, error) { return tls.Listen("tcp", addr, n.tlsFor(alpn)) }
	}
	quic := func(addr string) (net.Listener, error) { return quicconn.ListenAddr(addr, n.tlsFor("mqtt"), nil) }
	mqtt := func(id string) func(net.Listener) error {
		return func(ln net.Listener) error { return n.mqtt.Listen(id, ln) }
	}
	ws := func(id string) func(net.Listener) error {
		return func(ln net.Listener) error { return n.mqtt.ListenWebSocket(id, ln) }
	}
	o, a := &n.opts, &n.addrs
	return []listener{
		{"mqtt", o.MQTTAddr, &a.MQTT, tcp, mqtt("tcp")},
		{"websocket", o.WSAddr, &a.WS, tcp, ws("ws")},
		{"mqtt tls", o.MQTTTLSAddr, &a.MQTTTLS, tlsTCP("mqtt"), mqtt("tls")},
		{"websocket tls", o.WSSAddr, &a.WSS, tlsTCP("http/1.1"), ws("wss")},
		{"mqtt quic", o.MQTTQUICAddr, &a.MQTTQUIC, quic, mqtt("quic")},
	}
}

// loadTLS loads or generates the server certificate when any listener serves TLS or QUIC.
func (n *Node) loadTLS() error {
	o := &n.opts
	if o.MQTTTLSAddr == Off && o.WSSAddr == Off && o.MQTTQUICAddr == Off && o.QUICAddr == Off && !o.HTTPTLS {
		return nil
	}
	conf, fp, generated, err := tlsconf.ServerConfig(o.TLSCert, o.TLSKey)
	if err != nil {
		return fmt.Errorf("tls: %w", err)
	}
	n.tls, n.tlsFingerprint, n.tlsGenerated = conf, fp, generated
	if generated {
		n.log.Warn("no tls_cert/tls_key: serving a generated development certificate; clients must pin it",
			"fingerprint_sha256", fp)
	}
	return nil
}

// startNative runs the native michi-v2x/1 QUIC server until the returned stop is called.
func (n *Node) startNative() (stop func(), err error) {
	o := n.opts.Native
	o.Addr, o.TLS, o.EdgeID, o.Log = n.opts.QUICAddr, n.tlsFor(nativewire.ALPN), n.opts.EdgeID, n.log.With("component", "native")
	o.Authenticate = func(h nativewire.Hello) (native.Grant, error) { // a session speaks only for its hello's source
		g, err := n.authenticate("native", "", h.SourceUUID, h.Token)
		if err != nil {
			return native.Grant{}, err
		}
		if err := nativeGrant(g, h.StationID); err != nil {
			n.rejected(reject("hello", ReasonStation, broker.CodeNotAuthorized, err))
			return native.Grant{}, nativewire.WrapError(nativewire.CodeForbidden, err)
		}
		return native.Grant{Role: string(g.Role), Credential: g.Identity}, nil
	}
	srv, err := native.New(o, nativeHandler{n})
	if err != nil {
		return nil, fmt.Errorf("native quic: %w", err)
	}
	n.native, n.geo = srv, newGeocast(srv, n.signer)
	nctx, stopNative := context.WithCancel(context.Background())
	var runErr error
	stopped := make(chan struct{})
	go func() { defer close(stopped); runErr = srv.Run(nctx) }()
	select {
	case <-srv.Ready():
		n.addrs.QUIC = srv.Addr().String()
		return func() { stopNative(); <-stopped }, nil
	case <-stopped:
		stopNative()
		return nil, fmt.Errorf("native quic: %w", runErr)
	}
}

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
