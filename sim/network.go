package sim

import (
	"math"

	"github.com/michi-v2x/michi/pkg/geo"
)

// Place is a position given either on the local plane (x, y metres east and north of the
// scenario origin) or as WGS84 lat/lon. Exactly one pair must be set.
type Place struct {
	X   *float64 `yaml:"x,omitempty" json:"x,omitempty"`
	Y   *float64 `yaml:"y,omitempty" json:"y,omitempty"`
	Lat *float64 `yaml:"lat,omitempty" json:"lat,omitempty"`
	Lon *float64 `yaml:"lon,omitempty" json:"lon,omitempty"`
}

// XY returns a Place on the local plane.
func XY(x, y float64) Place { return Place{X: &x, Y: &y} }

// LatLon returns a Place in WGS84.
func LatLon(lat, lon float64) Place { return Place{Lat: &lat, Lon: &lon} }

// IsZero reports whether no coordinate is set.
func (p Place) IsZero() bool { return p.X == nil && p.Y == nil && p.Lat == nil && p.Lon == nil }

func (p Place) valid() bool {
	xy := p.X != nil && p.Y != nil && p.Lat == nil && p.Lon == nil
	ll := p.Lat != nil && p.Lon != nil && p.X == nil && p.Y == nil
	return xy || ll
}

// Resolve returns the point on the plane of pr.
func (p Place) Resolve(pr geo.Projection) Vec {
	if p.Lat != nil && p.Lon != nil {
		e, n := pr.ToLocal(geo.Point{Lat: *p.Lat, Lon: *p.Lon})
		return Vec{e, n}
	}
	if p.X != nil && p.Y != nil {
		return Vec{*p.X, *p.Y}
	}
	return Vec{}
}

// Lane is one directed lane: a straight centre line from A to B.
type Lane struct {
	ID          int
	Road        int     // index of the road (Config.Roads) it belongs to
	Group       int     // carriageway: parallel lanes of one direction share it
	Index       int     // 0 = rightmost lane of its carriageway
	A, B        Vec     // start and end of the centre line
	Length      float64 // metres
	Heading     float64 // direction of travel
	SpeedLimit  float64 // m/s
	Next        []int   // lanes a vehicle may continue on at B (itself on a ring)
	Left, Right int     // the neighbouring lane of the same carriageway, -1 for none
	dir         Vec
}

// Pos returns the point s metres along the lane.
func (l *Lane) Pos(s float64) Vec { return l.A.Add(l.dir.Scale(s)) }

// Network is a set of lanes on the local plane around an origin.
type Network struct {
	Lanes  []Lane
	Proj   geo.Projection
	groups int
}

// NewNetwork returns an empty network around origin.
func NewNetwork(origin geo.Point) *Network { return &Network{Proj: geo.NewProjection(origin)} }

// Point converts a plane position to WGS84.
func (n *Network) Point(v Vec) geo.Point { return n.Proj.ToPoint(v.X, v.Y) }

func (n *Network) addLane(road, group, index int, a, b Vec, limit float64) int {
	d := b.Sub(a)
	l := Lane{ID: len(n.Lanes), Road: road, Group: group, Index: index, A: a, B: b, Length: d.Len(),
		Heading: headingOf(d), SpeedLimit: limit, Left: -1, Right: -1}
	l.dir = d.Scale(1 / l.Length)
	n.Lanes = append(n.Lanes, l)
	return l.ID
}

// carriageway adds lanes lanes from a to b, offset to the right of the line a–b (right-hand
// traffic), lane 0 outermost. It returns their ids, rightmost first.
func (n *Network) carriageway(road int, a, b Vec, lanes int, width, limit float64) []int {
	right := unit(headingOf(b.Sub(a)) + 90)
	g := n.groups
	n.groups++
	ids := make([]int, lanes)
	for k := range lanes {
		off := right.Scale((float64(lanes-k) - 0.5) * width)
		ids[k] = n.addLane(road, g, k, a.Add(off), b.Add(off), limit)
	}
	for k, id := range ids {
		if k > 0 {
			n.Lanes[id].Right = ids[k-1]
		}
		if k+1 < lanes {
			n.Lanes[id].Left = ids[k+1]
		}
	}
	return ids
}

// Snap finds the lane nearest to p. With hasHeading, only lanes whose direction is within 45°
// of headingDeg are considered. It returns the lane, the distance along it and the distance of
// p from its centre line; lane is -1 for an empty network.
func (n *Network) Snap(p Vec, headingDeg float64, hasHeading bool) (lane int, s, dist float64) {
	lane, dist = -1, math.Inf(1)
	for i := range n.Lanes {
		l := &n.Lanes[i]
		if hasHeading && angleDiff(l.Heading, headingDeg) > 45 {
			continue
		}
		t := min(max(p.Sub(l.A).Dot(l.dir), 0), l.Length)
		if d := p.Dist(l.Pos(t)); d < dist {
			lane, s, dist = i, t, d
		}
	}
	return lane, s, dist
}

// Bounds returns the south-west and north-east corners of every lane.
func (n *Network) Bounds() (lo, hi Vec) {
	lo, hi = Vec{math.Inf(1), math.Inf(1)}, Vec{math.Inf(-1), math.Inf(-1)}
	for _, l := range n.Lanes {
		for _, p := range []Vec{l.A, l.B} {
			lo.X, lo.Y, hi.X, hi.Y = min(lo.X, p.X), min(lo.Y, p.Y), max(hi.X, p.X), max(hi.Y, p.Y)
		}
	}
	return lo, hi
}
