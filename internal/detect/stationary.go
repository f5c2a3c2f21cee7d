package detect

import (
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/michi-v2x/michi/internal/hazard"
	"github.com/michi-v2x/michi/internal/ldm"
	"github.com/michi-v2x/michi/pkg/geo"
	"github.com/michi-v2x/michi/pkg/v2x"
)

// CauseStationaryVehicle is DENM cause 94.
const CauseStationaryVehicle = 94

// StationaryOptions configures the stationary-vehicle detector. Zero = default.
type StationaryOptions struct {
	MinStopped        time.Duration `yaml:"min_stopped"`          // stopped at least this long; default 10 s
	RadiusM           float64       `yaml:"radius_m"`             // neighbourhood; default 200 m
	MaxHeadingDiffDeg float64       `yaml:"max_heading_diff_deg"` // "its direction"; default 45°
	MinNeighbours     int           `yaml:"min_neighbours"`       // vehicles in its direction; default 2
	MinMeanSpeedMPS   float64       `yaml:"min_mean_speed_mps"`   // their mean speed; default 3 m/s
}

func (o *StationaryOptions) setDefaults() {
	if o.MinStopped == 0 {
		o.MinStopped = 10 * time.Second
	}
	if o.RadiusM == 0 {
		o.RadiusM = 200
	}
	if o.MaxHeadingDiffDeg == 0 {
		o.MaxHeadingDiffDeg = 45
	}
	if o.MinNeighbours == 0 {
		o.MinNeighbours = 2
	}
	if o.MinMeanSpeedMPS == 0 {
		o.MinMeanSpeedMPS = 3
	}
}

// Validate reports every problem at once; it applies the defaults first.
func (o *StationaryOptions) Validate() error {
	o.setDefaults()
	var errs []error
	positive(&errs, "stationary.radius_m", o.RadiusM)
	positive(&errs, "stationary.min_mean_speed_mps", o.MinMeanSpeedMPS)
	if o.MinStopped < 0 || o.MinNeighbours < 0 || o.MaxHeadingDiffDeg < 0 || o.MaxHeadingDiffDeg > 180 {
		errs = append(errs, fmt.Errorf("stationary: min_stopped, min_neighbours ≥ 0, max_heading_diff_deg 0…180"))
	}
	return errors.Join(errs...)
}

// Stationary flags a self-reporting vehicle that has stood still for MinStopped while the traffic
// around it in its direction (within RadiusM, heading within MaxHeadingDiffDeg of its last
// heading, at least MinNeighbours vehicles) moves at a mean speed of MinMeanSpeedMPS or more:
// a broken-down or crashed car, not a car waiting in a queue or at a light. The finding carries
// the vehicle's heading and direction upstream; its key is the vehicle's station.
type Stationary struct {
	o  StationaryOptions
	mu sync.Mutex
	sc scene
}

// NewStationary builds the detector.
func NewStationary(o StationaryOptions) *Stationary {
	o.setDefaults()
	return &Stationary{o: o}
}

// Name is "stationary".
func (d *Stationary) Name() string { return NameStationary }

// Detect implements Detector.
func (d *Stationary) Detect(now time.Time, m *ldm.Map) []hazard.Finding {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.sc.build(m, func(o *ldm.Object) bool { return o.Kind == ldm.KindVehicle && o.HeadingOK }, d.o.RadiusM)
	var out []hazard.Finding
	r2 := d.o.RadiusM * d.o.RadiusM
	for i := range d.sc.actors {
		a := &d.sc.actors[i]
		if a.station == 0 || a.stopped.IsZero() || now.Sub(a.stopped) < d.o.MinStopped {
			continue
		}
		n, sum := 0, 0.0
		d.sc.near(a.x, a.y, d.o.RadiusM, func(j int) bool {
			q := &d.sc.actors[j]
			dx, dy := q.x-a.x, q.y-a.y
			if j == i || dx*dx+dy*dy > r2 || geo.AngleDiff(a.heading, q.heading) > d.o.MaxHeadingDiffDeg {
				return true
			}
			n++
			sum += q.speed
			return true
		})
		if n < d.o.MinNeighbours || n == 0 || sum/float64(n) < d.o.MinMeanSpeedMPS {
			continue
		}
		out = append(out, hazard.Finding{
			Key: stationSource(a.station), Cause: CauseStationaryVehicle, Pos: a.pos,
			HeadingDeg: a.heading, HasHeading: true, Direction: v2x.DirectionUpstream,
			Sources: sourcesOf(m, a.id),
		})
	}
	return out
}
