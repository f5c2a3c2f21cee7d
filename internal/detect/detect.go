package detect

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
	"time"

	"github.com/michi-v2x/michi/internal/hazard"
	"github.com/michi-v2x/michi/internal/ldm"
	"github.com/michi-v2x/michi/internal/road"
)

// Detector finds one kind of hazard in the Local Dynamic Map.
type Detector interface {
	Name() string
	// Detect returns the detector's full round of findings at time now.
	Detect(now time.Time, m *ldm.Map) []hazard.Finding
}

// Names of the detectors.
const (
	NameReports    = "reports"
	NameSlippery   = "slippery"
	NameStationary = "stationary"
	NameWrongWay   = "wrongway"
	NameEndOfQueue = "endofqueue"
	NameCollision  = "collision"
	NameHuman      = "human"
)

// Options configures the standard set of detectors Build makes.
type Options struct {
	Reports    ReportsOptions    `yaml:"reports"`
	Slippery   SlipperyOptions   `yaml:"slippery"`
	Stationary StationaryOptions `yaml:"stationary"`
	WrongWay   WrongWayOptions   `yaml:"wrongway"`
	EndOfQueue EndOfQueueOptions `yaml:"endofqueue"`
	Collision  CollisionOptions  `yaml:"collision"`
	Human      HumanOptions      `yaml:"human"`
	// Disable lists detector names to leave out (e.g. "wrongway").
	Disable []string `yaml:"disable"`
	// Enable lists detectors that are off by default to run all the same (see OffByDefault).
	Enable []string `yaml:"enable"`
}

// OffByDefault lists the detectors Build leaves out unless Options.Enable names them.
// Collision risk is one: a constant-velocity closest approach cannot tell a real conflict from
// the routine crossing, merging and car-following of a junction, so on road networks with
// junctions its alerts were almost all phantoms (see docs/detection.md).
func OffByDefault() []string { return []string{NameCollision} }

// Validate reports every problem with the options at once. It applies the defaults first.
func (o *Options) Validate() error {
	errs := []error{
		o.Reports.Validate(), o.Slippery.Validate(), o.Stationary.Validate(), o.WrongWay.Validate(),
		o.EndOfQueue.Validate(), o.Collision.Validate(), o.Human.Validate(),
	}
	for _, n := range append(slices.Clone(o.Disable), o.Enable...) {
		if !slices.Contains(Names(), n) {
			errs = append(errs, fmt.Errorf("disable/enable: unknown detector %q (have %v)", n, Names()))
		}
	}
	return errors.Join(errs...)
}

// Names lists every detector Build knows, in the order it runs them.
func Names() []string {
	return []string{NameReports, NameSlippery, NameStationary, NameWrongWay, NameEndOfQueue, NameCollision, NameHuman}
}

// Build makes the report store and the standard detectors: those over the store (reports,
// slippery: run them after every Add and in every round) and those over the LDM (run them in
// every detection round), the latter leaning on the road model. Disabled detectors, and those
// off by default that Enable does not name, are left out; the store always exists.
func Build(o Options, model *road.Model) (store *Reports, overReports, overLDM []Detector) {
	on := func(name string) bool {
		if slices.Contains(o.Disable, name) {
			return false
		}
		return !slices.Contains(OffByDefault(), name) || slices.Contains(o.Enable, name)
	}
	if o.Reports.ExcludeCauses == nil { // each cause has one owner: slippery's are not the reports detector's
		so := o.Slippery
		so.setDefaults()
		o.Reports.ExcludeCauses = so.Causes
	}
	store = NewReports(o.Reports)
	if on(NameReports) {
		overReports = append(overReports, store)
	}
	if on(NameSlippery) {
		overReports = append(overReports, NewSlippery(store, o.Slippery))
	}
	if on(NameStationary) {
		overLDM = append(overLDM, NewStationary(o.Stationary, model))
	}
	if on(NameWrongWay) {
		overLDM = append(overLDM, NewWrongWay(o.WrongWay, model))
	}
	if on(NameEndOfQueue) {
		overLDM = append(overLDM, NewEndOfQueue(o.EndOfQueue, model))
	}
	if on(NameCollision) {
		overLDM = append(overLDM, NewCollision(o.Collision))
	}
	if on(NameHuman) {
		overLDM = append(overLDM, NewHuman(o.Human))
	}
	return store, overReports, overLDM
}

// stationSource names a station as an independent source.
func stationSource(id uint32) string { return "station:" + strconv.FormatUint(uint64(id), 10) }

// objectKey is an object's identity for a detector key: its station when it reports itself,
// else its LDM id.
func objectKey(o *ldm.Object) string {
	if o.StationID != 0 {
		return stationSource(o.StationID)
	}
	return "obj:" + strconv.FormatUint(o.ID, 10)
}

// objectSources are the stations that saw an object: itself (when it reports itself) and every
// sensor station that perceived it, sorted, each once.
func objectSources(o *ldm.Object) []string {
	out := make([]string, 0, len(o.Sources)+1)
	if o.StationID != 0 {
		out = append(out, stationSource(o.StationID))
	}
	for _, s := range o.Sources {
		if s.StationID != 0 {
			out = append(out, stationSource(s.StationID))
		}
	}
	if len(out) == 0 {
		out = append(out, objectKey(o))
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// sourcesOf looks an object up again (outside any map callback) for its sources.
func sourcesOf(m *ldm.Map, id uint64) []string {
	o, ok := m.Get(id)
	if !ok {
		return nil
	}
	return objectSources(&o)
}

// defaultTo sets *v to d when it is zero (an option left at its default).
func defaultTo(v *float64, d float64) {
	if *v == 0 {
		*v = d
	}
}

// positive reports a negative option as an error.
func positive(errs *[]error, name string, v float64) {
	if v < 0 {
		*errs = append(*errs, fmt.Errorf("%s %g: must not be negative", name, v))
	}
}

func sortedUnique(s []string) []string {
	slices.Sort(s)
	return slices.Compact(s)
}
