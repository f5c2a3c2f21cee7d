package hazard

import (
	"time"

	"github.com/michi-v2x/michi/pkg/v2x"
)

// CauseDefaults are the defaults for hazards of one DENM cause code. Zero fields fall back to
// the Options (radius DefaultRadiusM, merge radius MergeRadiusM, validity DefaultValidity).
type CauseDefaults struct {
	RadiusM      float64              `yaml:"radius_m"`       // relevance radius
	Direction    v2x.TrafficDirection `yaml:"direction"`      // 0 all, 1 upstream, 2 downstream, 3 opposite
	MergeRadiusM float64              `yaml:"merge_radius_m"` // 0 = Options.MergeRadiusM
	Validity     time.Duration        `yaml:"validity"`       // 0 = Options.DefaultValidity
}

// DefaultRadiusM is the relevance radius of a cause the table does not list.
const DefaultRadiusM = 500

// CauseTable holds the built-in per-cause defaults. "upstream" means the alert is for the traffic
// that is still to reach the event, in the direction of the hazard's heading (for 14 the heading
// of the legitimate flow the wrong-way driver is heading into). Causes the edge derives itself
// from fast-changing conditions (12, 14, 27, 97, 98) get a short validity: they are refreshed for
// as long as the condition lasts, and vanish quickly at the receivers if the edge goes silent.
// Point-like, dense conditions (12, 97, 98) merge only within 10 m, so two pedestrians or two
// conflicts at one junction stay two hazards.
//
//	cause                      radius   direction  merge   validity
//	 1 trafficCondition        1000 m   upstream   50 m    600 s
//	 2 accident                1000 m   upstream   50 m    600 s
//	 3 roadworks               1000 m   upstream   50 m    600 s
//	 5 impassability           1000 m   upstream   50 m    600 s
//	 6 adhesion (slippery)      500 m   all        50 m    600 s
//	 7 aquaplaning              500 m   all        50 m    600 s
//	 9 surfaceCondition         500 m   all        50 m    600 s
//	10 obstacle                 500 m   upstream   50 m    600 s
//	11 animal                   300 m   all        50 m    600 s
//	12 humanPresenceOnTheRoad   300 m   all        10 m     60 s
//	14 wrongWayDriving         1000 m   upstream   50 m     60 s
//	15 rescueAndRecovery       1000 m   upstream   50 m    600 s
//	17 extremeWeather          2000 m   all        50 m    600 s
//	18 visibility              1000 m   all        50 m    600 s
//	19 precipitation           1000 m   all        50 m    600 s
//	26 slowVehicle              500 m   upstream   50 m    600 s
//	27 dangerousEndOfQueue     1000 m   upstream   50 m    120 s
//	91 vehicleBreakdown         500 m   upstream   50 m    600 s
//	92 postCrash               1000 m   upstream   50 m    600 s
//	93 humanProblem             500 m   upstream   50 m    600 s
//	94 stationaryVehicle        500 m   upstream   50 m    600 s
//	95 emergencyVehicle         500 m   all        50 m    600 s
//	96 dangerousCurve           500 m   upstream   50 m    600 s
//	97 collisionRisk            200 m   all        10 m     10 s
//	98 signalViolation          200 m   all        10 m     10 s
//	99 dangerousSituation       300 m   all        50 m    600 s
//	any other cause             500 m   all        50 m    600 s
var CauseTable = map[uint8]CauseDefaults{
	1:  {RadiusM: 1000, Direction: v2x.DirectionUpstream},
	2:  {RadiusM: 1000, Direction: v2x.DirectionUpstream},
	3:  {RadiusM: 1000, Direction: v2x.DirectionUpstream},
	5:  {RadiusM: 1000, Direction: v2x.DirectionUpstream},
	6:  {RadiusM: 500, Direction: v2x.DirectionAll},
	7:  {RadiusM: 500, Direction: v2x.DirectionAll},
	9:  {RadiusM: 500, Direction: v2x.DirectionAll},
	10: {RadiusM: 500, Direction: v2x.DirectionUpstream},
	11: {RadiusM: 300, Direction: v2x.DirectionAll},
	12: {RadiusM: 300, Direction: v2x.DirectionAll, MergeRadiusM: 10, Validity: 60 * time.Second},
	14: {RadiusM: 1000, Direction: v2x.DirectionUpstream, Validity: 60 * time.Second},
	15: {RadiusM: 1000, Direction: v2x.DirectionUpstream},
	17: {RadiusM: 2000, Direction: v2x.DirectionAll},
	18: {RadiusM: 1000, Direction: v2x.DirectionAll},
	19: {RadiusM: 1000, Direction: v2x.DirectionAll},
	26: {RadiusM: 500, Direction: v2x.DirectionUpstream},
	27: {RadiusM: 1000, Direction: v2x.DirectionUpstream, Validity: 120 * time.Second},
	91: {RadiusM: 500, Direction: v2x.DirectionUpstream},
	92: {RadiusM: 1000, Direction: v2x.DirectionUpstream},
	93: {RadiusM: 500, Direction: v2x.DirectionUpstream},
	94: {RadiusM: 500, Direction: v2x.DirectionUpstream},
	95: {RadiusM: 500, Direction: v2x.DirectionAll},
	96: {RadiusM: 500, Direction: v2x.DirectionUpstream},
	97: {RadiusM: 200, Direction: v2x.DirectionAll, MergeRadiusM: 10, Validity: 10 * time.Second},
	98: {RadiusM: 200, Direction: v2x.DirectionAll, MergeRadiusM: 10, Validity: 10 * time.Second},
	99: {RadiusM: 300, Direction: v2x.DirectionAll},
}

// causeDefaults resolves the defaults of a cause: Options.Causes, then CauseTable, then the
// Options-wide defaults for whatever is still zero.
func (o *Options) causeDefaults(cause uint8) CauseDefaults {
	d, ok := o.Causes[cause]
	if !ok {
		d = CauseTable[cause]
	}
	if d.RadiusM == 0 {
		d.RadiusM = DefaultRadiusM
	}
	if d.MergeRadiusM == 0 {
		d.MergeRadiusM = o.MergeRadiusM
	}
	if d.Validity == 0 {
		d.Validity = o.DefaultValidity
	}
	return d
}

// Quality is the ETSI InformationQuality (0 unavailable, 1 lowest … 7 highest) of a hazard backed
// by n independent sources: 1 source → 1, each further independent source adds 1, capped at 7.
// Independent means a distinct source string; detectors name stations "station:<id>", so one
// station seen by two detectors (its own DENM and the stationary detector) counts once.
func Quality(n int) uint8 {
	switch {
	case n < 1:
		return 1 // a finding always has at least its detector as a source
	case n > 7:
		return 7
	}
	return uint8(n)
}
