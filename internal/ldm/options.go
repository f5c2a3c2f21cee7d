package ldm

import (
	"errors"
	"fmt"
	"time"
)

// Options configures a Map. The zero value of every field means "the default"; New applies the
// defaults and also puts them in place of invalid values (which Validate reports).
type Options struct {
	// VehicleTTL: a vehicle's own CAM counts this long; default 5 s. After it, its self source is
	// dropped (and the object with it, unless sensors still see it).
	VehicleTTL time.Duration `yaml:"vehicle_ttl"`
	// ObjectTTL: a sensor's sighting (CPM) counts this long; default 2 s.
	ObjectTTL time.Duration `yaml:"object_ttl"`
	// FusionGateM: a perceived object this close to a track of a compatible kind, after
	// predicting the track to the sighting's time, is the same object; default 3 m.
	FusionGateM float64 `yaml:"fusion_gate_m"`
	// FusionSpeedGateMPS: when both velocities are known, their speeds differ at most this
	// much; default 5 m/s.
	FusionSpeedGateMPS float64 `yaml:"fusion_speed_gate_mps"`
	// FusionHeadingGateDeg: when both velocities are known and both move faster than
	// 2·StopSpeedMPS, their headings differ at most this much; default 45°.
	FusionHeadingGateDeg float64 `yaml:"fusion_heading_gate_deg"`
	// StopSpeedMPS: below it an object is stopped (StoppedSince is set); default 0.5 m/s.
	StopSpeedMPS float64 `yaml:"stop_speed_mps"`
	// RoadSpeedMPS: vehicles faster than this teach the map where the road is; default 2 m/s.
	RoadSpeedMPS float64 `yaml:"road_speed_mps"`
	// RoadTTL: a road cell no vehicle has crossed for this long is forgotten; default 1 h.
	RoadTTL time.Duration `yaml:"road_ttl"`
	// RoadZoom: road cells are quadkey tiles of this zoom; default 22 (≈ 9.5 m·cos(lat) square,
	// 6.4 m at 48°).
	RoadZoom int `yaml:"road_zoom"`
	// RoadMaxCells caps the road memory; default 1<<19 cells (≈ 3,000 lane-km at zoom 22,
	// ≈ 12 MiB). At the cap the stalest cells are evicted first.
	RoadMaxCells int `yaml:"road_max_cells"`
}

func (o *Options) setDefaults() {
	def := func(v *time.Duration, d time.Duration) {
		if *v <= 0 {
			*v = d
		}
	}
	deff := func(v *float64, d float64) {
		if !(*v > 0) {
			*v = d
		}
	}
	def(&o.VehicleTTL, 5*time.Second)
	def(&o.ObjectTTL, 2*time.Second)
	def(&o.RoadTTL, time.Hour)
	deff(&o.FusionGateM, 3)
	deff(&o.FusionSpeedGateMPS, 5)
	deff(&o.FusionHeadingGateDeg, 45)
	deff(&o.StopSpeedMPS, 0.5)
	deff(&o.RoadSpeedMPS, 2)
	if o.RoadZoom < 10 || o.RoadZoom > 23 {
		o.RoadZoom = 22
	}
	if o.RoadMaxCells <= 0 {
		o.RoadMaxCells = 1 << 19
	}
}

// Validate reports every problem at once: negative values (New would silently replace them by
// the defaults), a heading gate beyond 180° and a road zoom outside 10..23.
func (o Options) Validate() error {
	var errs []error
	bad := func(format string, a ...any) { errs = append(errs, fmt.Errorf(format, a...)) }
	for _, d := range []struct {
		name string
		v    time.Duration
	}{{"vehicle_ttl", o.VehicleTTL}, {"object_ttl", o.ObjectTTL}, {"road_ttl", o.RoadTTL}} {
		if d.v < 0 {
			bad("%s %s: must not be negative", d.name, d.v)
		}
	}
	for _, f := range []struct {
		name string
		v    float64
	}{
		{"fusion_gate_m", o.FusionGateM}, {"fusion_speed_gate_mps", o.FusionSpeedGateMPS},
		{"fusion_heading_gate_deg", o.FusionHeadingGateDeg}, {"stop_speed_mps", o.StopSpeedMPS},
		{"road_speed_mps", o.RoadSpeedMPS},
	} {
		if f.v < 0 || f.v != f.v {
			bad("%s %g: must not be negative", f.name, f.v)
		}
	}
	if o.FusionHeadingGateDeg > 180 {
		bad("fusion_heading_gate_deg %g: at most 180", o.FusionHeadingGateDeg)
	}
	if o.RoadZoom != 0 && (o.RoadZoom < 10 || o.RoadZoom > 23) {
		bad("road_zoom %d: want 10..23", o.RoadZoom)
	}
	if o.RoadMaxCells < 0 {
		bad("road_max_cells %d: must not be negative", o.RoadMaxCells)
	}
	return errors.Join(errs...)
}
