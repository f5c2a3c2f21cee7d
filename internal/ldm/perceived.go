package ldm

import (
	"math"
	"time"

	"github.com/michi-v2x/michi/pkg/geo"
)

// UpdatePerceived applies one sensor report (CPM) from sensorStationID, sighted at at. Objects
// with an invalid position or a non-finite speed or heading are skipped, and so is a sighting
// older than the one the map already holds from this sensor for that object.
//
// Each (sensor, object id) pair stays associated with the object it first joined, for as long as
// the sighting stays within twice FusionGateM of that object's (predicted) position and of a
// compatible kind; beyond that the sensor has re-used the id for something else and the pair is
// re-associated. A new pair joins the nearest object that fusion accepts (see the package doc)
// or starts a sensor-only object.
func (m *Map) UpdatePerceived(sensorStationID uint32, objs []Perceived, at time.Time) {
	m.mu.Lock()
	defer m.mu.Unlock()
	for i := range objs {
		p := &objs[i]
		if !p.Pos.Valid() || !finite(p.SpeedMPS) || !finite(p.HeadingDeg) {
			continue
		}
		ob := observation{
			pos: p.Pos, speed: math.Max(0, p.SpeedMPS), heading: normHeading(p.HeadingDeg),
			headingOK: p.HeadingOK, kind: p.Kind,
		}
		m.sighting(sensorKey{sensorStationID, p.ObjectID}, &ob, at)
	}
}

func (m *Map) sighting(key sensorKey, ob *observation, at time.Time) {
	t := m.bySensor[key]
	si := -1
	var prev geo.Point
	hadPrev := false
	if t != nil {
		si = t.sourceIndex(key)
		if at.Before(t.Sources[si].At) {
			return
		}
		prev, hadPrev = t.obs[si].pos, true
		if len(t.Sources) > 1 && (!compatible(t.Kind, ob.kind) ||
			geo.Distance(t.predicted(at), ob.pos) > 2*m.opts.FusionGateM) {
			m.dropSource(t, si)
			m.refresh(t)
			m.reindex(t)
			t, si, hadPrev = nil, -1, false
		}
	}
	if t == nil {
		if t = m.matchSighting(key.station, ob, at); t == nil {
			t = m.newTrack()
		}
		t.Sources = append(t.Sources, Source{StationID: key.station, ObjectID: key.object})
		t.obs = append(t.obs, observation{})
		si = len(t.Sources) - 1
		m.bySensor[key] = t
		m.sources++
	}
	t.Sources[si].At = at
	t.obs[si] = *ob
	if t.Kind == KindUnknown {
		t.Kind = ob.kind
	}
	m.refresh(t)
	m.reindex(t)
	// Unconnected vehicles teach the road too (connected ones do so from their CAMs).
	if t.StationID == 0 && t.Kind == KindVehicle && ob.headingOK && ob.speed > m.opts.RoadSpeedMPS {
		t.road = m.road.learn(prev, hadPrev, ob.pos, at, t.road)
	}
}

// sourceIndex is the index of the sensor source key in t.
func (t *track) sourceIndex(key sensorKey) int {
	for i := range t.Sources {
		s := &t.Sources[i]
		if !s.Self && s.StationID == key.station && s.ObjectID == key.object {
			return i
		}
	}
	return -1
}
