package sim

import (
	"fmt"
	"time"
)

// Kind names an injectable hazard.
type Kind string

// The hazards a scenario can inject.
const (
	// StoppedVehicle: a connected car stands still in its lane from Start (a breakdown); the
	// edge's stationary-vehicle detector (cause 94) should find it from its own CAMs.
	StoppedVehicle Kind = "stopped_vehicle"
	// WrongWay: a connected car enters the carriageway at the place and drives against the
	// traffic at Speed; the edge's wrong-way detector (cause 14) should find it.
	WrongWay Kind = "wrong_way"
	// Obstacle: an object blocks the lane; connected vehicles that see it (within SightM,
	// ahead) report a DENM with cause 10, and roadside sensors perceive it.
	Obstacle Kind = "obstacle"
	// SlipperyRoad: a stretch of RadiusM; the first Reporters connected vehicles through it
	// report a DENM with cause 6 (adhesion), as two independent reports are what the edge needs.
	SlipperyRoad Kind = "slippery_road"
	// Pedestrian: a person walks to and fro across the road at the place; only roadside
	// sensors see them (CPM), and the edge's human-presence detector (cause 12) should find it.
	Pedestrian Kind = "pedestrian"
	// RoadWorks: the road authority publishes a DENM with cause 3 at Start (and its
	// cancellation at the end); with CloseLane the snapped lane is closed over LengthM.
	RoadWorks Kind = "road_works"
	// SlowVehicle is not injected by the model: a SUMO incident (a vehicle crawling at a few
	// m/s). No detector exists for it (cause 26 is not raised by the edge).
	SlowVehicle Kind = "slow_vehicle"
)

// Kinds lists every kind in a stable order.
var Kinds = []Kind{StoppedVehicle, WrongWay, Obstacle, SlipperyRoad, Pedestrian, RoadWorks}

// Cause is the DENM cause code the hazard is about.
func (k Kind) Cause() uint8 {
	switch k {
	case StoppedVehicle:
		return 94
	case WrongWay:
		return 14
	case Obstacle:
		return 10
	case SlipperyRoad:
		return 6
	case Pedestrian:
		return 12
	case RoadWorks:
		return 3
	}
	return 0
}

// EdgeCauses are the causes of the edge hazards that count as detecting this kind.
func (k Kind) EdgeCauses() []uint8 {
	switch k {
	case StoppedVehicle:
		return []uint8{94, 91, 2}
	case SlipperyRoad:
		return []uint8{6, 9}
	case SlowVehicle:
		return nil
	}
	return []uint8{k.Cause()}
}

// HazardSpec is one injected hazard. Zero fields take their defaults.
type HazardSpec struct {
	ID    string        `yaml:"id"` // default "<kind>-<index>"
	Kind  Kind          `yaml:"kind"`
	At    Place         `yaml:"at"`
	Start time.Duration `yaml:"start"` // since the beginning of the run
	// Duration until the hazard ends; 0 = until the end of the run.
	Duration time.Duration `yaml:"duration"`
	// HeadingDeg chooses the carriageway the place snaps to (the direction of the affected
	// traffic); without it the nearest lane is taken. In external (SUMO) mode it is the
	// direction of the affected traffic, or of every direction when unset.
	HeadingDeg *float64 `yaml:"heading_deg"`
	SpeedMPS   float64  `yaml:"speed"`     // wrong_way: 25 m/s; pedestrian: 1.2 m/s
	RadiusM    float64  `yaml:"radius_m"`  // slippery_road: stretch radius, 60 m; road_works: DENM awareness radius, 0 = the edge decides
	Reporters  int      `yaml:"reporters"` // obstacle, slippery_road: vehicles that report it, 2
	SightM     float64  `yaml:"sight_m"`   // obstacle: on-board sensor range, 150 m
	CloseLane  bool     `yaml:"close_lane"`
	LengthM    float64  `yaml:"length_m"` // road_works closure, 100 m; pedestrian: width walked across, 7 m
}

