package ldm

import (
	"cmp"
	"math"
	"slices"
	"time"

	"github.com/michi-v2x/michi/pkg/geo"
)

// refresh recomputes t's state from its sources. A self-reporting object takes its own CAM
// (obs[0]) as authoritative. A sensor-only object takes speed, heading and kind from its latest
// sighting and the mean of the sightings within fuseWindow of it, each predicted to the latest
// time along its own velocity.
func (m *Map) refresh(t *track) {
	if t.StationID != 0 {
		o := &t.obs[0]
		t.Pos, t.SpeedMPS, t.HeadingDeg, t.HeadingOK = o.pos, o.speed, o.heading, o.headingOK
		t.Updated = t.Sources[0].At
	} else {
		li := 0
		for i := range t.Sources {
			if t.Sources[i].At.After(t.Sources[li].At) {
				li = i
			}
		}
		latest := t.Sources[li].At
		lo := &t.obs[li]
		t.SpeedMPS, t.HeadingDeg, t.HeadingOK = lo.speed, lo.heading, lo.headingOK
		if lo.kind != KindUnknown {
			t.Kind = lo.kind
		}
		t.Updated = latest
		t.Pos = lo.pos
		if len(t.Sources) > 1 {
			t.Pos = m.meanSighting(t, latest)
		}
	}
	if t.HeadingOK {
		t.sinH, t.cosH = math.Sincos(t.HeadingDeg * deg2rad)
	}
	if t.SpeedMPS < m.opts.StopSpeedMPS {
		if t.StoppedSince.IsZero() {
			t.StoppedSince = t.Updated
		}
	} else {
		t.StoppedSince = time.Time{}
	}
}

// meanSighting averages the sightings of t within fuseWindow of latest, predicted to latest.
func (m *Map) meanSighting(t *track, latest time.Time) geo.Point {
	var sumLat, sumLon float64
	n := 0
	ref := t.obs[0].pos.Lon
	for i, s := range t.Sources {
		dt := latest.Sub(s.At)
		if dt > fuseWindow {
			continue
		}
		o := &t.obs[i]
		p := o.pos
		if o.headingOK {
			sinH, cosH := math.Sincos(o.heading * deg2rad)
			p = predict(p, o.speed, sinH, cosH, dt)
		}
		sumLat += p.Lat
		sumLon += ref + lonDelta(p.Lon-ref)
		n++
	}
	return geo.Point{Lat: sumLat / float64(n), Lon: geo.NormalizeLon(sumLon / float64(n))}
}

// predict moves p along a velocity (speed, heading as unit vector east/north) for dt, bounded
// by maxPredict either way, on a local flat earth (metres over a second or so).
func predict(p geo.Point, speed, sinH, cosH float64, dt time.Duration) geo.Point {
	dt = max(-maxPredict, min(maxPredict, dt))
	d := speed * dt.Seconds()
	if d == 0 {
		return p
	}
	lat := p.Lat + d*cosH/mPerDegLat
	cl := math.Cos(p.Lat * deg2rad)
	if cl < 1e-6 {
		return geo.Point{Lat: math.Max(-90, math.Min(90, lat)), Lon: p.Lon}
	}
	return geo.Point{
		Lat: math.Max(-90, math.Min(90, lat)),
		Lon: geo.NormalizeLon(p.Lon + d*sinH/(mPerDegLat*cl)),
	}
}

// predicted is t's position extrapolated to at.
func (t *track) predicted(at time.Time) geo.Point {
	if !t.HeadingOK {
		return t.Pos
	}
	return predict(t.Pos, t.SpeedMPS, t.sinH, t.cosH, at.Sub(t.Updated))
}

// lonDelta wraps a longitude difference into [-180,180].
func lonDelta(d float64) float64 {
	if d > 180 {
		return d - 360
	}
	if d < -180 {
		return d + 360
	}
	return d
}

// consistent reports whether two velocities may belong to one object: only when both are
// measured (headingOK) are the speeds compared, and the headings when both move.
func (m *Map) consistent(speedA, headA float64, okA bool, speedB, headB float64, okB bool) bool {
	if !okA || !okB {
		return true
	}
	if math.Abs(speedA-speedB) > m.opts.FusionSpeedGateMPS {
		return false
	}
	moving := 2 * m.opts.StopSpeedMPS
	if speedA > moving && speedB > moving {
		return geo.AngleDiff(headA, headB) <= m.opts.FusionHeadingGateDeg
	}
	return true
}

