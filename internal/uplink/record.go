package uplink

import (
	"fmt"
	"math"
	"time"

	"github.com/michi-v2x/michi/pkg/geo"
	"github.com/michi-v2x/michi/pkg/v2x"
)

// Kind is what a Record carries. The zero value is invalid.
type Kind uint8

// Record kinds. Under pressure the queue drops KindTraffic and KindHealth oldest-first and never
// drops KindHazard (see Queue).
const (
	KindHazard  Kind = 1 // a hazard lifecycle event
	KindTraffic Kind = 2 // a per-tile, per-minute traffic aggregate
	KindHealth  Kind = 3 // the edge's health
)

func (k Kind) String() string {
	switch k {
	case KindHazard:
		return "hazard"
	case KindTraffic:
		return "traffic"
	case KindHealth:
		return "health"
	}
	return fmt.Sprintf("kind(%d)", uint8(k))
}

// Valid reports whether k is one of the defined kinds.
func (k Kind) Valid() bool { return k >= KindHazard && k <= KindHealth }

// Record is one thing an edge tells the hub. Seq is per edge, starts at 1, strictly increasing
// and never reused (the queue persists its high-water mark), so the hub stores each
// (EdgeID, Seq) exactly once. Seqs may have gaps: records dropped under pressure leave them.
//
// EdgeID may be left empty when appending: the hub fills it in from the edge's verified client
// certificate, and refuses a batch whose records name another edge.
//
// Exactly one of Hazard, Traffic and Health is set, the one Kind names.
type Record struct {
	EdgeID  string            `msgpack:"edge_id,omitempty"`
	Seq     uint64            `msgpack:"seq"`
	Kind    Kind              `msgpack:"kind"`
	At      time.Time         `msgpack:"at"`
	Hazard  *HazardEvent      `msgpack:"hazard,omitempty"`
	Traffic *TrafficAggregate `msgpack:"traffic,omitempty"`
	Health  *Health           `msgpack:"health,omitempty"`
}

// Hazard lifecycle event names (HazardEvent.Event), matching internal/hazard's event kinds.
const (
	EventCreated    = "created"
	EventUpdated    = "updated"
	EventTerminated = "terminated"
	EventExpired    = "expired"
)

// HazardEvent is a hazard's lifecycle step at the edge, in SI units (degrees, metres).
type HazardEvent struct {
	ActionID   v2x.ActionID `msgpack:"action_id"`
	Event      string       `msgpack:"event"` // EventCreated, EventUpdated, EventTerminated, EventExpired
	Cause      uint8        `msgpack:"cause"`
	SubCause   uint8        `msgpack:"sub_cause"`
	Lat        float64      `msgpack:"lat"`
	Lon        float64      `msgpack:"lon"`
	RadiusM    float64      `msgpack:"radius_m"`
	HeadingDeg *float64     `msgpack:"heading_deg,omitempty"`
	Quality    uint8        `msgpack:"quality"`
	Sources    []string     `msgpack:"sources,omitempty"`
	Detection  time.Time    `msgpack:"detection"`
	Reference  time.Time    `msgpack:"reference"`
	Expiry     time.Time    `msgpack:"expiry"`
	Authority  string       `msgpack:"authority,omitempty"` // the AuthorityHazard.ID when it came from the hub
}

// TrafficAggregate is the traffic an edge saw on one zoom-16 tile during one minute.
type TrafficAggregate struct {
	Quadkey      string    `msgpack:"quadkey"` // zoom 16
	Minute       time.Time `msgpack:"minute"`  // start of the minute, UTC
	Count        int       `msgpack:"count"`
	MeanSpeedMPS float64   `msgpack:"mean_speed_mps"`
}

// Health is a snapshot of an edge node's state. Coverage is the area the edge serves; the hub
// routes authority hazards by it. It is encoded with geo.Box's field names (Min, Max, Lat, Lon).
// Clients counts MQTT connections and native sessions (vehicles, sensors, tools); Vehicles the
// self-reporting vehicles in the LDM. AlertP50Ms and AlertP99Ms are the edge hand-off (the
// edge's part of alert latency, internal/alertlatency) over the interval, 0 without alerts; the
// wire keeps their old names.
type Health struct {
	Clients       int     `msgpack:"clients"`
	Vehicles      int     `msgpack:"vehicles"`
	Objects       int     `msgpack:"objects"`
	ActiveHazards int     `msgpack:"active_hazards"`
	IngestPerS    float64 `msgpack:"ingest_per_s"`
	AlertP50Ms    float64 `msgpack:"alert_p50_ms"`
	AlertP99Ms    float64 `msgpack:"alert_p99_ms"`
	QueueDepth    int     `msgpack:"queue_depth"`
	Coverage      geo.Box `msgpack:"coverage"`
}

// Validate checks what the queue and the hub rely on: a known kind with exactly its payload
// set. It does not check Seq, which the queue assigns.
func (r *Record) Validate() error {
	if !r.Kind.Valid() {
		return fmt.Errorf("%w: unknown kind %d", ErrBadRecord, r.Kind)
	}
	set := 0
	for _, p := range []bool{r.Hazard != nil, r.Traffic != nil, r.Health != nil} {
		if p {
			set++
		}
	}
	var ok bool
	switch r.Kind {
	case KindHazard:
		ok = r.Hazard != nil
		if ok && (!finite(r.Hazard.Lat, r.Hazard.Lon, r.Hazard.RadiusM)) {
			return fmt.Errorf("%w: hazard position or radius not finite", ErrBadRecord)
		}
	case KindTraffic:
		ok = r.Traffic != nil
	case KindHealth:
		ok = r.Health != nil
	}
	if !ok || set != 1 {
		return fmt.Errorf("%w: kind %s needs exactly its own payload (%d set)", ErrBadRecord, r.Kind, set)
	}
	return nil
}

func finite(vs ...float64) bool {
	for _, v := range vs {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return false
		}
	}
	return true
}

// AuthorityHazard is a road authority's hazard (road works, closures, weather) that the hub
// sends down to the edges whose coverage it touches. ID identifies it across updates: the edge
// treats a hazard it receives again with the same ID as a replacement (upsert), and Terminate
// as its end.
type AuthorityHazard struct {
	ID         string        `msgpack:"id"`
	Cause      uint8         `msgpack:"cause"`
	SubCause   uint8         `msgpack:"sub_cause"`
	Lat        float64       `msgpack:"lat"`
	Lon        float64       `msgpack:"lon"`
	RadiusM    float64       `msgpack:"radius_m"`
	HeadingDeg *float64      `msgpack:"heading_deg,omitempty"`
	Start      time.Time     `msgpack:"start"`
	Validity   time.Duration `msgpack:"validity"` // nanoseconds on the wire
	Terminate  bool          `msgpack:"terminate,omitempty"`
	Issuer     string        `msgpack:"issuer,omitempty"`
}

// Validate checks the fields an edge needs to act on the hazard.
func (h *AuthorityHazard) Validate() error {
	if h.ID == "" {
		return fmt.Errorf("%w: authority hazard without id", ErrBadRecord)
	}
	if !finite(h.Lat, h.Lon, h.RadiusM) || !(geo.Point{Lat: h.Lat, Lon: h.Lon}).Valid() || h.RadiusM < 0 {
		return fmt.Errorf("%w: authority hazard %s: bad position or radius", ErrBadRecord, h.ID)
	}
	if h.Validity < 0 {
		return fmt.Errorf("%w: authority hazard %s: negative validity", ErrBadRecord, h.ID)
	}
	return nil
}
