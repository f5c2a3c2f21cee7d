package detect

import (
	"cmp"
	"math"
	"slices"
	"time"

	"github.com/michi-v2x/michi/internal/hazard"
	"github.com/michi-v2x/michi/pkg/geo"
	"github.com/michi-v2x/michi/pkg/v2x"
)

// clusterer groups reports into events and keeps each event's key stable from round to round.
// Leader clustering: reports are taken oldest first; each joins the nearest cluster of its cause
// whose first report (the leader) lies within radius and whose heading is compatible, or leads a
// new one. A grid over the leaders keeps it linear. The owner serialises calls.
type clusterer struct {
	radius, maxHeadingDiff float64
	prevKey                map[v2x.ActionID]string // report -> key of its cluster last round
	emitted                map[string]bool         // keys emitted last round
}

func newClusterer(radius, maxHeadingDiff float64) clusterer {
	return clusterer{radius: radius, maxHeadingDiff: maxHeadingDiff,
		prevKey: map[v2x.ActionID]string{}, emitted: map[string]bool{}}
}

type cluster struct {
	lead    *stored
	x, y    float64
	members []*stored
}

// round clusters reps, returns a finding per cluster that accept takes, and a Terminate
// finding for every key emitted last round that is gone now.
func (c *clusterer) round(reps []*stored, accept func(members []*stored) bool) []hazard.Finding {
	slices.SortFunc(reps, func(a, b *stored) int {
		return cmp.Or(cmp.Compare(a.Cause, b.Cause), a.Detection.Compare(b.Detection),
			cmp.Compare(a.From.OriginatingStationID, b.From.OriginatingStationID),
			cmp.Compare(a.From.SequenceNumber, b.From.SequenceNumber))
	})
	var clusters []*cluster
	if len(reps) > 0 {
		proj := geo.NewProjection(reps[0].Pos)
		grid := map[[2]int32][]int{}
		cell := func(v float64) int32 { return int32(math.Floor(v / c.radius)) }
		for _, r := range reps {
			x, y := proj.ToLocal(r.Pos)
			best, bestD := -1, math.Inf(1)
			for gx := cell(x) - 1; gx <= cell(x)+1; gx++ {
				for gy := cell(y) - 1; gy <= cell(y)+1; gy++ {
					for _, k := range grid[[2]int32{gx, gy}] {
						cl := clusters[k]
						d := math.Hypot(cl.x-x, cl.y-y)
						if cl.lead.Cause != r.Cause || d > c.radius || d >= bestD ||
							cl.lead.HasHeading && r.HasHeading && geo.AngleDiff(cl.lead.HeadingDeg, r.HeadingDeg) > c.maxHeadingDiff {
							continue
						}
						best, bestD = k, d
					}
				}
			}
			if best < 0 {
				best = len(clusters)
				clusters = append(clusters, &cluster{lead: r, x: x, y: y})
				g := [2]int32{cell(x), cell(y)}
				grid[g] = append(grid[g], best)
			}
			clusters[best].members = append(clusters[best].members, r)
		}
	}

	next := make(map[v2x.ActionID]string, len(reps))
	used := map[string]bool{}
	var out []hazard.Finding
	for _, cl := range clusters {
		key := c.keyFor(cl, used)
		for _, r := range cl.members {
			next[r.From] = key
		}
		if accept(cl.members) {
			out = append(out, finding(key, cl.members))
		}
	}
	emitted := make(map[string]bool, len(out))
	for _, f := range out {
		emitted[f.Key] = true
	}
	for k := range c.emitted {
		if !emitted[k] {
			out = append(out, hazard.Finding{Key: k, Terminate: true})
		}
	}
	c.prevKey, c.emitted = next, emitted
	return out
}

// keyFor names a cluster after the key most of its members had last round (ties: the smallest),
// or after its leader's action_id when none had one.
func (c *clusterer) keyFor(cl *cluster, used map[string]bool) string {
	votes := map[string]int{}
	for _, r := range cl.members {
		if k, ok := c.prevKey[r.From]; ok && !used[k] {
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
		key = "r:" + cl.lead.From.String()
		for used[key] {
			key += "'"
		}
	}
	used[key] = true
	return key
}

// finding summarises one cluster: mean position, circular mean heading, the leader's sub-cause
// (else the first non-zero one), the longest validity, and the distinct reporting stations.
func finding(key string, ms []*stored) hazard.Finding {
	f := hazard.Finding{Key: key, Cause: ms[0].Cause, SubCause: ms[0].SubCause}
	var lat, lon, hx, hy float64
	var validity time.Duration
	src := make([]string, 0, len(ms))
	for _, r := range ms {
		lat, lon = lat+r.Pos.Lat, lon+r.Pos.Lon
		if r.HasHeading {
			s, c := math.Sincos(r.HeadingDeg * math.Pi / 180)
			hx, hy = hx+s, hy+c
			f.HasHeading = true
		}
		if f.SubCause == 0 {
			f.SubCause = r.SubCause
		}
		validity = max(validity, r.Validity)
		src = append(src, stationSource(r.StationID))
	}
	n := float64(len(ms))
	f.Pos = geo.Point{Lat: lat / n, Lon: lon / n}
	if f.HasHeading {
		f.HeadingDeg = headingOf(hx, hy)
	}
	f.Validity = validity
	f.Sources = sortedUnique(src)
	return f
}

// distinctStations counts the independent reporters of a cluster and whether one is a roadside unit.
func distinctStations(ms []*stored) (n int, roadside bool) {
	seen := make(map[uint32]bool, len(ms))
	for _, r := range ms {
		if !seen[r.StationID] {
			seen[r.StationID] = true
			n++
		}
		roadside = roadside || r.StationType == stationTypeRSU
	}
	return n, roadside
}
