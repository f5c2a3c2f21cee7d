package hazard

import (
	"cmp"
	"math"
	"slices"
	"time"

	"github.com/michi-v2x/michi/pkg/geo"
)

// mergeTarget is the nearest active hazard a new finding belongs to: same cause, within the
// cause's merge radius, and a heading no more than 90° off when both have one.
func (m *Manager) mergeTarget(f Finding) *entry {
	r := m.o.causeDefaults(f.Cause).MergeRadiusM
	var best *entry
	bestD := math.Inf(1)
	m.index.Within(f.Pos, r, func(seq uint16, _ geo.Point, d float64) bool {
		e := m.entries[seq]
		if e == nil || e.h.Cause != f.Cause || d >= bestD {
			return true
		}
		if f.HasHeading && e.h.HasHeading && geo.AngleDiff(f.HeadingDeg, e.h.HeadingDeg) > 90 &&
			acrossRoad(f.Pos, f.HeadingDeg, e.h.Pos, e.h.HeadingDeg) > m.o.MaxOppositeLateralM {
			return true // the other carriageway
		}
		best, bestD = e, d
		return true
	})
	return best
}

// acrossRoad is how far apart a and b lie across the road that two opposite headings give.
func acrossRoad(a geo.Point, ha float64, b geo.Point, hb float64) float64 {
	x, y := geo.NewProjection(a).ToLocal(b)
	return AcrossRoadM(x, y, ha, hb)
}

// AcrossRoadM is how far apart, across the road, lie two places (dx, dy) metres east and north
// of each other, on a road whose axis two opposite headings give: the mean of ha and hb
// reversed, so a road in any direction, and headings a little off it, measure alike. Headings
// that do not oppose each other give +Inf.
func AcrossRoadM(dx, dy, ha, hb float64) float64 {
	sa, ca := math.Sincos(ha * math.Pi / 180)
	sb, cb := math.Sincos(hb * math.Pi / 180)
	ax, ay := sa-sb, ca-cb // ha plus hb reversed: along the road
	n := math.Hypot(ax, ay)
	if n < 1e-9 {
		return math.Inf(1)
	}
	return math.Abs(dx*ay-dy*ax) / n
}

// create allocates a sequence number and an unpublished entry at the finding's position.
func (m *Manager) create(now time.Time, f Finding) *entry {
	for range 1 << 16 {
		m.reserve()
		seq := m.nextSeq
		m.nextSeq++
		m.left--
		if _, used := m.entries[seq]; used {
			continue
		}
		e := &entry{created: true, keys: make(map[*keyState]struct{})}
		e.h = Hazard{
			Cause: f.Cause, SubCause: f.SubCause, Pos: f.Pos,
			HeadingDeg: f.HeadingDeg, HasHeading: f.HasHeading,
			State: StateActive, FirstDetected: now,
		}
		e.h.ActionID.OriginatingStationID = m.o.StationID
		e.h.ActionID.SequenceNumber = seq
		m.entries[seq] = e
		m.index.Set(seq, f.Pos)
		return e
	}
	return nil
}

func (m *Manager) detach(ks *keyState) {
	delete(ks.e.keys, ks)
	if keys := m.byDet[ks.det]; keys[ks.key] == ks {
		delete(keys, ks.key)
	}
}

// settle publishes what changed in the touched entries, in order.
func (m *Manager) settle(now time.Time, touched []*entry) []Event {
	var events []Event
	for _, e := range touched {
		if m.entries[e.h.ActionID.SequenceNumber] != e {
			continue // ended earlier in this call
		}
		if len(e.keys) == 0 {
			if now.Before(e.hold) { // restored, waiting for a detector to claim it
				continue
			}
			if e.created { // never published: nothing to cancel
				m.remove(e)
				continue
			}
			events = append(events, m.end(e, Terminated, now))
			continue
		}
		next := m.aggregate(e)
		switch {
		case e.created:
			e.created = false
			m.publish(e, next, now)
			events = append(events, Event{Kind: Created, Hazard: e.h.clone()})
		case m.changed(e.h, next) || m.refreshDue(e, now):
			m.publish(e, next, now)
			events = append(events, Event{Kind: Updated, Hazard: e.h.clone()})
		}
	}
	return events
}

// publish makes next the published version of e, timed now.
func (m *Manager) publish(e *entry, next Hazard, now time.Time) {
	ref := now
	if !e.h.Reference.IsZero() && ref.Sub(e.h.Reference) < time.Millisecond {
		ref = e.h.Reference.Add(time.Millisecond) // ETSI times have millisecond resolution
	}
	next.Detection, next.Reference = now, ref
	if !next.Pos.Valid() {
		next.Pos = e.h.Pos
	}
	if next.Pos != e.h.Pos {
		m.index.Set(e.h.ActionID.SequenceNumber, next.Pos)
	}
	e.h = next
}

