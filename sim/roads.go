package sim

import (
	"errors"
	"fmt"
)

// RoadSpec is one generated road network; exactly one of Highway and Grid is set.
type RoadSpec struct {
	Name    string       `yaml:"name"`
	Highway *HighwaySpec `yaml:"highway"`
	Grid    *GridSpec    `yaml:"grid"`
}

// HighwaySpec is a straight dual carriageway. Vehicles that reach its end re-enter at its start
// (a ring, so the traffic density stays as configured) and keep their identity.
type HighwaySpec struct {
	Center     Place    `yaml:"center"`       // middle of the road, default the origin
	HeadingDeg *float64 `yaml:"heading_deg"`  // direction of the forward carriageway, default 90 (east)
	LengthM    float64  `yaml:"length_m"`     // default 5000 m
	Lanes      int      `yaml:"lanes"`        // per direction, default 2
	LaneWidthM float64  `yaml:"lane_width_m"` // default 3.5 m
	SpeedLimit float64  `yaml:"speed_limit"`  // m/s, default 33.3 (120 km/h)
}

// GridSpec is a Manhattan grid of two-way streets. Vehicles pick a street at random (never a
// U-turn) at every intersection; intersections have no signals and no conflicts.
type GridSpec struct {
	Center     Place   `yaml:"center"`       // middle of the grid, default the origin
	Cols       int     `yaml:"cols"`         // intersections west–east, default 5
	Rows       int     `yaml:"rows"`         // intersections south–north, default 5
	BlockM     float64 `yaml:"block_m"`      // distance between intersections, default 200 m
	Lanes      int     `yaml:"lanes"`        // per direction, default 1
	LaneWidthM float64 `yaml:"lane_width_m"` // default 3.5 m
	SpeedLimit float64 `yaml:"speed_limit"`  // m/s, default 13.9 (50 km/h)
}

func (h *HighwaySpec) setDefaults() {
	if h.HeadingDeg == nil {
		d := 90.0
		h.HeadingDeg = &d
	}
	if h.LengthM == 0 {
		h.LengthM = 5000
	}
	if h.Lanes == 0 {
		h.Lanes = 2
	}
	if h.LaneWidthM == 0 {
		h.LaneWidthM = 3.5
	}
	if h.SpeedLimit == 0 {
		h.SpeedLimit = 33.3
	}
}

func (g *GridSpec) setDefaults() {
	if g.Cols == 0 {
		g.Cols = 5
	}
	if g.Rows == 0 {
		g.Rows = 5
	}
	if g.BlockM == 0 {
		g.BlockM = 200
	}
	if g.Lanes == 0 {
		g.Lanes = 1
	}
	if g.LaneWidthM == 0 {
		g.LaneWidthM = 3.5
	}
	if g.SpeedLimit == 0 {
		g.SpeedLimit = 13.9
	}
}

// validate reports the problems of one road under path (e.g. "roads[0]").
func (r *RoadSpec) validate(path string) []error {
	var errs []error
	bad := func(field, format string, a ...any) {
		errs = append(errs, &FieldError{Path: path + field, Msg: fmt.Sprintf(format, a...)})
	}
	switch {
	case (r.Highway == nil) == (r.Grid == nil):
		bad("", "give exactly one of highway and grid")
	case r.Highway != nil:
		h := r.Highway
		h.setDefaults()
		if !h.Center.IsZero() && !h.Center.valid() {
			bad(".highway.center", "give x and y, or lat and lon")
		}
		if h.LengthM < 100 || h.LengthM > 100000 {
			bad(".highway.length_m", "%g: want 100 … 100000", h.LengthM)
		}
		if h.Lanes < 1 || h.Lanes > 6 {
			bad(".highway.lanes", "%d: want 1 … 6", h.Lanes)
		}
		if h.LaneWidthM < 2 || h.SpeedLimit <= 0 || h.SpeedLimit > 70 {
			bad(".highway", "lane_width_m ≥ 2 and speed_limit 0 … 70 m/s")
		}
	default:
		g := r.Grid
		g.setDefaults()
		if !g.Center.IsZero() && !g.Center.valid() {
			bad(".grid.center", "give x and y, or lat and lon")
		}
		if g.Cols < 2 || g.Rows < 2 || g.Cols*g.Rows > 400 {
			bad(".grid", "cols and rows ≥ 2, at most 400 intersections")
		}
		if g.BlockM < 30 || g.BlockM > 5000 {
			bad(".grid.block_m", "%g: want 30 … 5000", g.BlockM)
		}
		if g.Lanes < 1 || g.Lanes > 4 || g.LaneWidthM < 2 || g.SpeedLimit <= 0 || g.SpeedLimit > 70 {
			bad(".grid", "lanes 1 … 4, lane_width_m ≥ 2, speed_limit 0 … 70 m/s")
		}
	}
	return errs
}

