package report

import (
	"fmt"
	"math"
	"slices"

	"github.com/michi-v2x/michi/pkg/geo"
)

// Detection is how well the edges' detectors did against what really happened: the hazards they
// raised, matched to an incident or phantom, and the incidents they found.
type Detection struct {
	Overall Quality   `json:"overall"`
	ByCause []Quality `json:"by_cause"` // by the cause of the edge hazards (incidents by their detector's cause)
	// NotHappened lists planned incidents that did not happen (a SUMO vehicle that never stood
	// at its stop); they are not in recall.
	NotHappened []NotHappened `json:"not_happened"`
}

// Quality is the detection figures of one cause, or of all (Cause 0).
type Quality struct {
	Cause uint8 `json:"cause,omitempty"`
	// Raised counts the distinct hazards (action ids) the edges published; Matched those that
	// detect an incident or are its consequence, Phantom the rest (Matched + Phantom = Raised).
	Raised  int `json:"raised"`
	Matched int `json:"matched"`
	Phantom int `json:"phantom"`
	// Duplicates counts, per incident, the hazards of one cause from one edge beyond the first.
	Duplicates int `json:"duplicates"`
	// PhantomWarnings counts the deliveries of phantom hazards to vehicles (one per vehicle and
	// hazard, retained copies included).
	PhantomWarnings int      `json:"phantom_warnings"`
	Precision       *float64 `json:"precision"` // Matched / Raised; null when nothing was raised
	// Incidents counts the incidents a detector exists for (by their detector's cause),
	// Detected those an edge published a matching hazard for.
	Incidents     int      `json:"incidents"`
	Detected      int      `json:"detected"`
	Recall        *float64 `json:"recall"`           // Detected / Incidents; null without incidents
	TimeToDetectS Delay    `json:"time_to_detect_s"` // incident start → first publication
	delays        []float64
}

// The consequence rule: a dangerous end of queue up to consequenceM upstream of a stopped
// vehicle or an obstacle, first raised while it stands, is there because of it.
const (
	causeEndOfQueue = 27
	consequenceM    = 500
	// aheadSlackM: how far past the incident, along its direction, the end of queue may lie
	// (positions are noisy and a queue starts right behind it).
	aheadSlackM = 30
	// queueTurnDeg: an end of queue heading further than this from the blocked traffic is on
	// another carriageway (a queue may bend round a corner, not turn back).
	queueTurnDeg = 120
)

// blocksLane reports whether an incident of this kind holds traffic up behind it.
func blocksLane(kind string) bool { return kind == "stopped_vehicle" || kind == "obstacle" }

// matched is what an edge hazard is about: the incident it detects (direct), or the one it is a
// consequence of, or none (index -1: a phantom).
type matched struct {
	index  int
	direct bool
}

// matchAll matches every edge hazard: first as a detection (match), then as a consequence.
func (c *Collector) matchAll() map[hkey]matched {
	out := map[hkey]matched{}
	for k, i := range c.match() {
		m := matched{index: i, direct: i >= 0}
		if i < 0 {
			m.index = c.consequence(c.edgeHz[k])
		}
		out[k] = m
	}
	return out
}

// consequence returns the incident an end of queue is the consequence of, or -1.
func (c *Collector) consequence(h *edgeHazard) int {
	if h.cause != causeEndOfQueue {
		return -1
	}
	best, bestD := -1, float64(consequenceM)
	for i, inj := range c.injected {
		if !blocksLane(inj.Kind) || !inj.during(h.first) {
			continue
		}
		at := inj.track[0].p
		d := geo.Distance(at, h.pos)
		if d > bestD {
			continue
		}
		if inj.HasHeading {
			along := d * math.Cos((geo.Bearing(at, h.pos)-inj.HeadingDeg)*math.Pi/180)
			if along > aheadSlackM || (h.hasHeading && geo.AngleDiff(h.heading, inj.HeadingDeg) > queueTurnDeg) {
				continue
			}
		}
		best, bestD = i, d
	}
	return best
}

// duplicates counts the hazards in hs beyond the first of each edge and cause; with byCause it
// also adds them to each cause's count.
func duplicates(hs []*edgeHazard, byCause func(cause uint8) *Quality) int {
	type ec struct {
		edge  string
		cause uint8
	}
	seen := map[ec]bool{}
	n := 0
	for _, h := range hs {
		k := ec{h.key.edge, h.cause}
		if seen[k] {
			n++
			if byCause != nil {
				byCause(h.cause).Duplicates++
			}
		}
		seen[k] = true
	}
	return n
}

// detection computes the detection figures from the matches of Report.
func (c *Collector) detection(m map[hkey]matched, perInj, consInj [][]*edgeHazard) Detection {
	det := Detection{NotHappened: slices.Clone(c.notHappen)}
	causes := map[uint8]*Quality{}
	byCause := func(cause uint8) *Quality {
		if causes[cause] == nil {
			causes[cause] = &Quality{Cause: cause}
		}
		return causes[cause]
	}
	warnings := map[hkey]int{}
	for p := range c.deliv {
		warnings[p.h]++
	}
	for _, k := range c.hzOrder {
		h := c.edgeHz[k]
		for _, q := range []*Quality{&det.Overall, byCause(h.cause)} {
			q.Raised++
			if m[k].index >= 0 {
				q.Matched++
			} else {
				q.Phantom++
				q.PhantomWarnings += warnings[k]
			}
		}
	}
	for i, inj := range c.injected {
		det.Overall.Duplicates += duplicates(append(slices.Clone(perInj[i]), consInj[i]...), byCause)
		if len(inj.Causes) == 0 {
			continue // no detector: it counts against precision only
		}
		d, ok := inj.detectionDelay()
		for _, q := range []*Quality{&det.Overall, byCause(inj.Causes[0])} {
			q.Incidents++
			if ok {
				q.Detected++
				q.delays = append(q.delays, d)
			}
		}
	}
	det.Overall.finish()
	for _, q := range causes {
		q.finish()
		det.ByCause = append(det.ByCause, *q)
	}
	slices.SortFunc(det.ByCause, func(a, b Quality) int { return int(a.Cause) - int(b.Cause) })
	if det.ByCause == nil {
		det.ByCause = []Quality{}
	}
	if det.NotHappened == nil {
		det.NotHappened = []NotHappened{}
	}
	return det
}

// Merge adds up the figures of several runs (e.g. the worlds of an evaluation): counts are
// summed, precision, recall and time to detect computed over them all. The cause is kept when
// they all have the same.
func Merge(qs ...Quality) Quality {
	var out Quality
	for i, q := range qs {
		if i == 0 || q.Cause == out.Cause {
			out.Cause = q.Cause
		} else {
			out.Cause = 0
		}
		out.Raised += q.Raised
		out.Matched += q.Matched
		out.Phantom += q.Phantom
		out.Duplicates += q.Duplicates
		out.PhantomWarnings += q.PhantomWarnings
		out.Incidents += q.Incidents
		out.Detected += q.Detected
		out.delays = append(out.delays, q.delays...)
	}
	out.finish()
	return out
}

// Percent prints a share such as a precision as a percentage, "–" when it is undefined (nil).
func Percent(p *float64) string {
	if p == nil {
		return "–"
	}
	return fmt.Sprintf("%.1f %%", 100**p)
}

func (q *Quality) finish() {
	if q.Raised > 0 {
		p := ratio(q.Matched, q.Raised)
		q.Precision = &p
	}
	if q.Incidents > 0 {
		r := ratio(q.Detected, q.Incidents)
		q.Recall = &r
	}
	q.TimeToDetectS = delay(q.delays)
}
