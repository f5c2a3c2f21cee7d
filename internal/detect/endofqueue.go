package detect

import (
	"cmp"
	"errors"
	"fmt"
	"math"
	"slices"
	"sync"
	"time"

	"github.com/michi-v2x/michi/internal/hazard"
	"github.com/michi-v2x/michi/internal/ldm"
	"github.com/michi-v2x/michi/internal/road"
	"github.com/michi-v2x/michi/pkg/geo"
	"github.com/michi-v2x/michi/pkg/v2x"
)

// CauseDangerousEndOfQueue is DENM cause 27.
const CauseDangerousEndOfQueue = 27

// EndOfQueueOptions configures the end-of-queue detector. Zero = default.
type EndOfQueueOptions struct {
	SlowSpeedMPS      float64 `yaml:"slow_speed_mps"`       // a queued vehicle is slower; default 3 m/s
	MinQueue          int     `yaml:"min_queue"`            // vehicles in a queue; default 3
	GapM              float64 `yaml:"gap_m"`                // max distance to the next queued vehicle; default 100 m
	MaxHeadingDiffDeg float64 `yaml:"max_heading_diff_deg"` // "same direction"; default 30°
	ApproachM         float64 `yaml:"approach_m"`           // look this far behind the tail; default 500 m
	ApproachSpeedMPS  float64 `yaml:"approach_speed_mps"`   // an approaching vehicle is this fast; default 22 m/s (80 km/h: fast roads)
	ApproachConeDeg   float64 `yaml:"approach_cone_deg"`    // and heads at the tail within this angle; default 20°
	// JunctionAheadM: a queue whose head stands this close before a junction area is traffic
	// waiting at the junction, not an end of queue to warn of; default 40 m.
	JunctionAheadM float64 `yaml:"junction_ahead_m"`
	// MinModelAge: the road model must have known the queue's place this long, so that a queue
	// that forms there every rush hour or at every merge is known as routine; default 10 min.
	MinModelAge time.Duration `yaml:"min_model_age"`
}

func (o *EndOfQueueOptions) setDefaults() {
	defaultTo(&o.SlowSpeedMPS, 3)
	defaultTo(&o.GapM, 100)
	defaultTo(&o.MaxHeadingDiffDeg, 30)
	defaultTo(&o.ApproachM, 500)
	defaultTo(&o.ApproachSpeedMPS, 22)
	defaultTo(&o.ApproachConeDeg, 20)
	defaultTo(&o.JunctionAheadM, 40)
	if o.MinQueue == 0 {
		o.MinQueue = 3
	}
	if o.MinModelAge == 0 {
		o.MinModelAge = 10 * time.Minute
	}
}

// Validate reports every problem at once; it applies the defaults first.
func (o *EndOfQueueOptions) Validate() error {
	o.setDefaults()
	var errs []error
	for name, v := range map[string]float64{"slow_speed_mps": o.SlowSpeedMPS, "gap_m": o.GapM,
		"approach_m": o.ApproachM, "approach_speed_mps": o.ApproachSpeedMPS, "junction_ahead_m": o.JunctionAheadM} {
		positive(&errs, "endofqueue."+name, v)
	}
	if o.MinQueue < 2 || o.MaxHeadingDiffDeg < 0 || o.MaxHeadingDiffDeg > 180 || o.ApproachConeDeg < 0 || o.ApproachConeDeg > 90 {
		errs = append(errs, fmt.Errorf("endofqueue: want min_queue ≥ 2, max_heading_diff_deg 0…180, approach_cone_deg 0…90"))
	}
	if o.MinModelAge < 0 {
		errs = append(errs, fmt.Errorf("endofqueue.min_model_age %s: must not be negative", o.MinModelAge))
	}
	if o.ApproachSpeedMPS <= o.SlowSpeedMPS {
		errs = append(errs, fmt.Errorf("endofqueue: approach_speed_mps %g must exceed slow_speed_mps %g", o.ApproachSpeedMPS, o.SlowSpeedMPS))
	}
	return errors.Join(errs...)
}