// FieldError is a problem with one field of a configuration, named by its path
// ("hazards[1].start"), so that a scenario file can point at the line.
type FieldError struct {
	Path string
	Msg  string
}

func (e *FieldError) Error() string {
	if e.Path == "" {
		return e.Msg
	}
	return e.Path + ": " + e.Msg
}

// ErrConfig is wrapped by every configuration problem.
var ErrConfig = errors.New("sim: bad configuration")

// Is makes errors.Is(err, ErrConfig) hold.
func (e *FieldError) Is(target error) bool { return target == ErrConfig }

// addHighway builds the lanes of a highway.
func (n *Network) addHighway(road int, h *HighwaySpec) {
	c := h.Center.Resolve(n.Proj)
	d := unit(*h.HeadingDeg).Scale(h.LengthM / 2)
	a, b := c.Sub(d), c.Add(d)
	for _, ids := range [][]int{
		n.carriageway(road, a, b, h.Lanes, h.LaneWidthM, h.SpeedLimit),
		n.carriageway(road, b, a, h.Lanes, h.LaneWidthM, h.SpeedLimit),
	} {
		for _, id := range ids {
			n.Lanes[id].Next = []int{id}
		}
	}
}

// addGrid builds the lanes of a grid.
func (n *Network) addGrid(road int, g *GridSpec) {
	c := g.Center.Resolve(n.Proj)
	node := func(i, j int) Vec {
		return Vec{c.X + (float64(i)-float64(g.Cols-1)/2)*g.BlockM, c.Y + (float64(j)-float64(g.Rows-1)/2)*g.BlockM}
	}
	type key struct{ i, j int }
	out := map[key][][]int{} // lanes leaving node, per street
	in := map[key][][]int{}  // lanes arriving at node
	from := map[int]key{}
	for i := range g.Cols {
		for j := range g.Rows {
			for _, d := range []key{{1, 0}, {-1, 0}, {0, 1}, {0, -1}} {
				ni, nj := i+d.i, j+d.j
				if ni < 0 || nj < 0 || ni >= g.Cols || nj >= g.Rows {
					continue
				}
				ids := n.carriageway(road, node(i, j), node(ni, nj), g.Lanes, g.LaneWidthM, g.SpeedLimit)
				out[key{i, j}] = append(out[key{i, j}], ids)
				in[key{ni, nj}] = append(in[key{ni, nj}], ids)
				for _, id := range ids {
					from[id] = key{i, j}
				}
			}
		}
	}
	for k, streets := range in {
		for _, ids := range streets {
			origin := from[ids[0]]
			for _, id := range ids {
				l := &n.Lanes[id]
				for _, o := range out[k] {
					if end := n.Lanes[o[0]].B; n.nodeNear(end, node(origin.i, origin.j), g) {
						continue // no U-turns
					}
					l.Next = append(l.Next, o[min(l.Index, len(o)-1)])
				}
			}
		}
	}
}

// nodeNear reports whether a lane end lies at the intersection at p.
func (n *Network) nodeNear(end, p Vec, g *GridSpec) bool {
	return end.Dist(p) < float64(g.Lanes)*g.LaneWidthM+1
}
