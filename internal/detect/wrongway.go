package detect

import (
	"errors"
	"fmt"
	"math"
	"sync"
	"time"

	"github.com/michi-v2x/michi/internal/hazard"
	"github.com/michi-v2x/michi/internal/ldm"
	"github.com/michi-v2x/michi/internal/road"
	"github.com/michi-v2x/michi/pkg/geo"
	"github.com/michi-v2x/michi/pkg/v2x"
)

// CauseWrongWayDriving is DENM cause 14.
const CauseWrongWayDriving = 14

// WrongWayOptions configures the wrong-way detector. Zero = default.
type WrongWayOptions struct {
	MinSpeedMPS float64 `yaml:"min_speed_mps"` // only vehicles at least this fast; default 3 m/s
	// MinAgainstShare: a place counts as "against the flow" when at least this share of the
	// traffic the model saw there went the opposite way; default 0.8.
	MinAgainstShare float64 `yaml:"min_against_share"`
	// MaxAlongShare: … and at most this share went the vehicle's way; default 0.05.
	MaxAlongShare float64 `yaml:"max_along_share"`
	// MinDistM and MinRounds: a vehicle is flagged after it has travelled this far against the
	// flow over this many consecutive rounds; default 40 m and 5 rounds (1 s at the edge's
	// 200 ms rounds).
	MinDistM  float64 `yaml:"min_dist_m"`
	MinRounds int     `yaml:"min_rounds"`
	// JunctionM: travel within this distance of a junction area neither adds nor resets (turning
	// traffic crosses every direction there); default 12 m.
	JunctionM float64 `yaml:"junction_m"`
	// ClearDistM: a flagged vehicle is cleared after it has travelled this far with the flow;
	// default 60 m.
	ClearDistM float64 `yaml:"clear_dist_m"`
}

func (o *WrongWayOptions) setDefaults() {
	defaultTo(&o.MinSpeedMPS, 3)
	defaultTo(&o.MinAgainstShare, 0.8)
	defaultTo(&o.MaxAlongShare, 0.05)
	defaultTo(&o.MinDistM, 40)
	defaultTo(&o.JunctionM, 12)
	defaultTo(&o.ClearDistM, 60)
	if o.MinRounds == 0 {
		o.MinRounds = 5
	}
}

// Validate reports every problem at once; it applies the defaults first.
func (o *WrongWayOptions) Validate() error {
	o.setDefaults()
	var errs []error
	for name, v := range map[string]float64{"min_speed_mps": o.MinSpeedMPS, "min_dist_m": o.MinDistM,
		"junction_m": o.JunctionM, "clear_dist_m": o.ClearDistM} {
		positive(&errs, "wrongway."+name, v)
	}
	if o.MinAgainstShare <= 0 || o.MinAgainstShare > 1 || o.MaxAlongShare < 0 || o.MaxAlongShare >= o.MinAgainstShare {
		errs = append(errs, fmt.Errorf("wrongway: want 0 ≤ max_along_share (%g) < min_against_share (%g) ≤ 1", o.MaxAlongShare, o.MinAgainstShare))
	}
	if o.MinRounds < 1 {
		errs = append(errs, fmt.Errorf("wrongway.min_rounds %d: want ≥ 1", o.MinRounds))
	}
	return errors.Join(errs...)
}

// WrongWay flags a vehicle travelling against the flow the road model learned, in either
// handedness and on any road shape, with no rule about which side traffic keeps to: a place is
// against a vehicle's heading when the model knows it and at least MinAgainstShare of the traffic
// there went the opposite way and at most MaxAlongShare went the vehicle's way. A vehicle is
// flagged once it has travelled MinDistM against the flow over MinRounds consecutive rounds;
// travel near a junction area (where turning traffic crosses every direction) or over places the
// model does not know neither adds nor resets. It stays flagged until it has travelled ClearDistM
// with the flow, leaves the map, or slows below MinSpeedMPS for the hazard manager's clear time,
// so one wrong-way trip is one hazard. The finding sits at the vehicle with the heading of the
// traffic it drives into (its own heading + 180°) and direction upstream.
type WrongWay struct {
	o     WrongWayOptions
	model *road.Model
	mu    sync.Mutex
	sc    scene
	state map[uint64]*wrongState // by LDM id
}

type wrongState struct {
	last    geo.Point
	dist    float64 // against the flow, consecutive
	rounds  int
	with    float64 // with the flow since flagged
	flagged bool
	round   uint64
}

// NewWrongWay builds the detector over a road model (nil: an empty one, which holds back).
func NewWrongWay(o WrongWayOptions, model *road.Model) *WrongWay {
	o.setDefaults()
	if model == nil {
		model = road.New(road.Options{})
	}
	return &WrongWay{o: o, model: model, state: map[uint64]*wrongState{}}
}

// Name is "wrongway".
func (d *WrongWay) Name() string { return NameWrongWay }

// Detect implements Detector.
func (d *WrongWay) Detect(now time.Time, m *ldm.Map) []hazard.Finding {
	d.mu.Lock()
	defer d.mu.Unlock()
	o := d.o
	d.sc.build(m, func(ob *ldm.Object) bool {
		return ob.Kind == ldm.KindVehicle && ob.HeadingOK && ob.SpeedMPS >= o.MinSpeedMPS
	}, 100)
	round := uint64(now.UnixNano())
	var out []hazard.Finding
	for i := range d.sc.actors {
		a := &d.sc.actors[i]
		st := d.state[a.id]
		if st == nil {
			st = &wrongState{last: a.pos}
			d.state[a.id] = st
		}
		st.round = round
		moved := geo.Distance(st.last, a.pos)
		st.last = a.pos
		f := d.model.Flow(a.pos, a.heading)
		switch {
		case !f.Known:
		case f.Against >= o.MinAgainstShare && f.Along <= o.MaxAlongShare:
			if !d.model.Junction(a.pos, o.JunctionM) {
				st.dist += moved
				st.rounds++
				st.with = 0
			}
		case f.Along >= 0.3:
			st.dist, st.rounds = 0, 0
			if st.flagged {
				if st.with += moved; st.with >= o.ClearDistM {
					st.flagged = false
				}
			}
		}
		if st.dist >= o.MinDistM && st.rounds >= o.MinRounds {
			st.flagged = true
		}
		if !st.flagged {
			continue
		}
		out = append(out, hazard.Finding{
			Key: keyOf(a), Cause: CauseWrongWayDriving, Pos: a.pos,
			HeadingDeg: math.Mod(a.heading+180, 360), HasHeading: true, Direction: v2x.DirectionUpstream,
			Sources: sourcesOf(m, a.id),
		})
	}
	for id, st := range d.state { // forget vehicles that left the scene
		if st.round != round {
			delete(d.state, id)
		}
	}
	return out
}
