package harness

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"runtime"
	"slices"
	"time"

	"github.com/michi-v2x/michi/internal/hazard"
	"github.com/michi-v2x/michi/pkg/geo"
)

// Transports the harness speaks.
const (
	MQTTTCP  = "mqtt-tcp"  // MQTT 5 over TCP
	MQTTWS   = "mqtt-ws"   // MQTT 5 over WebSocket (binary frames, subprotocol "mqtt")
	MQTTQUIC = "mqtt-quic" // MQTT 5 over QUIC, one stream per connection (ALPN "mqtt")
	QUIC     = "quic"      // michi's native protocol (ALPN "michi-v2x/1")
)

// Transports lists every transport in a stable order.
var Transports = []string{MQTTTCP, MQTTWS, MQTTQUIC, QUIC}

// Options is the load of one run. The zero value of every field means the default.
type Options struct {
	Transport string  // one of Transports; default mqtt-tcp
	Vehicles  int     // connected vehicles, default 500
	RateHz    float64 // CAM rate per vehicle with CAMRules "fixed", default 10
	// CAMRules is when vehicles send a CAM: CAMRulesFixed (default) at RateHz, standing still —
	// the worst case — or CAMRulesETSI, moving (motion.go) and sending by EN 302 637-2
	// (client.CAMGenerator: 1 to 10 Hz by their dynamics). ETSI rules need an MQTT transport.
	CAMRules string
	Duration time.Duration // measurement window (hazards are injected in it), default 20 s
	Warmup   time.Duration // telemetry before the window, so the edge tracks every vehicle; default 3 s
	Grace    time.Duration // wait after the last injection for late alerts, default 2 s

	HazardRate     float64       // hazards injected per second, default 2
	HazardCause    uint8         // DENM cause of injected hazards, default 99 (dangerousSituation: no direction)
	HazardRadiusM  float64       // relevance radius the target uses; 0 = the edge's default for the cause
	HazardValidity time.Duration // validity_duration of injected reports, default 60 s
	HazardSpacingM float64       // minimum distance between injected hazards, default 250 m (the edge clusters reports within 100 m)

	Center geo.Point // centre of the square area vehicles and hazards are in; default Lyon (45.76, 4.84)
	AreaKm float64   // side of the area, default 5 km
	Seed   int64     // positions and hazard order; default 1

	Writers         int  // telemetry writer loops, default GOMAXPROCS
	ConnectParallel int  // concurrent connection handshakes, default 64
	AlertQoS0       bool // vehicles subscribe to alerts at QoS 0 instead of 1
	Root            string
	Zoom            int // zoom of the tiles vehicles subscribe to (and the edge disseminates on), default 16

	Progress io.Writer    // a progress line per second; nil = none
	Log      *slog.Logger // default discard
}

func (o *Options) setDefaults() {
	if o.Transport == "" {
		o.Transport = MQTTTCP
	}
	if o.Vehicles == 0 {
		o.Vehicles = 500
	}
	if o.RateHz == 0 {
		o.RateHz = 10
	}
	if o.CAMRules == "" {
		o.CAMRules = CAMRulesFixed
	}
	if o.Duration == 0 {
		o.Duration = 20 * time.Second
	}
	if o.Warmup == 0 {
		o.Warmup = 3 * time.Second
	}
	if o.Grace == 0 {
		o.Grace = 2 * time.Second
	}
	if o.HazardRate == 0 {
		o.HazardRate = 2
	}
	if o.HazardCause == 0 {
		o.HazardCause = 99
	}
	if o.HazardRadiusM == 0 {
		o.HazardRadiusM = hazard.DefaultRadiusM
		if d, ok := hazard.CauseTable[o.HazardCause]; ok && d.RadiusM > 0 {
			o.HazardRadiusM = d.RadiusM
		}
	}
	if o.HazardValidity == 0 {
		o.HazardValidity = 60 * time.Second
	}
	if o.HazardSpacingM == 0 {
		o.HazardSpacingM = 250
	}
	if o.Center == (geo.Point{}) {
		o.Center = geo.Point{Lat: 45.76, Lon: 4.84}
	}
	if o.AreaKm == 0 {
		o.AreaKm = 5
	}
	if o.Seed == 0 {
		o.Seed = 1
	}
	if o.Writers == 0 {
		o.Writers = runtime.GOMAXPROCS(0)
	}
	if o.ConnectParallel == 0 {
		o.ConnectParallel = 64
	}
	if o.Root == "" {
		o.Root = "michi"
	}
	if o.Zoom == 0 {
		o.Zoom = 16
	}
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
}

