package road

import (
	"math"

	"github.com/michi-v2x/michi/pkg/geo"
)

// Map is a road network that seeds the model: what a SUMO network or a GeoJSON file says about
// lanes, junctions and stop lines, so a new edge knows its roads before any vehicle taught it.
type Map struct {
	Lanes     [][]geo.Point // lane centrelines, each in its direction of travel
	Junctions []Area        // junction areas: turning and crossing are routine there
	StopLines []geo.Point   // where traffic routinely stops (signals, stop and yield lines)
}

// Area is a disc.
type Area struct {
	Center  geo.Point
	RadiusM float64
}

// SeedFromMap seeds the model from Options.Map, if set, and returns the number of lanes.
func (md *Model) SeedFromMap() (int, error) {
	if md.o.Map == "" {
		return 0, nil
	}
	m, err := LoadMap(md.o.Map, md.o.MapOrigin)
	if err != nil {
		return 0, err
	}
	md.Seed(m)
	return len(m.Lanes), nil
}

// Seed makes every cell on a mapped lane known with the lane's direction (a learned count that
// is already higher is kept), flags the cells of junction areas, and the cells within 3 m of
// a stop line as a routine stop (assumed dwell MapStopDwell until traffic shows its own).
func (md *Model) Seed(m Map) {
	md.mu.Lock()
	defer md.mu.Unlock()
	if !md.hasProj {
		for _, l := range m.Lanes {
			if len(l) > 0 && l[0].Valid() {
				md.proj, md.hasProj = geo.NewProjection(l[0]), true
				break
			}
		}
	}
	if !md.hasProj {
		return
	}
	for _, l := range m.Lanes {
		for i := 1; i < len(l); i++ {
			md.seedSegment(l[i-1], l[i])
		}
	}
	for _, j := range m.Junctions {
		md.flagDisc(j.Center, j.RadiusM, flagJunction)
	}
	for _, p := range m.StopLines {
		md.flagDisc(p, 3, flagStop)
	}
}

// maxSeedSegmentM and maxSeedRadiusM bound what one map feature may cover: a lane segment
// longer, or a junction wider, is not a road an edge serves but a broken map.
const (
	maxSeedSegmentM = 10_000
	maxSeedRadiusM  = 200
)

func (md *Model) seedSegment(a, b geo.Point) {
	if !a.Valid() || !b.Valid() {
		return
	}
	x0, y0 := md.proj.ToLocal(a)
	x1, y1 := md.proj.ToLocal(b)
	d := math.Hypot(x1-x0, y1-y0)
	if d == 0 || d > maxSeedSegmentM || math.IsNaN(d) {
		return
	}
	bin := binOf(math.Mod(math.Atan2(x1-x0, y1-y0)*180/math.Pi+360, 360))
	n := int(math.Ceil(d / (md.o.CellM / 3)))
	last := uint64(math.MaxUint64)
	for i := 0; i <= n; i++ {
		f := float64(i) / float64(n)
		k := md.key(x0+f*(x1-x0), y0+f*(y1-y0))
		if k == last {
			continue
		}
		last = k
		c, ok := md.cells[k]
		if !ok && len(md.cells) >= md.o.MaxCells {
			return
		}
		if int(c.dir[bin]) < md.o.MinPasses {
			c.dir[bin] = uint16(md.o.MinPasses)
		}
		md.cells[k] = c
	}
}

func (md *Model) flagDisc(p geo.Point, radiusM float64, flag uint8) {
	if !p.Valid() || !(radiusM > 0) {
		return
	}
	md.disc(p, min(radiusM, maxSeedRadiusM), func(k uint64) bool {
		c, ok := md.cells[k]
		if !ok && len(md.cells) >= md.o.MaxCells {
			return false
		}
		c.flags |= flag
		md.cells[k] = c
		return true
	})
}
