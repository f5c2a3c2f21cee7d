package broker

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"strings"
	"sync/atomic"
	"time"

	mqtt "github.com/mochi-mqtt/server/v2"
	"github.com/mochi-mqtt/server/v2/listeners"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/michi-v2x/michi/internal/httpsrv"
	"github.com/michi-v2x/michi/pkg/v2x"
)

// Options configure a Server. The edge fills every field; the zero value of Metrics and Log
// means none.
type Options struct {
	// Root is the topic root: clients publish into {Root}/inQueue/v2x/…; {Root}/outQueue/ is the
	// server's alone.
	Root string
	// PublisherID is the client id of the in-process publisher the server's own messages carry.
	PublisherID string
	// ClientQueue is the number of outbound packets mochi queues per client, and the KiB a
	// connection's alert lane may hold unwritten.
	ClientQueue int
	// MaxPacketSize is the largest packet a client may send (a hard cap: the Handler refuses
	// smaller ones with its own reason).
	MaxPacketSize uint32
	// ConnectTimeout closes a connection that has not sent its CONNECT by then.
	ConnectTimeout time.Duration
	// MaxKeepAlive is given to a client that asks for none, and to an MQTT v5 client that asks
	// for more (Server Keep Alive).
	MaxKeepAlive time.Duration
	// SessionExpiry caps how long a disconnected session is kept, also when a v5 client raises it
	// at DISCONNECT.
	SessionExpiry time.Duration
	// MaxSubscriptions is the number of filters one session holds; beyond, SUBACK 0x87.
	MaxSubscriptions int
	// SlowClientDrops: a client whose deliveries were dropped this many times in a row is evicted.
	SlowClientDrops int
	// WSOrigins are the browser origins the WebSocket listeners allow besides their own host
	// (originAllowed); HTTP bounds their upgrade requests.
	WSOrigins []string
	HTTP      httpsrv.Timeouts
	Log       *slog.Logger
	Metrics   Metrics
}

// Metrics are the collectors the server counts into (the edge registers them); a nil one is
// replaced by an unregistered collector.
type Metrics struct {
	Clients        prometheus.Gauge       // connected clients
	Dropped        prometheus.Counter     // deliveries a client's full queue could not take
	Evicted        prometheus.Counter     // clients disconnected for falling behind
	AlertsOut      prometheus.Counter     // copies the fan-out handed to connections
	Direct         prometheus.Counter     // publishes the lanes took past mochi's read path
	RetainStripped prometheus.Counter     // client publishes whose RETAIN flag was cleared
	Published      prometheus.Counter     // retained publishes, one per topic
	Limited        *prometheus.CounterVec // refusals at a limit, by limit (subscriptions, origin)
}

func (m *Metrics) setDefaults() {
	counter := func(c *prometheus.Counter, name string) {
		if *c == nil {
			*c = prometheus.NewCounter(prometheus.CounterOpts{Name: name})
		}
	}
	if m.Clients == nil {
		m.Clients = prometheus.NewGauge(prometheus.GaugeOpts{Name: "clients"})
	}
	counter(&m.Dropped, "dropped")
	counter(&m.Evicted, "evicted")
	counter(&m.AlertsOut, "alerts_out")
	counter(&m.Direct, "direct")
	counter(&m.RetainStripped, "retain_stripped")
	counter(&m.Published, "published")
	if m.Limited == nil {
		m.Limited = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "limited"}, []string{"limit"})
	}
}

var (
	errSlowConsumer = errors.New("slow consumer: outbound queue kept overflowing")
	errShuttingDown = errors.New("broker shutting down")
)

// Server is michi's MQTT broker: mochi-mqtt with the edge's own ways in (inbound.go) and out
// (lane.go, fanout.go), retained replay (retained.go) and limits (limits.go). New does no I/O;
// Listen adds listeners, Serve starts serving them, Close disconnects every client and stops.
type Server struct {
	o         Options
	h         Handler
	log       *slog.Logger
	m         Metrics
	mochi     *mqtt.Server
	pub       *mqtt.Client // inline MQTT v5 client the server publishes with
	hook      *hook
	subs      *subIndex // the subscriptions the server's publishes can reach, mirrored from the hooks
	inPrefix  string    // {root}/inQueue/v2x/
	outPrefix string    // {root}/outQueue/
	lns       []net.Listener
	open      atomic.Int64 // connections accepted and not yet closed (lane.go), refused ones included
}

