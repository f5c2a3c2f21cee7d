package road

import (
	"math"
	"time"

	"github.com/michi-v2x/michi/pkg/geo"
)

// Flow is what the model knows of the traffic in one cell, relative to a heading.
type Flow struct {
	Passes int // passes seen in the cell
	Known  bool
	// Along, Against and Across are the shares of those passes within 45° of the heading,
	// within 45° of its opposite, and in between (crossing or turning traffic).
	Along, Against, Across float64
}

// flow relates the cell's passes to heading bin b.
func (c *cell) flow(b int) Flow {
	var f Flow
	var along, against, across int
	for i, n := range c.dir {
		switch d := binDist(i, b); {
		case d <= 2:
			along += int(n)
		case d >= 6:
			against += int(n)
		default:
			across += int(n)
		}
	}
	f.Passes = along + against + across
	if f.Passes > 0 {
		t := float64(f.Passes)
		f.Along, f.Against, f.Across = float64(along)/t, float64(against)/t, float64(across)/t
	}
	return f
}

// binDist is the circular distance between two heading bins, 0…bins/2.
func binDist(a, b int) int {
	d := (a - b + bins) % bins
	return min(d, bins-d)
}

// dominant is the heading bin with the most passes (a 3-bin window, so a flow on a bin border
// is not split).
func (c *cell) dominant() int {
	best, bestN := 0, -1
	for i := range bins {
		n := int(c.dir[i])*2 + int(c.dir[(i+1)%bins]) + int(c.dir[(i+bins-1)%bins])
		if n > bestN {
			best, bestN = i, n
		}
	}
	return best
}

// Flow reports what the model knows of traffic at p relative to headingDeg.
func (md *Model) Flow(p geo.Point, headingDeg float64) Flow {
	md.mu.RLock()
	defer md.mu.RUnlock()
	if !md.hasProj {
		return Flow{}
	}
	x, y := md.proj.ToLocal(p)
	c, ok := md.cells[md.key(x, y)]
	if !ok {
		return Flow{}
	}
	f := c.flow(binOf(headingDeg))
	f.Known = f.Passes >= md.o.MinPasses
	return f
}

// FlowNear is Flow over every cell within radiusM of p together: what the model knows of the
// traffic on the road around a place rather than in one lane cell (a lightly used lane is
// known sooner this way). Known means the cells together saw MinPasses passes.
func (md *Model) FlowNear(p geo.Point, radiusM, headingDeg float64) Flow {
	md.mu.RLock()
	defer md.mu.RUnlock()
	var sum cell
	var n [bins]int
	md.each(p, radiusM, func(c cell) {
		for i, v := range c.dir {
			n[i] += int(v)
		}
	})
	for i, v := range n {
		sum.dir[i] = uint16(min(v, math.MaxUint16))
	}
	f := sum.flow(binOf(headingDeg))
	f.Known = f.Passes >= md.o.MinPasses
	return f
}

// each calls fn for every known cell whose centre lies within radiusM (plus a cell) of p, under
// the read lock.
func (md *Model) each(p geo.Point, radiusM float64, fn func(c cell)) {
	if !md.hasProj {
		return
	}
	md.disc(p, radiusM+md.o.CellM, func(k uint64) bool {
		if c, ok := md.cells[k]; ok {
			fn(c)
		}
		return true
	})
}

// disc calls fn with the key of every cell whose centre lies within radiusM of p, until fn
// returns false; the caller holds the lock and has a projection.
func (md *Model) disc(p geo.Point, radiusM float64, fn func(k uint64) bool) {
	x, y := md.proj.ToLocal(p)
	s := md.o.CellM
	r := int32(math.Ceil(radiusM / s))
	cx, cy := int32(math.Floor(x/s)), int32(math.Floor(y/s))
	for dy := -r; dy <= r; dy++ {
		for dx := -r; dx <= r; dx++ {
			mx, my := (float64(cx+dx)+0.5)*s-x, (float64(cy+dy)+0.5)*s-y
			if mx*mx+my*my > radiusM*radiusM {
				continue
			}
			if !fn(uint64(uint32(cx+dx))<<32 | uint64(uint32(cy+dy))) {
				return
			}
		}
	}
}

