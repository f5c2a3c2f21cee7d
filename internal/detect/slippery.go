package detect

import (
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/michi-v2x/michi/internal/hazard"
	"github.com/michi-v2x/michi/internal/ldm"
)

// DENM causes of a slippery road: 6 adhesion, 9 surfaceCondition.
const (
	CauseAdhesion         = 6
	CauseSurfaceCondition = 9
)

var slipperyCauses = []uint8{CauseAdhesion, CauseSurfaceCondition}

// SlipperyOptions configures the slippery-road detector. Zero = default.
type SlipperyOptions struct {
	// Causes handled; nil = 6 (adhesion) and 9 (surfaceCondition). ReportsOptions.ExcludeCauses
	// defaults to the same list, so each cause has one owner.
	Causes []uint8 `yaml:"causes"`
	// MinSources: independent reporters that must report the condition; default 2. Reporters
	// are credentials (Report.Reporter: a named source, or a fleet token's source), not the
	// station ids they claim; without credentials, stations.
	MinSources int `yaml:"min_sources"`
	// ClusterRadiusM: reports this close to a cluster's first report are one stretch; default 200 m
	// (a slippery stretch is long, and vehicles report where they slipped).
	ClusterRadiusM float64 `yaml:"cluster_radius_m"`
	// RoadsideNeedsConfirmation: by default a single trusted reporter — a sensor's or an
	// authority's credential (Report.Trusted), or on an edge without credentials a roadside
	// station (type 15, e.g. a road weather station) — is believed on its own; set this to count
	// it like any other reporter. A vehicle credential claiming station type 15 is a vehicle.
	RoadsideNeedsConfirmation bool `yaml:"roadside_needs_confirmation"`
}

func (o *SlipperyOptions) setDefaults() {
	if o.Causes == nil {
		o.Causes = slices.Clone(slipperyCauses)
	}
	if o.MinSources == 0 {
		o.MinSources = 2
	}
	if o.ClusterRadiusM == 0 {
		o.ClusterRadiusM = 200
	}
}

// Validate reports every problem at once; it applies the defaults first.
func (o *SlipperyOptions) Validate() error {
	o.setDefaults()
	var errs []error
	positive(&errs, "slippery.cluster_radius_m", o.ClusterRadiusM)
	if o.MinSources < 1 {
		errs = append(errs, fmt.Errorf("slippery.min_sources %d: want ≥ 1", o.MinSources))
	}
	return errors.Join(errs...)
}

// Slippery is the adverse-road-condition detector over the Reports store. One vehicle that
// slipped may have had bald tyres, so unlike other reports a slippery-road report (cause 6 or 9)
// becomes a hazard only when MinSources independent reporters (credentials, not the station ids
// they claim) report it within ClusterRadiusM, or when a trusted one does (a sensor or an
// authority; unless RoadsideNeedsConfirmation). Findings carry one source per reporter, so
// quality rises with each further independent confirmation.
type Slippery struct {
	o     SlipperyOptions
	store *Reports
	cl    clusterer // guarded by store.mu
}

// NewSlippery builds the detector over store.
func NewSlippery(store *Reports, o SlipperyOptions) *Slippery {
	o.setDefaults()
	return &Slippery{o: o, store: store, cl: newClusterer(o.ClusterRadiusM, store.o.MaxHeadingDiffDeg, store.o.MaxOppositeLateralM)}
}

// Name is "slippery".
func (d *Slippery) Name() string { return NameSlippery }

// Detect implements Detector; the map is not used.
func (d *Slippery) Detect(now time.Time, _ *ldm.Map) []hazard.Finding {
	d.store.mu.Lock()
	defer d.store.mu.Unlock()
	reps := d.store.active(now, func(c uint8) bool { return slices.Contains(d.o.Causes, c) })
	return d.cl.round(reps, d.confirmed)
}

func (d *Slippery) confirmed(ms []*stored) bool {
	n, trusted := distinctReporters(ms)
	return n >= d.o.MinSources || trusted && !d.o.RoadsideNeedsConfirmation
}
