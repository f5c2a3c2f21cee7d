package demo

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"time"

	"github.com/michi-v2x/michi/pkg/geo"
	"github.com/michi-v2x/michi/sim"
	"github.com/michi-v2x/michi/sim/live"
	"github.com/michi-v2x/michi/sim/report"
)

// Options configures the demo. The zero value runs the default demo for two minutes.
type Options struct {
	Duration time.Duration // default 2 minutes
	Vehicles int           // default 300
	Out      io.Writer     // banner and progress line
	TTY      bool
	Log      *slog.Logger
	// NoHub leaves the cloud hub out: the edges then run standalone.
	NoHub bool
	// Ports: try these HTTP ports for the hub's dashboard and the two edges' APIs (fall back to
	// a free port when taken); nil = 9090, 8080 and 8081; set to []int{0, 0, 0} in tests.
	HTTPPorts []int
}

// Origin of the demo district: Lyon, by the Rhône.
var Origin = geo.Point{Lat: 45.7578, Lon: 4.8320}

// Config is the demo world and run, before Run starts it.
func Config(o Options) live.Options {
	if o.Duration == 0 {
		o.Duration = 2 * time.Minute
	}
	if o.Vehicles == 0 {
		o.Vehicles = 300
	}
	ports := o.HTTPPorts
	if ports == nil {
		ports = []int{9090, 8080, 8081}
	}
	half := 0.5
	hw, city := -1500.0, 500.0 // north offsets of the motorway and of the district
	heading := 90.0
	west := 270.0
	world := sim.Config{Origin: Origin, Seed: 2026,
		Roads: []sim.RoadSpec{
			{Name: "A7", Highway: &sim.HighwaySpec{Center: sim.XY(0, hw), HeadingDeg: &heading, LengthM: 4000, Lanes: 2}},
			{Name: "district", Grid: &sim.GridSpec{Center: sim.XY(0, city), Cols: 6, Rows: 6, BlockM: 150}},
		},
		Traffic: sim.Traffic{Vehicles: o.Vehicles, Connected: &half},
		Sensors: []sim.SensorSpec{
			{ID: "a7-km1", At: sim.XY(-1000, hw+12), RangeM: 200, NoiseM: 0.2},
			{ID: "a7-km2", At: sim.XY(0, hw+12), RangeM: 200, NoiseM: 0.2},
			{ID: "a7-km3", At: sim.XY(1000, hw+12), RangeM: 200, NoiseM: 0.2},
			{ID: "a7-km4", At: sim.XY(1800, hw+12), RangeM: 200, NoiseM: 0.2},
			{ID: "bellecour", At: sim.XY(-75, city-75), RangeM: 120, NoiseM: 0.2},
			{ID: "cordeliers", At: sim.XY(75, city+75), RangeM: 120, NoiseM: 0.2},
			{ID: "terreaux", At: sim.XY(-225, city+225), RangeM: 120, NoiseM: 0.2},
			{ID: "perrache", At: sim.XY(225, city-225), RangeM: 120, NoiseM: 0.2},
		},
		Hazards: []sim.HazardSpec{
			{ID: "road-works-rue-merciere", Kind: sim.RoadWorks, At: sim.XY(0, city+75+1.75), Start: 8 * time.Second, CloseLane: true, Duration: 90 * time.Second},
			{ID: "breakdown-a7", Kind: sim.StoppedVehicle, At: sim.XY(800, hw-5.25), Start: 15 * time.Second, Duration: 60 * time.Second},
			{ID: "pedestrian-bellecour", Kind: sim.Pedestrian, At: sim.XY(-75, city-35), Start: 30 * time.Second, Duration: 30 * time.Second},
			{ID: "debris-a7-south", Kind: sim.Obstacle, At: sim.XY(-600, hw+1.75), HeadingDeg: &west, Start: 45 * time.Second, Duration: 60 * time.Second},
			{ID: "black-ice-quai", Kind: sim.SlipperyRoad, At: sim.XY(225, city+75), Start: 60 * time.Second},
			{ID: "ghost-driver-a7", Kind: sim.WrongWay, At: sim.XY(1800, hw-1.75), Start: 80 * time.Second, Duration: 40 * time.Second},
		},
	}
	return live.Options{Name: "demo", World: world, Duration: o.Duration, Progress: o.Out, ProgressTTY: o.TTY, Log: o.Log,
		Edges: []live.EdgeSpec{
			{ID: "a7-edge", At: sim.XY(0, hw), HTTPAddr: freeAddr(ports[1])},
			{ID: "city-edge", At: sim.XY(0, city), HTTPAddr: freeAddr(ports[2])},
		}}
}