// hasStation reports whether any source of t is station st.
func (t *track) hasStation(st uint32) bool {
	for i := range t.Sources {
		if t.Sources[i].StationID == st {
			return true
		}
	}
	return false
}

// candidate is a track that passed the fusion gate, at its distance.
type candidate struct {
	t *track
	d float64
}

// searchRadius bounds where a track that may be predicted onto a sighting can be now: the gate
// plus the farthest it moves in maxPredict at a speed fusion still accepts — the sighting's speed
// plus the speed gate when its velocity is known, else up to unknownSpeedMPS.
func (m *Map) searchRadius(speed float64, velocityKnown bool) float64 {
	v := unknownSpeedMPS
	if velocityKnown {
		v = speed + m.opts.FusionSpeedGateMPS
	}
	return m.opts.FusionGateM + v*maxPredict.Seconds()
}

// unknownSpeedMPS bounds the speed of a track whose partner's velocity is unknown (144 km/h).
const unknownSpeedMPS = 40.0

// matchSighting returns the nearest track a sensor's sighting o at time at belongs to: within
// FusionGateM after predicting the track to at, of a compatible kind and velocity, and not
// already reported by this sensor (a sensor's own distinct objects are distinct, and a vehicle
// sending CPMs does not perceive itself). nil when none.
func (m *Map) matchSighting(sensor uint32, o *observation, at time.Time) *track {
	var best *track
	bestD := math.Inf(1)
	m.idx.Within(o.pos, m.searchRadius(o.speed, o.headingOK), func(t *track, _ geo.Point, _ float64) bool {
		if !compatible(t.Kind, o.kind) || t.hasStation(sensor) ||
			!m.consistent(t.SpeedMPS, t.HeadingDeg, t.HeadingOK, o.speed, o.heading, o.headingOK) {
			return true
		}
		if d := geo.Distance(t.predicted(at), o.pos); d <= m.opts.FusionGateM && d < bestD {
			best, bestD = t, d
		}
		return true
	})
	return best
}

// sensorTracksNear lists, nearest first, the sensor-only tracks that may be the self-reporting
// track v: compatible kind and velocity, no sensor in common with v (nor v's own station), and
// within FusionGateM of v's position once predicted to v's time.
func (m *Map) sensorTracksNear(v *track) []candidate {
	m.cands = m.cands[:0]
	m.idx.Within(v.Pos, m.searchRadius(v.SpeedMPS, v.HeadingOK), func(t *track, _ geo.Point, _ float64) bool {
		if t == v || t.StationID != 0 || !compatible(t.Kind, v.Kind) ||
			!m.consistent(t.SpeedMPS, t.HeadingDeg, t.HeadingOK, v.SpeedMPS, v.HeadingDeg, v.HeadingOK) {
			return true
		}
		for i := range t.Sources {
			if v.hasStation(t.Sources[i].StationID) {
				return true
			}
		}
		if d := geo.Distance(t.predicted(v.Updated), v.Pos); d <= m.opts.FusionGateM {
			m.cands = append(m.cands, candidate{t, d})
		}
		return true
	})
	slices.SortFunc(m.cands, func(a, b candidate) int { return cmp.Compare(a.d, b.d) })
	return m.cands
}

// merge moves every source of src into dst and deletes src. A self source goes first in dst
// and makes dst the vehicle. dst keeps its id.
func (m *Map) merge(dst, src *track) {
	for i, s := range src.Sources {
		o := src.obs[i]
		if s.Self {
			dst.Sources = slices.Insert(dst.Sources, 0, s)
			dst.obs = slices.Insert(dst.obs, 0, o)
			dst.StationID, dst.StationType = src.StationID, src.StationType
			m.byStation[s.StationID] = dst
		} else {
			dst.Sources = append(dst.Sources, s)
			dst.obs = append(dst.obs, o)
			m.bySensor[sensorKey{s.StationID, s.ObjectID}] = dst
		}
	}
	if dst.Kind == KindUnknown || src.StationID != 0 && src.Kind != KindUnknown {
		dst.Kind = src.Kind
	}
	stopped := src.StoppedSince
	delete(m.objs, src.ID)
	m.idx.Delete(src)
	src.Sources, src.obs = nil, nil
	m.refresh(dst)
	if !dst.StoppedSince.IsZero() && !stopped.IsZero() && stopped.Before(dst.StoppedSince) {
		dst.StoppedSince = stopped // a sensor saw it stand before its CAM said so
	}
	m.reindex(dst)
}
