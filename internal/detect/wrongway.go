package detect

import (
	"errors"
	"fmt"
	"math"
	"sync"
	"time"

	"github.com/michi-v2x/michi/internal/hazard"
	"github.com/michi-v2x/michi/internal/ldm"
	"github.com/michi-v2x/michi/pkg/v2x"
)

// CauseWrongWayDriving is DENM cause 14.
const CauseWrongWayDriving = 14

// WrongWayOptions configures the wrong-way detector. Zero = default.
type WrongWayOptions struct {
	RightHandTraffic *bool   `yaml:"right_hand_traffic"` // default true (false: UK, Japan, …)
	CorridorM        float64 `yaml:"corridor_m"`         // neighbours up to this far ahead or behind; default 200 m
	LateralM         float64 `yaml:"lateral_m"`          // and this far to either side; default 15 m
	LaneWidthM       float64 `yaml:"lane_width_m"`       // default 3.5 m
	OncomingDeg      float64 `yaml:"oncoming_deg"`       // heading difference that counts as oncoming; default 150°
	SameDirDeg       float64 `yaml:"same_dir_deg"`       // heading difference that counts as same direction; default 30°
	MinSpeedMPS      float64 `yaml:"min_speed_mps"`      // subject and voters must move; default 3 m/s
	MinVotes         int     `yaml:"min_votes"`          // wrong-way votes needed; default 2
	// LegitOncomingWeight is what an oncoming neighbour clearly on the far side counts as a legit
	// vote; default 0.25 (see WrongWay).
	LegitOncomingWeight float64 `yaml:"legit_oncoming_weight"`
	// MinRounds: a vehicle is flagged after this many consecutive rounds as a candidate, so
	// position noise raises no alarm; default 5 (1 s at the edge's 200 ms rounds).
	MinRounds int `yaml:"min_rounds"`
	// HeadingNoiseDeg is the assumed error of the road axis between two vehicles (from their
	// CAM headings): a neighbour's lateral offset is uncertain by |along|·tan(HeadingNoiseDeg),
	// and an oncoming neighbour within that margin of the lane boundary does not vote; default 1°.
	HeadingNoiseDeg float64 `yaml:"heading_noise_deg"`
}

func (o *WrongWayOptions) setDefaults() {
	if o.RightHandTraffic == nil {
		t := true
		o.RightHandTraffic = &t
	}
	if o.CorridorM == 0 {
		o.CorridorM = 200
	}
	if o.LateralM == 0 {
		o.LateralM = 15
	}
	if o.LaneWidthM == 0 {
		o.LaneWidthM = 3.5
	}
	if o.OncomingDeg == 0 {
		o.OncomingDeg = 150
	}
	if o.SameDirDeg == 0 {
		o.SameDirDeg = 30
	}
	if o.MinSpeedMPS == 0 {
		o.MinSpeedMPS = 3
	}
	if o.MinVotes == 0 {
		o.MinVotes = 2
	}
	if o.LegitOncomingWeight == 0 {
		o.LegitOncomingWeight = 0.25
	}
	if o.MinRounds == 0 {
		o.MinRounds = 5
	}
	if o.HeadingNoiseDeg == 0 {
		o.HeadingNoiseDeg = 1
	}
}

// Validate reports every problem at once; it applies the defaults first.
func (o *WrongWayOptions) Validate() error {
	o.setDefaults()
	var errs []error
	for name, v := range map[string]float64{"corridor_m": o.CorridorM, "lateral_m": o.LateralM,
		"lane_width_m": o.LaneWidthM, "min_speed_mps": o.MinSpeedMPS} {
		positive(&errs, "wrongway."+name, v)
	}
	if o.SameDirDeg < 0 || o.SameDirDeg >= o.OncomingDeg || o.OncomingDeg > 180 {
		errs = append(errs, fmt.Errorf("wrongway: want 0 ≤ same_dir_deg (%g) < oncoming_deg (%g) ≤ 180", o.SameDirDeg, o.OncomingDeg))
	}
	if o.MinVotes < 1 || o.MinRounds < 1 {
		errs = append(errs, fmt.Errorf("wrongway.min_votes %d, min_rounds %d: want ≥ 1", o.MinVotes, o.MinRounds))
	}
	if o.HeadingNoiseDeg < 0 || o.HeadingNoiseDeg > 10 {
		errs = append(errs, fmt.Errorf("wrongway.heading_noise_deg %g: want 0…10", o.HeadingNoiseDeg))
	}
	if o.LegitOncomingWeight < 0 || o.LegitOncomingWeight > 1 {
		errs = append(errs, fmt.Errorf("wrongway.legit_oncoming_weight %g: want 0…1", o.LegitOncomingWeight))
	}
	return errors.Join(errs...)
}

