package detect

import (
	"cmp"
	"math"
	"slices"
	"time"

	"github.com/michi-v2x/michi/internal/hazard"
	"github.com/michi-v2x/michi/pkg/geo"
)

// clusterer groups reports into events and keeps each event's key from round to round.
//
// An event is a cluster led by one report; another report belongs to it when it has the
// leader's cause, lies within radius of the leader, and is heading-compatible with it (joins).
// Clusters are sticky: a report stays in the cluster it was in last round while it still belongs
// to the leader, and the leader leads until it is gone (then the oldest member leads). Only the
// reports left over — new ones, and members that no longer belong — are placed, oldest first:
// each joins the nearest cluster it belongs to or leads a new one, keyed "r:<its action_id>". A
// key is thus fixed when its cluster is made: a report that arrives later, even one detected
// before the leader, joins the cluster as it is and never renames it or takes members from it,
// which would give the vehicles a second hazard id for one event. A grid over the leaders keeps a
// round linear. The owner serialises calls.
type clusterer struct {
	radius, maxHeadingDiff, maxLateral float64
	prevKey                            map[reportID]string // report -> key of its cluster last round
	leader                             map[string]reportID // key -> the report that led it last round
	emitted                            map[string]bool     // keys emitted last round
}

// newClusterer: maxLateral < 0 never joins reports facing each other (see joins).
func newClusterer(radius, maxHeadingDiff, maxLateral float64) clusterer {
	return clusterer{radius: radius, maxHeadingDiff: maxHeadingDiff, maxLateral: maxLateral,
		prevKey: map[reportID]string{}, leader: map[string]reportID{}, emitted: map[string]bool{}}
}

// placed is a report of this round with its position in the round's local plane.
type placed struct {
	*stored
	x, y  float64
	order int // rank, oldest first
}

type cluster struct {
	key     string
	lead    *placed
	members []*stored
}

// round clusters reps, returns a finding per cluster that accept takes, and a Terminate
// finding for every key emitted last round that is gone now.
func (c *clusterer) round(reps []*stored, accept func(members []*stored) bool) []hazard.Finding {
	slices.SortFunc(reps, func(a, b *stored) int {
		return cmp.Or(cmp.Compare(a.Cause, b.Cause), a.Detection.Compare(b.Detection),
			cmp.Compare(a.From.OriginatingStationID, b.From.OriginatingStationID),
			cmp.Compare(a.From.SequenceNumber, b.From.SequenceNumber), cmp.Compare(a.Reporter, b.Reporter))
	})
	ps := make([]placed, len(reps))
	if len(reps) > 0 {
		proj := geo.NewProjection(reps[0].Pos)
		for i, r := range reps {
			x, y := proj.ToLocal(r.Pos)
			ps[i] = placed{stored: r, x: x, y: y, order: i}
		}
	}
	clusters, loose := c.keep(ps)
	grid := map[[2]int32][]*cluster{}
	cell := func(p *placed) [2]int32 {
		return [2]int32{int32(math.Floor(p.x / c.radius)), int32(math.Floor(p.y / c.radius))}
	}
	for _, cl := range clusters {
		g := cell(cl.lead)
		grid[g] = append(grid[g], cl)
	}
	used := make(map[string]bool, len(clusters))
	for _, cl := range clusters {
		used[cl.key] = true
	}
	for _, p := range loose {
		var best *cluster
		bestD := math.Inf(1)
		g := cell(p)
		for gx := g[0] - 1; gx <= g[0]+1; gx++ {
			for gy := g[1] - 1; gy <= g[1]+1; gy++ {
				for _, cl := range grid[[2]int32{gx, gy}] {
					if d := math.Hypot(p.x-cl.lead.x, p.y-cl.lead.y); d < bestD && c.joins(cl.lead, p) {
						best, bestD = cl, d
					}
				}
			}
		}
		if best == nil {
			best = &cluster{key: "r:" + p.From.String(), lead: p}
			for used[best.key] {
				best.key += "'"
			}
			used[best.key] = true
			clusters = append(clusters, best)
			grid[g] = append(grid[g], best)
		}
		best.members = append(best.members, p.stored)
	}
	slices.SortFunc(clusters, func(a, b *cluster) int { return cmp.Compare(a.lead.order, b.lead.order) })

	next := make(map[reportID]string, len(reps))
	leader := make(map[string]reportID, len(clusters))
	emitted := make(map[string]bool, len(clusters))
	var out []hazard.Finding
	for _, cl := range clusters {
		for _, r := range cl.members {
			next[r.id()] = cl.key
		}
		leader[cl.key] = cl.lead.id()
		if accept(cl.members) {
			out = append(out, c.finding(cl))
			emitted[cl.key] = true
		}
	}
	for k := range c.emitted {
		if !emitted[k] {
			out = append(out, hazard.Finding{Key: k, Terminate: true})
		}
	}
	c.prevKey, c.leader, c.emitted = next, leader, emitted
	return out
}