// New builds a server that asks h about clients.
func New(o Options, h Handler) (*Server, error) {
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	o.Metrics.setDefaults()
	s := &Server{
		o: o, h: h, log: o.Log, m: o.Metrics,
		subs:      newSubIndex(o.Root),
		inPrefix:  o.Root + "/" + string(v2x.InQueue) + "/v2x/",
		outPrefix: o.Root + "/" + string(v2x.OutQueue) + "/",
	}
	caps := mqtt.NewDefaultServerCapabilities()
	caps.MaximumClientWritesPending = int32(o.ClientQueue)
	caps.MaximumPacketSize = o.MaxPacketSize
	caps.MaximumInflight = 256
	caps.MaximumSessionExpiryInterval = uint32(o.SessionExpiry / time.Second)
	s.mochi = mqtt.New(&mqtt.Options{
		Capabilities:             caps,
		Logger:                   mochiLogger(o.Log),
		ClientNetReadBufferSize:  2048,
		ClientNetWriteBufferSize: 2048,
		SysTopicResendInterval:   10,
	})
	s.pub = s.mochi.NewClient(nil, mqtt.LocalListener, o.PublisherID, true)
	s.pub.Properties.ProtocolVersion = 5 // retained messages carry v5 message expiry
	s.hook = &hook{s: s}
	if err := s.mochi.AddHook(s.hook, nil); err != nil {
		return nil, fmt.Errorf("broker hook: %w", err)
	}
	return s, nil
}

// Listen serves MQTT on ln (TCP, TLS or QUIC), each connection with an alert lane (lane.go). The
// server closes ln.
func (s *Server) Listen(id string, ln net.Listener) error {
	if err := s.mochi.AddListener(listeners.NewNet(id, laneListener{Listener: ln, s: s, max: s.o.ClientQueue << 10})); err != nil {
		ln.Close()
		return err
	}
	s.lns = append(s.lns, ln)
	return nil
}

// ListenWebSocket serves MQTT over WebSocket on ln (plain or TLS).
func (s *Server) ListenWebSocket(id string, ln net.Listener) error {
	return s.Listen(id, s.newWSListener(ln))
}

// Serve starts serving every listener added so far.
func (s *Server) Serve() error { return s.mochi.Serve() }

// Close disconnects every client and stops the server.
func (s *Server) Close() error {
	s.stopClients()
	return s.mochi.Close()
}

// stopClients disconnects every client before the broker closes. mochi-mqtt v2.7.9's Close walks
// clients per listener under a read lock it takes twice (Clients.GetByListener); a client leaving
// in between deadlocks it. Stopping them first (GetAll locks once) and waiting until they are
// gone leaves Close nothing to race with. Connections mochi refused at CONNECT never enter the
// client map; mochi v2.7.9 adds each connection to the WaitGroup Close waits on from inside the
// connection's goroutine, so Close must not start while one of those is still open either: the
// lanes count them (Server.open), and their count reaching 0 orders those additions before Close
// (TestMochiSendsNoConnackAfterOnConnectError waits the same way). Neither behaviour has a
// deterministic test; TestMochiVersionIsTheOneWorkedAround makes an upgrade look again.
func (s *Server) stopClients() {
	for _, ln := range s.lns { // no new connections, not even auto-reconnecting clients
		_ = ln.Close()
	}
	for _, cl := range s.mochi.Clients.GetAll() {
		if !cl.Net.Inline {
			cl.Stop(errShuttingDown)
		}
	}
	// Wait until none is open and the client map has stopped shrinking (mochi deletes a clean
	// session's entry just after its connection ends; persistent sessions stay, harmlessly).
	deadline, last := time.Now().Add(3*time.Second), -1
	for time.Now().Before(deadline) {
		all, open := s.mochi.Clients.GetAll(), 0
		for _, cl := range all {
			if !cl.Net.Inline && !cl.Closed() {
				open++
			}
		}
		if open == 0 && len(all) == last && s.open.Load() == 0 {
			return
		}
		last = len(all)
		time.Sleep(5 * time.Millisecond)
	}
}

// Clients is the number of connected clients (the server's own publisher excluded).
func (s *Server) Clients() int64 { return atomic.LoadInt64(&s.mochi.Info.ClientsConnected) }

// Sessions is the number of sessions held: connected, and disconnected ones kept for a reconnect.
func (s *Server) Sessions() int { return s.mochi.Clients.Len() }

// Retained is the number of retained messages held.
func (s *Server) Retained() int64 { return atomic.LoadInt64(&s.mochi.Info.Retained) }

// Session is the connection that holds client id's session now, connected or kept.
func (s *Server) Session(id string) (*Conn, bool) {
	cl, ok := s.mochi.Clients.Get(id)
	if !ok {
		return nil, false
	}
	return s.hook.lookup(cl)
}

// mochiLogger quiets mochi: it logs every client connection that ends with a read error (a
// normal disconnect, or everyone at shutdown) as a warning. Its own lines pass at error level, or
// all of them when the server logs at debug.
func mochiLogger(log *slog.Logger) *slog.Logger {
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

// inOutQueue reports whether every topic filter matches lies in {root}/outQueue/.
func (s *Server) inOutQueue(filter string) bool {
	rest, ok := strings.CutPrefix(filter, s.o.Root)
	return ok && strings.HasPrefix(rest, "/"+string(v2x.OutQueue)+"/")
}