// WrongWay flags a vehicle driving against the flow of the traffic around it, without a map, by
// the handedness rule. For every moving vehicle (the subject) it looks at the moving vehicles in
// a corridor ±CorridorM along the road and ±LateralM across it, and lets each vote:
//
//   - an oncoming neighbour (heading difference > OncomingDeg) in the subject's own lane or on the
//     side the subject should keep to (the right in right-hand traffic): one "wrong way" vote,
//     since legal oncoming traffic never passes there (an oncoming neighbour within
//     |along|·tan(HeadingNoiseDeg) of the lane boundary does not vote: at 200 m a degree of
//     heading error moves it by 3.5 m, a lane);
//   - an oncoming neighbour clearly on the other side (more than half a lane): LegitOncomingWeight
//     of a "legit" vote. It is weak evidence: legal oncoming traffic passes there, but so do the
//     other lanes of the opposite flow when a wrong-way driver keeps to the median-side lane of a
//     multi-lane carriageway (it then meets a third of that flow in its lane and two thirds on its
//     left). It still outweighs the odd oncoming car that position noise puts into a legal
//     driver's lane;
//   - a same-direction neighbour (difference ≤ SameDirDeg) in the subject's lane: one "legit" vote.
//
// Along and across are measured on the bisector of the two vehicles' directions of travel, the
// chord of a bend, so lanes keep their offsets on curved roads (on the subject's tangent alone a
// lane would drift by along²/2R), and heading noise counts half. A subject whose wrong-way votes
// reach MinVotes and exceed its legit votes is a candidate; it is flagged once it has been one for
// MinRounds consecutive rounds. A legal driver meets at most the wrong-way driver in its lane,
// one vote, below MinVotes.
//
// The rule needs lane-level positions. In simulation with CAM noise of σ 0.3–1 m across and
// σ 0.5–2° in heading on a two-lane road, the defaults raised no false alarm; with σ 1 m the
// wrong-way driver is found in about half as many rounds as with σ 0.3 m. The finding sits at the wrong-way vehicle with the heading of the
// traffic it drives into (its own heading + 180°) and direction upstream.
type WrongWay struct {
	o      WrongWayOptions
	mu     sync.Mutex
	sc     scene
	rounds map[uint64]int // consecutive rounds as a candidate, by LDM id
}

// NewWrongWay builds the detector.
func NewWrongWay(o WrongWayOptions) *WrongWay {
	o.setDefaults()
	return &WrongWay{o: o, rounds: map[uint64]int{}}
}

// Name is "wrongway".
func (d *WrongWay) Name() string { return NameWrongWay }

// Detect implements Detector.
func (d *WrongWay) Detect(_ time.Time, m *ldm.Map) []hazard.Finding {
	d.mu.Lock()
	defer d.mu.Unlock()
	o := d.o
	d.sc.build(m, func(ob *ldm.Object) bool {
		return ob.Kind == ldm.KindVehicle && ob.HeadingOK && ob.SpeedMPS >= o.MinSpeedMPS
	}, o.CorridorM/2)
	side := 1.0 // lateral sign of "the side one keeps to"
	if !*o.RightHandTraffic {
		side = -1
	}
	half := o.LaneWidthM / 2
	reach := math.Hypot(o.CorridorM, o.LateralM)
	cosOncoming := math.Cos(o.OncomingDeg * math.Pi / 180)
	cosSame := math.Cos(o.SameDirDeg * math.Pi / 180)
	tanNoise := math.Tan(o.HeadingNoiseDeg * math.Pi / 180)
	var out []hazard.Finding
	for i := range d.sc.actors {
		a := &d.sc.actors[i]
		var wrong, legit float64
		d.sc.near(a.x, a.y, reach, func(j int) bool {
			q := &d.sc.actors[j]
			dx, dy := q.x-a.x, q.y-a.y
			if j == i || dx*dx+dy*dy > reach*reach {
				return true
			}
			cos := a.ux*q.ux + a.uy*q.uy // cosine of the heading difference
			dir := 1.0                   // same direction
			switch {
			case cos < cosOncoming:
				dir = -1
			case cos < cosSame:
				return true // crossing traffic says nothing about lanes
			}
			// The road axis between the two: the bisector of a's heading and q's direction of
			// travel along the road (the chord of a bend).
			nx, ny := a.ux+dir*q.ux, a.uy+dir*q.uy
			n := math.Sqrt(nx*nx + ny*ny)
			along, lat := (dx*nx+dy*ny)/n, (dx*ny-dy*nx)/n
			if math.Abs(along) > o.CorridorM || math.Abs(lat) > o.LateralM {
				return true
			}
			lat *= side // > 0: the keep-to side
			margin := math.Abs(along) * tanNoise
			switch {
			case dir < 0 && lat > -half+margin:
				wrong++
			case dir < 0 && lat < -half-margin:
				legit += o.LegitOncomingWeight
			case dir > 0 && math.Abs(lat) <= half:
				legit++
			}
			return true
		})
		if wrong < float64(o.MinVotes) || wrong <= legit {
			delete(d.rounds, a.id)
			continue
		}
		if d.rounds[a.id]++; d.rounds[a.id] < o.MinRounds {
			continue
		}
		out = append(out, hazard.Finding{
			Key: keyOf(a), Cause: CauseWrongWayDriving, Pos: a.pos,
			HeadingDeg: math.Mod(a.heading+180, 360), HasHeading: true, Direction: v2x.DirectionUpstream,
			Sources: sourcesOf(m, a.id),
		})
	}
	if len(d.rounds) > 0 { // forget vehicles that left the scene
		seen := make(map[uint64]bool, len(d.rounds))
		for i := range d.sc.actors {
			if _, ok := d.rounds[d.sc.actors[i].id]; ok {
				seen[d.sc.actors[i].id] = true
			}
		}
		for id := range d.rounds {
			if !seen[id] {
				delete(d.rounds, id)
			}
		}
	}
	return out
}
