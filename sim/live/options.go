package live

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/url"
	"time"

	"github.com/michi-v2x/michi/internal/edge"
	"github.com/michi-v2x/michi/sim"
)

// Transports a run can use between the vehicles and the edges.
const (
	TransportMQTTTCP  = "mqtt-tcp"
	TransportMQTTWS   = "mqtt-ws"
	TransportMQTTQUIC = "mqtt-quic"
	TransportQUIC     = "quic" // michi's native protocol: the edge geocasts to the relevance circle
)

// EdgeSpec is one edge node of a run: started in-process, or an external one at URL.
type EdgeSpec struct {
	ID  string    `yaml:"id"` // default "edge-<index+1>"
	At  sim.Place `yaml:"at"` // vehicles and sensors use the nearest edge; default the origin
	URL string    `yaml:"url"`
	// HTTPAddr of an in-process edge (its API and metrics), default "127.0.0.1:0".
	HTTPAddr string `yaml:"http_addr"`
	// Options of an in-process edge (every edge-node config field); its listeners default to
	// 127.0.0.1:0 and its id to ID.
	Options edge.Options `yaml:"options"`
}

// Source supplies externally driven vehicles (SUMO): Next returns the states at virtual time
// t, or ok=false once the source has ended.
type Source interface {
	Next(t time.Duration) (states []sim.ExtState, ok bool, err error)
	Close() error
}

// Options configures a run.
type Options struct {
	Name      string
	World     sim.Config
	Edges     []EdgeSpec
	Transport string        // default mqtt-tcp
	Root      string        // topic root, default "michi"
	Duration  time.Duration // required
	CAMHz     float64       // CAMs per second per connected vehicle, default 5
	// SubscribeZoom of the vehicles' alert subscriptions, default 16.
	SubscribeZoom int
	ReachM        float64       // a vehicle has reached a hazard within this distance, default 20 m
	Grace         time.Duration // see report.Options.Grace, default 2 s
	Source        Source        // external vehicles; World.External must be set
	DialParallel  int           // connections opened at once, default 32
	// Progress receives a progress line every second ("\r"-rewritten when ProgressTTY).
	Progress    io.Writer
	ProgressTTY bool
	// HubURL, when set with HubToken, makes the road authority issue its road works through the
	// cloud hub's API (http://host:port) instead of publishing DENMs to the nearest edge itself.
	HubURL   string
	HubToken string
	// OnReady is called once every edge serves and every client is connected.
	OnReady func(edges []EdgeInfo)
	Log     *slog.Logger
}

// EdgeInfo describes a running edge of the run.
type EdgeInfo struct {
	ID       string
	MQTT     string // tcp:// URL
	WS       string // ws:// URL, "" when off
	QUIC     string // mqtt+quic:// URL, "" when off
	Native   string // quic:// URL of the native protocol, "" when off
	HTTP     string // http:// base URL, "" for external edges or when off
	External bool
}

func (o *Options) setDefaults() {
	if o.Transport == "" {
		o.Transport = TransportMQTTTCP
	}
	if o.Root == "" {
		o.Root = "michi"
	}
	if o.CAMHz == 0 {
		o.CAMHz = 5
	}
	if o.SubscribeZoom == 0 {
		o.SubscribeZoom = 16
	}
	if o.ReachM == 0 {
		o.ReachM = 20
	}
	if o.Grace == 0 {
		o.Grace = 2 * time.Second
	}
	if o.DialParallel == 0 {
		o.DialParallel = 32
	}
	if len(o.Edges) == 0 {
		o.Edges = []EdgeSpec{{}}
	}
	for i := range o.Edges {
		if o.Edges[i].ID == "" {
			o.Edges[i].ID = fmt.Sprintf("edge-%d", i+1)
		}
	}
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	if o.Progress == nil {
		o.Progress = io.Discard
	}
}

// Validate applies the defaults and reports every problem at once.
func (o *Options) Validate() error {
	o.setDefaults()
	var errs []error
	bad := func(path, format string, a ...any) {
		errs = append(errs, &sim.FieldError{Path: path, Msg: fmt.Sprintf(format, a...)})
	}
	switch o.Transport {
	case TransportMQTTTCP, TransportMQTTWS, TransportMQTTQUIC, TransportQUIC:
	default:
		bad("transport", "%q: want %s, %s, %s or %s", o.Transport, TransportMQTTTCP, TransportMQTTWS, TransportMQTTQUIC, TransportQUIC)
	}
	if o.Duration <= 0 {
		bad("duration", "required (e.g. 60s)")
	}
	if o.CAMHz <= 0 || o.CAMHz > 10 {
		bad("cam_hz", "%g: want >0 … 10 (ETSI CAM: 1 … 10 Hz)", o.CAMHz)
	}
	if o.SubscribeZoom < 1 || o.SubscribeZoom > 16 {
		bad("subscribe_zoom", "%d: want 1 … 16 (not finer than the edges' dissemination zoom)", o.SubscribeZoom)
	}
	if o.ReachM <= 0 {
		bad("reach_m", "must be positive")
	}
	if o.World.External != (o.Source != nil) {
		bad("sumo", "external vehicles need a SUMO source and the other way round")
	}
	ids := map[string]bool{}
	for i, e := range o.Edges {
		p := fmt.Sprintf("edges[%d]", i)
		if ids[e.ID] {
			bad(p+".id", "%q is used twice", e.ID)
		}
		ids[e.ID] = true
		if e.URL != "" {
			u, err := url.Parse(e.URL)
			if err != nil || (u.Scheme != "tcp" && u.Scheme != "mqtt") || u.Host == "" {
				bad(p+".url", "%q: want tcp://host:port of an edge node's MQTT listener", e.URL)
			}
			if o.Transport != TransportMQTTTCP {
				bad(p+".url", "an external edge is reached over mqtt-tcp only")
			}
		}
	}
	return errors.Join(errs...)
}