// EndOfQueue flags the tail of a queue that fast traffic is running into. A queue is a chain of at
// least MinQueue slow vehicles (< SlowSpeedMPS) heading the same way, each within GapM of the
// next. It is dangerous when a vehicle at ApproachSpeedMPS or faster, heading the same way and at
// the tail (within ApproachConeDeg), is behind the tail within ApproachM. The finding sits at the
// tail with the queue's heading and direction upstream. Its key follows the queue as vehicles
// join and leave: a queue inherits the key most of its members had in the previous round.
//
// The road model tells routine queues from dangerous ones: a queue is left alone when the model
// has not known its tail's place for MinModelAge (a fresh edge holds back: a queue that forms at
// a merge every rush hour looks like an incident until the model has seen that place flow and
// jam), when its head stands within
// JunctionAheadM before a junction area or crossing traffic moves within JunctionAheadM of its
// head (traffic waiting at a light or to turn), or when its head
// or tail stands in a routine stop zone (a stop line, a queue zone that fills and drains again
// and again) or where traffic routinely slows (a ramp end, a yield line).
type EndOfQueue struct {
	o     EndOfQueueOptions
	model *road.Model
	mu    sync.Mutex
	sc    scene
	prev  map[uint64]string // queued actor -> key of its queue last round
	next  map[uint64]string
}

// NewEndOfQueue builds the detector over a road model (nil: an empty one, which holds back).
func NewEndOfQueue(o EndOfQueueOptions, model *road.Model) *EndOfQueue {
	o.setDefaults()
	if model == nil {
		model = road.New(road.Options{})
	}
	return &EndOfQueue{o: o, model: model, prev: map[uint64]string{}, next: map[uint64]string{}}
}

// Name is "endofqueue".
func (d *EndOfQueue) Name() string { return NameEndOfQueue }

// Detect implements Detector.
func (d *EndOfQueue) Detect(now time.Time, m *ldm.Map) []hazard.Finding {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.sc.build(m, func(o *ldm.Object) bool { return o.Kind == ldm.KindVehicle && o.HeadingOK }, d.o.GapM)
	queues := d.queues()
	clear(d.next)
	used := map[string]bool{}
	var out []hazard.Finding
	for _, q := range queues {
		// queue direction and members ordered from the tail forward
		var sx, sy float64
		for _, i := range q {
			sx, sy = sx+d.sc.actors[i].ux, sy+d.sc.actors[i].uy
		}
		n := math.Hypot(sx, sy)
		if n < 1e-9 {
			continue
		}
		dx, dy := sx/n, sy/n
		along := func(i int) float64 { return d.sc.actors[i].x*dx + d.sc.actors[i].y*dy }
		slices.SortFunc(q, func(a, b int) int { return cmp.Compare(along(a), along(b)) })
		key := d.keyFor(q, used)
		tail, head := &d.sc.actors[q[0]], &d.sc.actors[q[len(q)-1]]
		if !d.approached(tail, dx, dy) || d.routine(now, tail, head, headingOf(dx, dy)) ||
			d.sc.crossingNear(head.x, head.y, dx, dy, d.o.JunctionAheadM) {
			continue
		}
		var src []string
		for _, i := range q[:d.o.MinQueue] {
			src = append(src, sourcesOf(m, d.sc.actors[i].id)...)
		}
		slices.Sort(src)
		out = append(out, hazard.Finding{
			Key: key, Cause: CauseDangerousEndOfQueue, Pos: tail.pos,
			HeadingDeg: headingOf(dx, dy), HasHeading: true, Direction: v2x.DirectionUpstream,
			Sources: slices.Compact(src),
		})
	}
	d.prev, d.next = d.next, d.prev
	return out
}