// Run starts the demo and blocks until the duration is over or ctx ends; then it returns the
// report.
func Run(ctx context.Context, o Options) (*report.Report, error) {
	if o.Out == nil {
		o.Out = io.Discard
	}
	lo := Config(o)
	hubLine := "left out (--no-hub): the two edges run standalone"
	if !o.NoHub {
		ports := o.HTTPPorts
		if ports == nil {
			ports = []int{9090}
		}
		log := o.Log
		if log == nil {
			log = slog.New(slog.DiscardHandler)
		}
		h, err := startHub(ctx, freeAddr(ports[0]), log.With("component", "hub"))
		if err != nil {
			return nil, fmt.Errorf("demo hub: %w", err)
		}
		defer h.close() // after live.Run has stopped the edges
		for i := range lo.Edges {
			if err := h.wire(&lo.Edges[i].Options, lo.Edges[i].ID); err != nil {
				return nil, fmt.Errorf("demo hub: %w", err)
			}
		}
		// The road authority issues its road works through the hub's API, which sends them
		// down to the edge whose coverage they touch.
		lo.HubURL, lo.HubToken = h.HTTP(), Token
		hubLine = fmt.Sprintf("%s (dashboard), %s/api/v1/hazards, %s/api/v1/edges; both edges send their hazards and traffic up over QUIC with mutual TLS; road works are issued through it (token %s)",
			h.HTTP(), h.HTTP(), h.HTTP(), Token)
	}
	eng, err := sim.New(lo.World)
	if err != nil {
		return nil, err
	}
	fmt.Fprintf(o.Out, "michi demo: %s; %d hazards over %s\ncloud hub: %s\nconnecting…\n",
		eng, len(lo.World.Hazards), lo.Duration, hubLine)
	lo.OnReady = func(es []live.EdgeInfo) {
		for _, e := range es {
			fmt.Fprintf(o.Out, "edge %-9s MQTT %s   hazards %s/api/v1/hazards   LDM %s/api/v1/ldm   metrics %s/metrics\n",
				e.ID, e.MQTT, e.HTTP, e.HTTP, e.HTTP)
		}
		if !o.NoHub {
			conn := 0
			for i := range eng.Vehicles {
				if eng.Vehicles[i].Connected {
					conn++
				}
			}
			fmt.Fprintf(o.Out, "the dashboard's clients connected: %d = %d vehicles + %d sensors + %d observers (one per edge, reading what it publishes); what each figure measures: docs/metrics.md\n",
				conn+len(eng.Sensors)+len(es), conn, len(eng.Sensors), len(es))
		}
		fmt.Fprintf(o.Out, "watch the alerts: mosquitto_sub -V 5 -h 127.0.0.1 -p <MQTT port> -t 'michi/outQueue/v2x/denm/#' -v\nrunning (Ctrl-C ends early and still writes the report)\n")
	}
	return live.Run(ctx, lo)
}

// freeAddr returns 127.0.0.1:port when the port is free, else 127.0.0.1:0.
func freeAddr(port int) string {
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	if port == 0 {
		return addr
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return "127.0.0.1:0"
	}
	ln.Close()
	return addr
}