func (o *Options) alertQoS() byte {
	if o.AlertQoS0 {
		return 0
	}
	return 1
}

// Hazards is the number of hazards a run injects.
func (o *Options) Hazards() int {
	return int(math.Floor(o.HazardRate*o.Duration.Seconds() + 1e-9))
}

// Validate reports every problem at once. It applies the defaults first.
func (o *Options) Validate() error {
	o.setDefaults()
	var errs []error
	bad := func(format string, a ...any) { errs = append(errs, fmt.Errorf(format, a...)) }
	if !slices.Contains(Transports, o.Transport) {
		bad("transport %q: want one of %v", o.Transport, Transports)
	}
	if o.Vehicles < 1 || o.Vehicles > 100_000 {
		bad("vehicles %d: want 1 … 100000", o.Vehicles)
	}
	if o.RateHz < 0.1 || o.RateHz > 100 {
		bad("rate %g Hz: want 0.1 … 100 (a vehicle also keeps its MQTT session alive by publishing)", o.RateHz)
	}
	switch o.CAMRules {
	case CAMRulesFixed:
	case CAMRulesETSI:
		if o.Transport == QUIC {
			bad("cam rules %q: not yet on the native transport (its vehicles send a pre-encoded datagram); use an MQTT transport", o.CAMRules)
		}
	default:
		bad("cam rules %q: want %q or %q", o.CAMRules, CAMRulesFixed, CAMRulesETSI)
	}
	if o.Duration < time.Second || o.Warmup < 0 || o.Grace < 0 {
		bad("duration %s ≥ 1s, warmup %s and grace %s ≥ 0", o.Duration, o.Warmup, o.Grace)
	}
	if o.HazardRate < 0 || o.HazardRate > 1000 {
		bad("hazard rate %g/s: want 0 … 1000", o.HazardRate)
	}
	if o.HazardRadiusM <= 0 || o.HazardRadiusM > 10_000 || o.HazardSpacingM <= 0 {
		bad("hazard radius %g m: want 0 … 10000; spacing %g m > 0", o.HazardRadiusM, o.HazardSpacingM)
	}
	if o.HazardValidity < time.Second || o.HazardValidity > 24*time.Hour {
		bad("hazard validity %s: want 1s … 24h", o.HazardValidity)
	}
	if !o.Center.Valid() || math.Abs(o.Center.Lat) > 80 {
		bad("center %v: want a valid point within ±80° latitude", o.Center)
	}
	if o.AreaKm <= 0 || o.AreaKm > 200 {
		bad("area %g km: want 0 … 200", o.AreaKm)
	}
	if o.Writers < 1 || o.ConnectParallel < 1 {
		bad("writers %d and connect parallelism %d: want ≥ 1", o.Writers, o.ConnectParallel)
	}
	if o.Zoom < 1 || o.Zoom > geo.MaxZoom {
		bad("zoom %d: want 1 … %d", o.Zoom, geo.MaxZoom)
	}
	if len(errs) == 0 {
		if slots := slotCount(o); o.Hazards() > slots {
			bad("%d hazards (%g/s × %s) need as many slots %g m apart, but the %g km area has %d: lower the rate or the duration, or enlarge the area",
				o.Hazards(), o.HazardRate, o.Duration, o.HazardSpacingM, o.AreaKm, slots)
		}
	}
	return errors.Join(errs...)
}