// Junction reports whether the road around p (every cell within radiusM together) is part of a
// junction area, where turning and crossing are routine: a map says so, or, among the passes
// there, at least junctionMinAcross (and 5 %) cross the main axis of the place (the heading bin
// pair, one way and the other, with the most passes) by more than 56°. A straight road or a
// gentle bend has none; crossing streets, turns and roundabouts have them even where a side road
// is quiet.
func (md *Model) Junction(p geo.Point, radiusM float64) bool {
	md.mu.RLock()
	defer md.mu.RUnlock()
	var n [bins]int
	flagged := false
	md.each(p, radiusM, func(c cell) {
		flagged = flagged || c.flags&flagJunction != 0
		for i, v := range c.dir {
			n[i] += int(v)
		}
	})
	if flagged {
		return true
	}
	total, axis, best := 0, 0, -1
	for b := range bins {
		total += n[b]
		w := 0
		for _, o := range [...]int{-1, 0, 1, bins/2 - 1, bins / 2, bins/2 + 1} {
			w += n[(b+o+bins)%bins]
		}
		if w > best {
			axis, best = b, w
		}
	}
	if total < md.o.MinPasses {
		return false
	}
	across := 0
	for b, v := range n {
		if binDist(b, axis) >= 3 && binDist(b, (axis+bins/2)%bins) >= 3 {
			across += v
		}
	}
	return across >= junctionMinAcross && float64(across) >= 0.05*float64(total)
}

// junctionMinAcross is the number of crossing passes that make a place a junction area.
const junctionMinAcross = 3

// isJunction says whether one cell alone looks like part of a junction area (Stats).
func (md *Model) isJunction(c *cell) bool {
	if c.flags&flagJunction != 0 {
		return true
	}
	return c.passes() >= md.o.MinPasses && c.flow(c.dominant()).Across >= 0.15
}

// Known reports whether the cell holding p, or one within radiusM of it, is known.
func (md *Model) Known(p geo.Point, radiusM float64) bool {
	md.mu.RLock()
	defer md.mu.RUnlock()
	found := false
	md.each(p, radiusM, func(c cell) { found = found || c.passes() >= md.o.MinPasses || c.flags != 0 })
	return found
}

// SlowShare is the share of the passes within radiusM of p that were slow (Options.SlowSpeedMPS),
// or 0 where the cells together are not known: how routinely traffic slows there.
func (md *Model) SlowShare(p geo.Point, radiusM float64) float64 {
	md.mu.RLock()
	defer md.mu.RUnlock()
	var passes, slow int
	md.each(p, radiusM, func(c cell) {
		passes += c.passes()
		slow += int(c.slow)
	})
	if passes < md.o.MinPasses {
		return 0
	}
	return float64(slow) / float64(passes)
}

// KnownSince is when the model began to learn the road within radiusM of p: the earliest first
// pass among the cells there, or the zero time where it knows nothing. A detector that needs
// to know what is normal at a place over several traffic cycles waits until then is long
// enough ago.
func (md *Model) KnownSince(p geo.Point, radiusM float64) time.Time {
	md.mu.RLock()
	defer md.mu.RUnlock()
	var first uint32
	md.each(p, radiusM, func(c cell) {
		if c.first != 0 && (first == 0 || c.first < first) {
			first = c.first
		}
	})
	if first == 0 {
		return time.Time{}
	}
	return time.Unix(int64(first), 0)
}

// MapStopDwell is the routine dwell assumed at a stop line a map gives (nothing learned yet).
const MapStopDwell = 120 * time.Second

// StopZone is what the model knows of stopping near a place.
type StopZone struct {
	Episodes int           // most separate stop episodes in one cell nearby
	Dwell    time.Duration // longest routine stop nearby
}

// Routine says whether traffic routinely stops here: in two or more separate episodes.
func (z StopZone) Routine() bool { return z.Episodes >= 2 }

// Stops reports the stop zone within radiusM of p.
func (md *Model) Stops(p geo.Point, radiusM float64) StopZone {
	md.mu.RLock()
	defer md.mu.RUnlock()
	var z StopZone
	md.each(p, radiusM, func(c cell) {
		if c.flags&flagStop != 0 {
			z.Episodes = max(z.Episodes, 2)
			z.Dwell = max(z.Dwell, MapStopDwell)
		}
		z.Episodes = max(z.Episodes, int(c.episodes))
		z.Dwell = max(z.Dwell, time.Duration(c.dwell)*time.Second)
	})
	return z
}
