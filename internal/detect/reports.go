package detect

import (
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/michi-v2x/michi/internal/hazard"
	"github.com/michi-v2x/michi/internal/ldm"
	"github.com/michi-v2x/michi/pkg/geo"
	"github.com/michi-v2x/michi/pkg/v2x"
)

// Report is the SI form of a received DENM (a vehicle's or a roadside station's).
type Report struct {
	From v2x.ActionID // the reporter's own action_id
	// Reporter is whom the report counts as when independent reporters are counted: the identity
	// of the credential it came with (auth.Grant.Identity), however many station ids that
	// credential uses. "" (an edge without credentials, an in-process producer): its station.
	Reporter string
	// Trusted: it came with a credential trusted to speak alone (a sensor's or an authority's),
	// which confirms what otherwise needs independent confirmation (Slippery). Without a Reporter
	// a roadside station type stands for it.
	Trusted              bool
	StationID            uint32
	StationType          uint8 // 15 = roadside unit (e.g. a weather station)
	Cause, SubCause      uint8
	Pos                  geo.Point // event position
	HeadingDeg           float64
	HasHeading           bool
	Detection, Reference time.Time
	Validity             time.Duration // 0 = ReportsOptions.DefaultValidity
	Terminated           bool          // a termination (cancellation or negation) of From
}

// stationTypeRSU is the ETSI station type of a roadside unit.
const stationTypeRSU = 15

// reportID identifies a stored report: its reporter and its action_id. One action_id from two
// reporters is two reports, so no one can update or cancel another's.
type reportID struct {
	reporter string
	from     v2x.ActionID
}

func (r *Report) id() reportID { return reportID{r.Reporter, r.From} }

// independent is whom r counts as among a cluster's independent reporters.
func (r *Report) independent() string {
	if r.Reporter != "" {
		return r.Reporter
	}
	return stationSource(r.StationID)
}

// trusted says whether r confirms on its own: a trusted credential's, or without credentials a
// roadside station's.
func (r *Report) trusted() bool {
	if r.Reporter != "" {
		return r.Trusted
	}
	return r.StationType == stationTypeRSU
}

// ReportsOptions configures the report store and the reports detector. Zero = default.
type ReportsOptions struct {
	// ClusterRadiusM: reports of one cause within this distance of a cluster's first report are
	// one event; default 100 m.
	ClusterRadiusM float64 `yaml:"cluster_radius_m"`
	// MaxHeadingDiffDeg: reports whose event headings differ by at most this much are of one
	// direction of travel; default 90°. Reports whose headings differ more are one event only
	// when they face each other (see MaxOppositeLateralM).
	MaxHeadingDiffDeg float64 `yaml:"max_heading_diff_deg"`
	// MaxOppositeLateralM: reports facing each other (one's heading reversed is within
	// MaxHeadingDiffDeg of the other's) are one event when their positions lie at most this far
	// apart across the road their headings give, and two (one per carriageway) when farther;
	// default 5 m, negative = never one event. Reporters from the two directions of an undivided
	// road place one obstacle at most a lane-centre distance apart (2.75–3.75 m) plus their
	// positioning error; the inner lanes of a divided motorway are 6.5 m or more apart, centre to
	// centre. 5 m lies between, with 1.25–1.5 m of margin for positioning error on either side.
	// Roads with a narrow median (a 2+1 road's cable barrier: lane centres 4.5–5 m apart) want
	// about 4 m; a road with a wide painted centre about 6 m.
	MaxOppositeLateralM float64 `yaml:"max_opposite_lateral_m"`
	// ExcludeCauses are left to other detectors over the same store; nil = the slippery
	// detector's causes (6, 9), which need independent confirmation.
	ExcludeCauses []uint8 `yaml:"exclude_causes"`
	// MaxReports bounds the store; when full the report expiring first is dropped; default 10000.
	MaxReports int `yaml:"max_reports"`
	// DefaultValidity of a report that carries none; default 600 s (the ETSI default).
	DefaultValidity time.Duration `yaml:"default_validity"`
}

func (o *ReportsOptions) setDefaults() {
	if o.ClusterRadiusM == 0 {
		o.ClusterRadiusM = 100
	}
	if o.MaxHeadingDiffDeg == 0 {
		o.MaxHeadingDiffDeg = 90
	}
	if o.MaxOppositeLateralM == 0 {
		o.MaxOppositeLateralM = 5
	}
	if o.ExcludeCauses == nil {
		o.ExcludeCauses = slices.Clone(slipperyCauses)
	}
	if o.MaxReports == 0 {
		o.MaxReports = 10000
	}
	if o.DefaultValidity == 0 {
		o.DefaultValidity = 600 * time.Second
	}
}

