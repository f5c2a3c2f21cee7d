package ldm

import (
	"math"

	"github.com/michi-v2x/michi/pkg/geo"
)

// Relevant calls fn, until it returns false, for every vehicle that should receive an alert
// about an event at c: every self-reporting object (StationID != 0, so a station that can be
// reached) within radiusM metres (great-circle) of c, and — only when hasHeading — among those
// only the ones heading towards the event, which means both:
//
//   - its heading is within 90° (inclusive) of the direction from it to c: it is approaching,
//     not leaving, the event; and
//   - its heading is within 90° (inclusive) of eventHeadingDeg, the direction of the affected
//     traffic (DENM event heading): it drives with, not against, that traffic.
//
// A vehicle at c itself counts as approaching. A vehicle whose CAM carries no heading is kept
// (better an alert too many than a missing one). The direction to c is taken on the local flat
// earth at c's latitude, exact to a fraction of a degree within tens of kilometres. fn runs under
// the read lock: it must not call the map, nor keep o past the call.
func (m *Map) Relevant(c geo.Point, radiusM float64, eventHeadingDeg float64, hasHeading bool, fn func(o *Object) bool) {
	sinE, cosE := math.Sincos(eventHeadingDeg * deg2rad)
	cosLat := math.Cos(c.Lat * deg2rad)
	m.mu.RLock()
	defer m.mu.RUnlock()
	// Only the index entries are read until a vehicle passes: no pointer chasing into 100k
	// scattered tracks. Passing tracks are handed to fn in batches, touched first in a tight
	// loop so that their cache misses overlap instead of queueing one behind another.
	var batch [64]*track
	n, more := 0, true
	flush := func() {
		k := 0
		for _, t := range batch[:n] {
			if t.StationID != 0 { // always true (the entry said so); the load is the point
				batch[k] = t
				k++
			}
		}
		for _, t := range batch[:k] {
			if more = fn(&t.Object); !more {
				break
			}
		}
		n = 0
	}
	m.idx.NearTag(c, radiusM, func(t *track, p geo.Point, tag uint64) bool {
		if tag&tagSelf == 0 {
			return true
		}
		if hasHeading && tag&tagHeading != 0 {
			sinH, cosH := tagHeadingVec(tag)
			dE := lonDelta(c.Lon-p.Lon) * cosLat // towards c, in degrees of latitude
			dN := c.Lat - p.Lat
			if sinH*dE+cosH*dN < 0 || sinH*sinE+cosH*cosE < 0 {
				return true
			}
		}
		batch[n] = t
		if n++; n == len(batch) {
			flush()
		}
		return more
	})
	if n > 0 && more {
		flush()
	}
}

// Approaching applies Relevant's rule to one vehicle at p with the given heading (headingOK false
// = unknown): is an event at c within radiusM, and — when hasHeading — is the vehicle heading
// towards it and with the affected traffic? The edge uses it for vehicles that connect or drive
// into an active hazard's area, so they are judged exactly like the ones Relevant finds.
func Approaching(p geo.Point, headingDeg float64, headingOK bool, c geo.Point, radiusM, eventHeadingDeg float64, hasHeading bool) bool {
	if geo.Distance(p, c) > radiusM {
		return false
	}
	if !hasHeading || !headingOK {
		return true
	}
	sinH, cosH := math.Sincos(headingDeg * deg2rad)
	sinE, cosE := math.Sincos(eventHeadingDeg * deg2rad)
	dE := lonDelta(c.Lon-p.Lon) * math.Cos(c.Lat*deg2rad)
	dN := c.Lat - p.Lat
	return sinH*dE+cosH*dN >= 0 && sinH*sinE+cosH*cosE >= 0
}