// keep rebuilds last round's clusters from the reports that were in them and still belong to
// their leader; it returns them and the reports left to place, oldest first.
func (c *clusterer) keep(ps []placed) (clusters []*cluster, loose []*placed) {
	byKey := map[string]*cluster{}
	for i := range ps {
		p := &ps[i]
		k, ok := c.prevKey[p.id()]
		switch cl := byKey[k]; {
		case !ok:
		case cl == nil: // p is the oldest member: it leads unless the leader is still here
			cl = &cluster{key: k, lead: p}
			byKey[k] = cl
			clusters = append(clusters, cl)
		case c.leader[k] == p.id():
			cl.lead = p
		}
	}
	for i := range ps {
		p := &ps[i]
		if cl := byKey[c.prevKey[p.id()]]; cl != nil && c.joins(cl.lead, p) {
			cl.members = append(cl.members, p.stored)
		} else {
			loose = append(loose, p)
		}
	}
	return clusters, loose
}

// joins says whether report p belongs to the event that lead leads: the same cause, within
// radius, and either compatible headings (at most maxHeadingDiff apart, or one has none) or
// reporters facing each other on one road — p's heading reversed is compatible with lead's —
// whose positions lie at most maxLateral apart across that road. The road's axis is the circular
// mean of lead's heading and p's reversed, so a road in any direction, and reporters' headings a
// little off it, measure alike.
func (c *clusterer) joins(lead, p *placed) bool {
	dx, dy := p.x-lead.x, p.y-lead.y
	if lead.Cause != p.Cause || math.Hypot(dx, dy) > c.radius {
		return false
	}
	if !lead.HasHeading || !p.HasHeading || geo.AngleDiff(lead.HeadingDeg, p.HeadingDeg) <= c.maxHeadingDiff {
		return true
	}
	if c.maxLateral < 0 || geo.AngleDiff(lead.HeadingDeg, p.HeadingDeg+180) > c.maxHeadingDiff {
		return false
	}
	return hazard.AcrossRoadM(dx, dy, lead.HeadingDeg, p.HeadingDeg) <= c.maxLateral
}

// finding summarises one cluster: mean position, circular mean heading, the leader's sub-cause
// (else the first non-zero one), the longest validity, and the distinct reporters, each named by
// the lowest station it reported from. A
// cluster with reporters from both directions (a heading more than maxHeadingDiff off the
// leader's, or off the first member's when the leader has none) has no heading: the event
// concerns the traffic of both, and a heading would narrow its relevance to one.
func (c *clusterer) finding(cl *cluster) hazard.Finding {
	ms := cl.members
	f := hazard.Finding{Key: cl.key, Cause: cl.lead.Cause, SubCause: cl.lead.SubCause}
	var lat, lon, hx, hy float64
	var validity time.Duration
	var ref *stored
	bothWays := false
	station := make(map[string]uint32, len(ms)) // reporter -> its lowest station in the cluster
	for _, r := range ms {
		lat, lon = lat+r.Pos.Lat, lon+r.Pos.Lon
		if r.HasHeading {
			sn, cs := math.Sincos(r.HeadingDeg * math.Pi / 180)
			hx, hy = hx+sn, hy+cs
			if ref == nil {
				ref = r
				if cl.lead.HasHeading {
					ref = cl.lead.stored
				}
			}
			bothWays = bothWays || geo.AngleDiff(ref.HeadingDeg, r.HeadingDeg) > c.maxHeadingDiff
		}
		if f.SubCause == 0 {
			f.SubCause = r.SubCause
		}
		validity = max(validity, r.Validity)
		if id, ok := station[r.independent()]; !ok || r.StationID < id {
			station[r.independent()] = r.StationID
		}
	}
	src := make([]string, 0, len(station))
	for _, id := range station {
		src = append(src, stationSource(id))
	}
	n := float64(len(ms))
	f.Pos = geo.Point{Lat: lat / n, Lon: lon / n}
	if f.HasHeading = ref != nil && !bothWays; f.HasHeading {
		f.HeadingDeg = headingOf(hx, hy)
	}
	f.Validity = validity
	f.Sources = sortedUnique(src)
	return f
}

// distinctReporters counts the independent reporters of a cluster (Report.Reporter, else the
// station) and says whether one is trusted to confirm on its own.
func distinctReporters(ms []*stored) (n int, trusted bool) {
	seen := make(map[string]bool, len(ms))
	for _, r := range ms {
		if k := r.independent(); !seen[k] {
			seen[k] = true
			n++
		}
		trusted = trusted || r.trusted()
	}
	return n, trusted
}