// Validate reports every problem at once; it applies the defaults first.
func (o *ReportsOptions) Validate() error {
	o.setDefaults()
	var errs []error
	positive(&errs, "reports.cluster_radius_m", o.ClusterRadiusM)
	if o.MaxHeadingDiffDeg < 0 || o.MaxHeadingDiffDeg > 180 || o.MaxReports < 1 || o.DefaultValidity < 0 {
		errs = append(errs, fmt.Errorf("reports: want max_heading_diff_deg 0…180, max_reports ≥ 1, default_validity ≥ 0"))
	}
	return errors.Join(errs...)
}

// Reports stores the DENMs the edge receives, one per reporter and action_id (the newest
// reference_time wins; a termination removes the event, remembered until its expiry so that a
// late older version cannot bring it back; expired reports are dropped), and is itself the
// "reports" detector: it clusters the active reports of each cause (ClusterRadiusM, and by
// direction: MaxHeadingDiffDeg, MaxOppositeLateralM) into one finding per event, whose key stays
// the event's for its life (see clusterer) and whose Sources are the distinct reporters, each
// named by its lowest station ("station:<id>"), so two vehicles reporting one breakdown — also
// from both directions of an undivided road — make one hazard of quality 2, and one credential
// reporting it under eight station ids a hazard of quality 1. A report is accepted on its
// own: one report is enough for every cause but those in ExcludeCauses (6 and 9, see Slippery).
// A cluster that disappears (its reports cancelled or expired) yields a Terminate finding at once.
//
// Safe for concurrent use: Add and the detectors over the store share one mutex.
type Reports struct {
	o    ReportsOptions
	mu   sync.Mutex
	reps map[reportID]*stored
	cl   clusterer
}

type stored struct {
	Report
	expiry time.Time
	dead   bool // terminated: a tombstone until expiry
}

// NewReports builds an empty store.
func NewReports(o ReportsOptions) *Reports {
	o.setDefaults()
	return &Reports{
		o: o, reps: make(map[reportID]*stored),
		cl: newClusterer(o.ClusterRadiusM, o.MaxHeadingDiffDeg, o.MaxOppositeLateralM),
	}
}

// Name is "reports".
func (r *Reports) Name() string { return NameReports }

// Add stores a received report at time now.
func (r *Reports) Add(now time.Time, rep Report) {
	if rep.Validity <= 0 {
		rep.Validity = r.o.DefaultValidity
	}
	if rep.Detection.IsZero() {
		rep.Detection = rep.Reference
	}
	exp := rep.Detection.Add(rep.Validity)
	r.mu.Lock()
	defer r.mu.Unlock()
	old := r.reps[rep.id()]
	if old != nil && (rep.Reference.Before(old.Reference) || old.dead && !rep.Reference.After(old.Reference)) {
		return // an older version, or a repetition of the termination
	}
	if !now.Before(exp) || !rep.Pos.Valid() {
		if old != nil && !now.Before(exp) {
			delete(r.reps, rep.id()) // the newest version says it is over
		}
		return
	}
	if old == nil && len(r.reps) >= r.o.MaxReports {
		r.prune(now)
		if len(r.reps) >= r.o.MaxReports {
			r.evictFirstExpiring()
		}
	}
	r.reps[rep.id()] = &stored{Report: rep, expiry: exp, dead: rep.Terminated}
}

// Snapshot returns every stored report, terminations among them, oldest reference first: what
// Add needs to rebuild the store after a restart.
func (r *Reports) Snapshot() []Report {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make([]Report, 0, len(r.reps))
	for _, s := range r.reps {
		out = append(out, s.Report)
	}
	slices.SortFunc(out, func(a, b Report) int { return a.Reference.Compare(b.Reference) })
	return out
}

// Len is the number of active (not terminated) reports.
func (r *Reports) Len() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	n := 0
	for _, s := range r.reps {
		if !s.dead {
			n++
		}
	}
	return n
}

// Detect implements Detector; the map is not used.
func (r *Reports) Detect(now time.Time, _ *ldm.Map) []hazard.Finding {
	r.mu.Lock()
	defer r.mu.Unlock()
	reps := r.active(now, func(c uint8) bool { return !slices.Contains(r.o.ExcludeCauses, c) })
	return r.cl.round(reps, func([]*stored) bool { return true })
}

// active drops expired reports and returns the live ones whose cause is wanted. Under r.mu.
func (r *Reports) active(now time.Time, want func(cause uint8) bool) []*stored {
	r.prune(now)
	var out []*stored
	for _, s := range r.reps {
		if !s.dead && want(s.Cause) {
			out = append(out, s)
		}
	}
	return out
}

func (r *Reports) prune(now time.Time) {
	for id, s := range r.reps {
		if !now.Before(s.expiry) {
			delete(r.reps, id)
		}
	}
}

func (r *Reports) evictFirstExpiring() {
	var first *stored
	for _, s := range r.reps {
		if first == nil || s.expiry.Before(first.expiry) {
			first = s
		}
	}
	if first != nil {
		delete(r.reps, first.id())
	}
}
