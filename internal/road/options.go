package road

import (
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/michi-v2x/michi/pkg/geo"
)

// Options configures the model. Zero = default.
type Options struct {
	// CellM is the side of a cell; default 2 m (a lane is 3–3.5 m wide).
	CellM float64 `yaml:"cell_m"`
	// MinPasses: a cell is known after this many passes; default 6.
	MinPasses int `yaml:"min_passes"`
	// MoveSpeedMPS: vehicles at least this fast teach the flow; default 2 m/s.
	MoveSpeedMPS float64 `yaml:"move_speed_mps"`
	// SlowSpeedMPS: passes slower than this mark a place where traffic routinely slows (a yield
	// line, the end of a ramp, a queue zone); default 5 m/s.
	SlowSpeedMPS float64 `yaml:"slow_speed_mps"`
	// EpisodeGap: stops in one place further apart than this are separate episodes; default 15 s.
	EpisodeGap time.Duration `yaml:"episode_gap"`
	// MaxCells caps the model's memory (about 105 bytes a cell); the least recently used cells
	// go first. Default 1<<20 (≈ 500 km of two-lane road).
	MaxCells int `yaml:"max_cells"`
	// Path is where Save writes the model and Load reads it; "" keeps it in memory only.
	Path string `yaml:"path"`
	// Map seeds the model from a road network: a SUMO .net.xml or a GeoJSON file (LoadMap).
	Map string `yaml:"map"`
	// MapOrigin places a SUMO network without a geo-projection: network (0,0) is here.
	MapOrigin geo.Point `yaml:"map_origin"`
}

func (o *Options) setDefaults() {
	if o.CellM == 0 {
		o.CellM = 2
	}
	if o.MinPasses == 0 {
		o.MinPasses = 6
	}
	if o.MoveSpeedMPS == 0 {
		o.MoveSpeedMPS = 2
	}
	if o.SlowSpeedMPS == 0 {
		o.SlowSpeedMPS = 5
	}
	if o.EpisodeGap == 0 {
		o.EpisodeGap = 15 * time.Second
	}
	if o.MaxCells == 0 {
		o.MaxCells = 1 << 20
	}
}

// Validate reports every problem at once; it applies the defaults first.
func (o *Options) Validate() error {
	o.setDefaults()
	var errs []error
	if o.CellM < 0.5 || o.CellM > 10 {
		errs = append(errs, fmt.Errorf("road.cell_m %g: want 0.5…10", o.CellM))
	}
	if o.MinPasses < 1 || o.MaxCells < 1 {
		errs = append(errs, fmt.Errorf("road.min_passes %d, max_cells %d: want ≥ 1", o.MinPasses, o.MaxCells))
	}
	if o.Map != "" {
		if _, err := os.Stat(o.Map); err != nil {
			errs = append(errs, fmt.Errorf("road.map: %w", err))
		}
	}
	if o.MoveSpeedMPS < 0 || o.EpisodeGap < 0 || o.SlowSpeedMPS < 0 {
		errs = append(errs, fmt.Errorf("road.move_speed_mps, slow_speed_mps and episode_gap must not be negative"))
	}
	return errors.Join(errs...)
}