// end removes e from the active set as Terminated or Expired and returns the event.
func (m *Manager) end(e *entry, kind EventKind, now time.Time) Event {
	h := e.h
	if kind == Terminated {
		m.publish(e, h, now) // a termination is a new version: fresh detection/reference time
		h = e.h
		h.State = StateTerminated
	} else {
		h.State = StateExpired
	}
	h.Ended = now
	m.remove(e)
	if cap(m.history) > 0 {
		if len(m.history) < cap(m.history) {
			m.history = append(m.history, h)
		} else {
			m.history[m.histPos] = h
		}
		m.histPos = (m.histPos + 1) % cap(m.history)
	}
	return Event{Kind: kind, Hazard: h.clone()}
}

func (m *Manager) remove(e *entry) {
	for ks := range e.keys {
		m.detach(ks)
	}
	delete(m.entries, e.h.ActionID.SequenceNumber)
	m.index.Delete(e.h.ActionID.SequenceNumber)
}

// aggregate computes the version e's keys describe now (times are set by publish).
func (m *Manager) aggregate(e *entry) Hazard {
	ks := make([]*keyState, 0, len(e.keys))
	for k := range e.keys {
		ks = append(ks, k)
	}
	slices.SortFunc(ks, func(a, b *keyState) int { return cmp.Compare(a.order, b.order) })

	h := e.h
	d := m.o.causeDefaults(h.Cause)
	h.SubCause, h.Direction, h.RadiusM, h.Validity = 0, 0, 0, 0
	var lat, lon, hx, hy float64
	var nHeading int
	var sources, detectors []string
	for _, k := range ks {
		f := k.f
		if h.SubCause == 0 {
			h.SubCause = f.SubCause
		}
		if h.Direction == 0 {
			h.Direction = f.Direction
		}
		h.RadiusM = max(h.RadiusM, cmp0(f.RadiusM, d.RadiusM))
		h.Validity = max(h.Validity, cmp0(f.Validity, d.Validity))
		lat += f.Pos.Lat
		lon += f.Pos.Lon
		if f.HasHeading {
			s, c := math.Sincos(f.HeadingDeg * math.Pi / 180)
			hx, hy = hx+s, hy+c
			nHeading++
		}
		sources = append(sources, f.Sources...)
		detectors = append(detectors, k.det)
	}
	if h.Direction == 0 {
		h.Direction = d.Direction
	}
	n := float64(len(ks))
	h.Pos = geo.Point{Lat: lat / n, Lon: lon / n}
	// Keys from both directions of a road (their headings cancel out) make an event for traffic
	// from either side: no heading.
	h.HasHeading = nHeading > 0 && math.Hypot(hx, hy) >= 0.5*float64(nHeading)
	h.HeadingDeg = 0
	if h.HasHeading {
		h.HeadingDeg = math.Mod(math.Atan2(hx, hy)*180/math.Pi+360, 360)
	}
	h.Sources = sortedSet(sources)
	h.Detectors = sortedSet(detectors)
	h.InformationQuality = Quality(len(h.Sources))
	return h
}

// changed says whether next differs from the published version in anything a receiver cares about.
func (m *Manager) changed(pub, next Hazard) bool {
	if pub.SubCause != next.SubCause || pub.Direction != next.Direction ||
		pub.RadiusM != next.RadiusM || pub.Validity != next.Validity ||
		pub.InformationQuality != next.InformationQuality || pub.HasHeading != next.HasHeading ||
		!slices.Equal(pub.Sources, next.Sources) || !slices.Equal(pub.Detectors, next.Detectors) {
		return true
	}
	if next.HasHeading && geo.AngleDiff(pub.HeadingDeg, next.HeadingDeg) > m.o.HeadingThresholdDeg {
		return true
	}
	return geo.Distance(pub.Pos, next.Pos) > m.o.MoveThresholdM
}

func (m *Manager) refreshDue(e *entry, now time.Time) bool {
	every := m.o.RefreshEvery
	if every == 0 {
		every = e.h.Validity / 2
	}
	return !e.created && now.Sub(e.h.Reference) >= every
}

// normSources copies a finding's sources; none means the detector itself.
func normSources(detector string, src []string) []string {
	if len(src) == 0 {
		return []string{"detector:" + detector}
	}
	return slices.Clone(src)
}

func sortedSet(s []string) []string {
	slices.Sort(s)
	return slices.Compact(s)
}

func cmp0[T float64 | time.Duration](v, def T) T {
	if v == 0 {
		return def
	}
	return v
}