// queues links slow vehicles heading the same way within GapM of each other (union-find over
// the grid) and returns the groups of at least MinQueue.
func (d *EndOfQueue) queues() [][]int {
	acts := d.sc.actors
	parent := make([]int32, len(acts))
	for i := range parent {
		parent[i] = int32(i)
	}
	find := func(i int32) int32 {
		for parent[i] != i {
			parent[i] = parent[parent[i]]
			i = parent[i]
		}
		return i
	}
	gap2 := d.o.GapM * d.o.GapM
	for i := range acts {
		a := &acts[i]
		if a.speed >= d.o.SlowSpeedMPS {
			continue
		}
		d.sc.near(a.x, a.y, d.o.GapM, func(j int) bool {
			q := &acts[j]
			if j <= i || q.speed >= d.o.SlowSpeedMPS {
				return true
			}
			if dx, dy := q.x-a.x, q.y-a.y; dx*dx+dy*dy > gap2 || geo.AngleDiff(a.heading, q.heading) > d.o.MaxHeadingDiffDeg {
				return true
			}
			if ri, rj := find(int32(i)), find(int32(j)); ri != rj {
				parent[rj] = ri
			}
			return true
		})
	}
	groups := map[int32][]int{}
	for i := range acts {
		if acts[i].speed < d.o.SlowSpeedMPS {
			r := find(int32(i))
			groups[r] = append(groups[r], i)
		}
	}
	var out [][]int
	for _, g := range groups {
		if len(g) >= d.o.MinQueue {
			out = append(out, g)
		}
	}
	slices.SortFunc(out, func(a, b []int) int { return cmp.Compare(a[0], b[0]) }) // deterministic
	return out
}

// routine says whether the road model knows the queue's place as one where traffic queues
// routinely, or does not know the place at all.
func (d *EndOfQueue) routine(now time.Time, tail, head *actor, heading float64) bool {
	since := d.model.KnownSince(tail.pos, d.model.Options().CellM)
	if !d.model.Known(tail.pos, d.model.Options().CellM) || since.IsZero() || now.Sub(since) < d.o.MinModelAge {
		return true
	}
	if d.model.Stops(tail.pos, 4).Routine() || d.model.Stops(head.pos, 4).Routine() ||
		d.model.SlowShare(tail.pos, 1) >= slowPlace || d.model.SlowShare(head.pos, 1) >= slowPlace {
		return true
	}
	return junctionAhead(d.model, head.pos, heading, d.o.JunctionAheadM)
}

// approached says whether a fast vehicle heading the queue's way is closing in on the tail.
func (d *EndOfQueue) approached(tail *actor, dx, dy float64) bool {
	qh := headingOf(dx, dy)
	r2 := d.o.ApproachM * d.o.ApproachM
	cosCone := math.Cos(d.o.ApproachConeDeg * math.Pi / 180)
	found := false
	d.sc.near(tail.x, tail.y, d.o.ApproachM, func(j int) bool {
		v := &d.sc.actors[j]
		if v.speed < d.o.ApproachSpeedMPS || geo.AngleDiff(v.heading, qh) > d.o.MaxHeadingDiffDeg {
			return true
		}
		rx, ry := tail.x-v.x, tail.y-v.y // from the vehicle to the tail
		dist2 := rx*rx + ry*ry
		if dist2 > r2 || dist2 == 0 || rx*dx+ry*dy <= 0 { // beyond reach, or not behind the tail
			return true
		}
		if (rx*v.ux+ry*v.uy)/math.Sqrt(dist2) < cosCone { // not heading at the tail
			return true
		}
		found = true
		return false
	})
	return found
}

// keyFor gives a queue (ordered tail first) the key most of its members had last round and
// records it for the next round; a new queue is named after its tail.
func (d *EndOfQueue) keyFor(q []int, used map[string]bool) string {
	votes := map[string]int{}
	for _, i := range q {
		if k, ok := d.prev[d.sc.actors[i].id]; ok && !used[k] {
			votes[k]++
		}
	}
	key, best := "", 0
	for k, n := range votes {
		if n > best || n == best && k < key {
			key, best = k, n
		}
	}
	if key == "" {
		key = "tail:" + keyOf(&d.sc.actors[q[0]])
		for used[key] { // a former tail name still taken by another queue
			key += "'"
		}
	}
	used[key] = true
	for _, i := range q {
		d.next[d.sc.actors[i].id] = key
	}
	return key
}
