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
)

// CauseCollisionRisk is DENM cause 97, with its sub-causes (ETSI TS 102 894-2 CollisionRiskSubCauseCode).
const (
	CauseCollisionRisk   = 97
	SubCauseLongitudinal = 1
	SubCauseCrossing     = 2
	SubCauseVRU          = 4 // collision risk involving a vulnerable road user
)

// CollisionOptions configures the collision-risk detector. Zero = default.
type CollisionOptions struct {
	MinDistM    float64       `yaml:"min_dist_m"`    // closest approach below this is a risk; default 2 m
	MaxTTC      time.Duration `yaml:"max_ttc"`       // within this time; default 3 s
	MinSpeedMPS float64       `yaml:"min_speed_mps"` // slower objects count as standing; default 0.5 m/s
	MaxSpeedMPS float64       `yaml:"max_speed_mps"` // faster claims are implausible and ignored; default 70 m/s
}

func (o *CollisionOptions) setDefaults() {
	if o.MinDistM == 0 {
		o.MinDistM = 2
	}
	if o.MaxTTC == 0 {
		o.MaxTTC = 3 * time.Second
	}
	if o.MinSpeedMPS == 0 {
		o.MinSpeedMPS = 0.5
	}
	if o.MaxSpeedMPS == 0 {
		o.MaxSpeedMPS = 70
	}
}

// Validate reports every problem at once; it applies the defaults first.
func (o *CollisionOptions) Validate() error {
	o.setDefaults()
	var errs []error
	positive(&errs, "collision.min_dist_m", o.MinDistM)
	positive(&errs, "collision.min_speed_mps", o.MinSpeedMPS)
	if o.MaxTTC < 0 || o.MaxSpeedMPS <= o.MinSpeedMPS {
		errs = append(errs, fmt.Errorf("collision: want max_ttc ≥ 0 and max_speed_mps > min_speed_mps"))
	}
	return errors.Join(errs...)
}

// Collision flags pairs of tracked objects (vehicles and perceived objects, pedestrians
// included) that, moving on at constant velocity, come closer than MinDistM within MaxTTC: the
// classic closest point of approach. At least one of the two must move; an object that moves
// without a known heading has no predictable path and is left out. Each moving object looks only
// at neighbours within (its speed + the fastest speed in the scene) × MaxTTC, so a round is
// linear in the number of objects for a given density. The finding sits at the predicted
// meeting point, without heading (all directions); its key is the sorted pair of object keys.
type Collision struct {
	o  CollisionOptions
	mu sync.Mutex
	sc scene
}

// NewCollision builds the detector.
func NewCollision(o CollisionOptions) *Collision {
	o.setDefaults()
	return &Collision{o: o}
}

// Name is "collision".
func (d *Collision) Name() string { return NameCollision }

// Detect implements Detector.
func (d *Collision) Detect(_ time.Time, m *ldm.Map) []hazard.Finding {
	d.mu.Lock()
	defer d.mu.Unlock()
	o := d.o
	d.sc.build(m, func(ob *ldm.Object) bool {
		moving := ob.SpeedMPS >= o.MinSpeedMPS
		return ob.SpeedMPS <= o.MaxSpeedMPS && (!moving || ob.HeadingOK)
	}, 50)
	acts := d.sc.actors
	vmax := 0.0
	for i := range acts {
		if a := &acts[i]; a.speed < o.MinSpeedMPS {
			a.vx, a.vy = 0, 0 // standing: no path to predict
		} else {
			vmax = max(vmax, a.speed)
		}
	}
	T := o.MaxTTC.Seconds()
	min2 := o.MinDistM * o.MinDistM
	var out []hazard.Finding
	for i := range acts {
		a := &acts[i]
		if a.speed < o.MinSpeedMPS {
			continue // pairs with a standing object are looked at from the moving one
		}
		reach := (a.speed+vmax)*T + o.MinDistM
		d.sc.near(a.x, a.y, reach, func(j int) bool {
			b := &acts[j]
			if j == i || (b.speed >= o.MinSpeedMPS && j < i) { // each moving pair once
				return true
			}
			rx, ry := b.x-a.x, b.y-a.y
			if rx*rx+ry*ry > reach*reach {
				return true
			}
			wx, wy := b.vx-a.vx, b.vy-a.vy
			w2 := wx*wx + wy*wy
			if w2 < 1e-6 {
				return true // same velocity: the gap does not change
			}
			t := -(rx*wx + ry*wy) / w2
			if t <= 0 || t > T {
				return true // moving apart, or meeting too late to matter
			}
			cx, cy := rx+wx*t, ry+wy*t
			if cx*cx+cy*cy >= min2 {
				return true
			}
			out = append(out, d.finding(m, a, b, t))
			return true
		})
	}
	return out
}

func (d *Collision) finding(m *ldm.Map, a, b *actor, t float64) hazard.Finding {
	ka, kb := keyOf(a), keyOf(b)
	if kb < ka {
		ka, kb = kb, ka
	}
	mx := (a.x + a.vx*t + b.x + b.vx*t) / 2
	my := (a.y + a.vy*t + b.y + b.vy*t) / 2
	sub := uint8(SubCauseLongitudinal)
	switch {
	case vulnerable(a.kind) || vulnerable(b.kind):
		sub = SubCauseVRU
	case a.speed >= d.o.MinSpeedMPS && b.speed >= d.o.MinSpeedMPS:
		if diff := geo.AngleDiff(a.heading, b.heading); diff > 30 && diff < 150 {
			sub = SubCauseCrossing
		}
	}
	src := append(sourcesOf(m, a.id), sourcesOf(m, b.id)...)
	slices.Sort(src)
	return hazard.Finding{
		Key: ka + "|" + kb, Cause: CauseCollisionRisk, SubCause: sub,
		Pos: d.sc.toPoint(mx, my), Sources: slices.Compact(src),
	}
}

func vulnerable(k ldm.Kind) bool { return k == ldm.KindPedestrian || k == ldm.KindCyclist }
