package hazard

import (
	"errors"
	"fmt"
	"time"
)

// Options configures a Manager. The zero value of every field means "the default".
type Options struct {
	// StationID is the edge's ETSI station id, the originating_station_id of every action_id.
	StationID uint32 `yaml:"station_id"`
	// FirstSequence is the first sequence number handed out; 0 = 1.
	FirstSequence uint16 `yaml:"first_sequence"`
	// Reserve, if set, lets sequence numbers outlive the process, so that a restarted edge never
	// gives a new hazard the action id of one vehicles and the hub still know. Before handing out
	// (or skipping) the first number of each block of ReserveBlock, the manager calls it with the
	// number after the block; the caller stores that durably and, on its next start, Resumes from
	// it. It runs under the manager's lock, once per ReserveBlock hazards.
	Reserve func(next uint16) `yaml:"-"`
	// MergeRadiusM: a new finding joins an active hazard of the same cause this close;
	// default 50 m. CauseTable entries may set a smaller radius per cause (97, 12).
	MergeRadiusM float64 `yaml:"merge_radius_m"`
	// MaxOppositeLateralM: findings whose headings differ by more than 90° (the two directions
	// of a road) still merge when they lie at most this far apart across the road — one event
	// on an undivided road seen from both sides — and stay apart beyond (the two carriageways of
	// a divided road); default 5 m, negative: never. As detect.ReportsOptions.MaxOppositeLateralM.
	MaxOppositeLateralM float64 `yaml:"max_opposite_lateral_m"`
	// ClearAfter: a key absent from its detector's rounds this long is dropped; default 3 s.
	ClearAfter time.Duration `yaml:"clear_after"`
	// DefaultValidity of a hazard whose finding and cause set none; default 600 s (ETSI default).
	DefaultValidity time.Duration `yaml:"default_validity"`
	// RefreshEvery: an active hazard is re-published this long after its last version;
	// default 0 = half of each hazard's validity.
	RefreshEvery time.Duration `yaml:"refresh_every"`
	// MoveThresholdM: a position change larger than this is published; default 5 m.
	MoveThresholdM float64 `yaml:"move_threshold_m"`
	// HeadingThresholdDeg: a heading change larger than this is published; default 20°.
	HeadingThresholdDeg float64 `yaml:"heading_threshold_deg"`
	// History: how many ended hazards Recent and Get remember; default 64, negative = none.
	History int `yaml:"history"`
	// Causes replaces the built-in CauseTable entry of a cause entirely (zero fields of the
	// replacement take the Options defaults).
	Causes map[uint8]CauseDefaults `yaml:"causes"`
}

func (o *Options) setDefaults() {
	if o.FirstSequence == 0 {
		o.FirstSequence = 1
	}
	if o.MergeRadiusM == 0 {
		o.MergeRadiusM = 50
	}
	if o.MaxOppositeLateralM == 0 {
		o.MaxOppositeLateralM = 5
	}
	if o.ClearAfter == 0 {
		o.ClearAfter = 3 * time.Second
	}
	if o.DefaultValidity == 0 {
		o.DefaultValidity = 600 * time.Second
	}
	if o.MoveThresholdM == 0 {
		o.MoveThresholdM = 5
	}
	if o.HeadingThresholdDeg == 0 {
		o.HeadingThresholdDeg = 20
	}
	if o.History == 0 {
		o.History = 64
	}
}

// Validate reports every problem with the options at once. It applies the defaults first.
func (o *Options) Validate() error {
	o.setDefaults()
	var errs []error
	bad := func(format string, a ...any) { errs = append(errs, fmt.Errorf(format, a...)) }
	if o.StationID == 0 {
		bad("station_id: must be set (the edge originates its hazards under it)")
	}
	if o.MergeRadiusM < 0 {
		bad("merge_radius_m %g: must not be negative", o.MergeRadiusM)
	}
	if o.ClearAfter < 0 {
		bad("clear_after %s: must not be negative", o.ClearAfter)
	}
	if o.DefaultValidity < time.Second || o.DefaultValidity > 86400*time.Second {
		bad("default_validity %s: want 1 s … 86400 s (ETSI validity_duration)", o.DefaultValidity)
	}
	if o.RefreshEvery < 0 {
		bad("refresh_every %s: must not be negative", o.RefreshEvery)
	}
	if o.MoveThresholdM < 0 || o.HeadingThresholdDeg < 0 || o.HeadingThresholdDeg > 180 {
		bad("move_threshold_m %g / heading_threshold_deg %g: want ≥ 0 and heading ≤ 180",
			o.MoveThresholdM, o.HeadingThresholdDeg)
	}
	for c, d := range o.Causes {
		if d.RadiusM < 0 || d.MergeRadiusM < 0 || d.Validity < 0 || d.Direction > 3 {
			bad("causes[%d]: radius, merge radius and validity must not be negative, direction 0…3", c)
		}
	}
	return errors.Join(errs...)
}
