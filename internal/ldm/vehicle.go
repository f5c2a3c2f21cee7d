package ldm

import (
	"math"

	"github.com/michi-v2x/michi/pkg/geo"
)

// UpdateVehicle applies a vehicle's own report (CAM) and returns the id of its object, or 0 when
// the report is unusable (station id 0, invalid position, non-finite speed or heading). A report
// older than the vehicle's latest changes nothing and returns its id.
//
// The vehicle's own position, speed and heading are authoritative for its object. A vehicle not
// yet tracked by its CAMs takes over the nearest sensor-only object that fusion accepts (see the
// package doc), keeping that object's id; and on every report any further sensor-only object
// that fusion accepts merges into it — so a car that three sensors saw before its first CAM is
// one object with four sources.
func (m *Map) UpdateVehicle(v VehicleState) uint64 {
	if v.StationID == 0 || !v.Pos.Valid() || !finite(v.SpeedMPS) || !finite(v.HeadingDeg) {
		return 0
	}
	ob := observation{
		pos: v.Pos, speed: math.Max(0, v.SpeedMPS), heading: normHeading(v.HeadingDeg),
		headingOK: v.HeadingOK, kind: KindOfStationType(v.StationType),
	}
	m.mu.Lock()
	defer m.mu.Unlock()

	t := m.byStation[v.StationID]
	prev, hadPrev := geo.Point{}, t != nil
	if t != nil {
		if v.At.Before(t.Sources[0].At) {
			return t.ID
		}
		prev = t.Pos
		t.Sources[0].At = v.At
		t.obs[0] = ob
	} else {
		t = m.newTrack()
		t.StationID = v.StationID
		t.Sources = append(t.Sources, Source{StationID: v.StationID, Self: true, At: v.At})
		t.obs = append(t.obs, ob)
		m.byStation[v.StationID] = t
		m.sources++
	}
	t.StationType = v.StationType
	if ob.kind != KindUnknown {
		t.Kind = ob.kind
	}
	m.refresh(t)
	m.reindex(t)

	if m.sensorOnly() > 0 {
		cands := m.sensorTracksNear(t)
		for i, c := range cands {
			if i == 0 && !hadPrev {
				// The sensors saw it first: their object becomes this vehicle, id and all.
				m.merge(c.t, t)
				t = c.t
				continue
			}
			if !sharesStation(t, c.t) { // an earlier merge may have brought that sensor in
				m.merge(t, c.t)
			}
		}
	}

	if t.Kind == KindVehicle && ob.speed > m.opts.RoadSpeedMPS {
		t.road = m.road.learn(prev, hadPrev, t.Pos, v.At, t.road)
	}
	return t.ID
}

// sharesStation reports whether a and b have a reporting station in common.
func sharesStation(a, b *track) bool {
	for i := range b.Sources {
		if a.hasStation(b.Sources[i].StationID) {
			return true
		}
	}
	return false
}

func finite(f float64) bool { return !math.IsNaN(f) && !math.IsInf(f, 0) }

// normHeading maps degrees into [0,360).
func normHeading(d float64) float64 {
	d = math.Mod(d, 360)
	if d < 0 {
		d += 360
	}
	if d >= 360 {
		d = 0
	}
	return d
}