func (h *HazardSpec) setDefaults(i int) {
	if h.ID == "" {
		h.ID = fmt.Sprintf("%s-%d", h.Kind, i)
	}
	if h.SpeedMPS == 0 {
		h.SpeedMPS = map[Kind]float64{WrongWay: 25, Pedestrian: 1.2}[h.Kind]
	}
	if h.RadiusM == 0 && h.Kind == SlipperyRoad {
		h.RadiusM = 60
	}
	if h.Reporters == 0 {
		h.Reporters = 2
	}
	if h.SightM == 0 {
		h.SightM = 150
	}
	if h.LengthM == 0 {
		h.LengthM = map[Kind]float64{RoadWorks: 100, Pedestrian: 7}[h.Kind]
	}
}

func (h *HazardSpec) validate(path string, i int, c *Config) []error {
	h.setDefaults(i)
	var errs []error
	bad := func(field, format string, a ...any) {
		errs = append(errs, &FieldError{Path: path + field, Msg: fmt.Sprintf(format, a...)})
	}
	if h.Kind.Cause() == 0 {
		bad(".kind", "%q: want one of %v", h.Kind, Kinds)
	}
	if !h.At.valid() {
		bad(".at", "give x and y (metres from the origin), or lat and lon")
	}
	if h.Start < 0 || h.Duration < 0 {
		bad(".start", "start and duration must not be negative")
	}
	if h.Kind == WrongWay && c.External {
		bad(".kind", "wrong_way needs a model road (it drives along a lane), not SUMO vehicles")
	}
	if (h.Kind == WrongWay || h.Kind == Pedestrian) && (h.SpeedMPS <= 0 || h.SpeedMPS > 70) {
		bad(".speed", "%g: want 0 … 70 m/s", h.SpeedMPS)
	}
	if h.RadiusM < 0 || h.Reporters < 0 || h.SightM <= 0 || h.LengthM < 0 {
		bad("", "radius_m, reporters, sight_m and length_m must not be negative")
	}
	if h.CloseLane && h.Kind != RoadWorks {
		bad(".close_lane", "only road_works close a lane")
	}
	for j := range i {
		if c.Hazards[j].ID == h.ID {
			bad(".id", "%q is used twice", h.ID)
		}
	}
	return errs
}

// Hazard is an injected hazard as the engine runs it.
type Hazard struct {
	Spec       HazardSpec
	Index      int
	Pos        Vec     // where it is now (a wrong-way driver and a pedestrian move)
	Heading    float64 // direction of the affected traffic, when HasHeading
	HasHeading bool
	Active     bool
	Ended      bool
	Lane       int // the lane it sits on, -1 for none
	S          float64
	Actor      int // the vehicle of a stopped_vehicle or wrong_way, -1 for none
	reported   map[int]bool
	pedOffset  float64 // pedestrian: metres from the walk's centre, across the road
	pedDir     float64 // +1 / -1
	pedAxis    Vec
	centre     Vec
}

// Reached reports whether a vehicle at p heading h has reached the hazard: it is within reachM
// of it and, when the hazard concerns one direction, drives in that direction (within 60°).
func (hz *Hazard) Reached(p Vec, heading, reachM float64) bool {
	if p.Dist(hz.Pos) > reachM {
		return false
	}
	return !hz.HasHeading || angleDiff(heading, hz.Heading) <= 60
}

// blocks reports whether the hazard occupies its lane now, and over what length.
func (hz *Hazard) blocks() (float64, bool) {
	if !hz.Active || hz.Lane < 0 {
		return 0, false
	}
	switch hz.Spec.Kind {
	case Obstacle:
		return 2, true
	case Pedestrian:
		return 1, true
	case RoadWorks:
		return hz.Spec.LengthM, hz.Spec.CloseLane
	}
	return 0, false
}
