package sim

import (
	"hash/fnv"

	"github.com/michi-v2x/michi/pkg/geo"
)

// ExtState is the state of an externally driven vehicle (a SUMO vehicle) at one step.
type ExtState struct {
	ID         string
	Pos        geo.Point
	HeadingDeg float64
	SpeedMPS   float64
	// Connect makes it a connected vehicle whatever Traffic.Connected draws (the vehicle of an
	// incident SUMO makes happen sends CAMs like a stopped_vehicle actor).
	Connect bool
}

// ExtIncident is news of an incident an external source made happen (a SUMO vehicle that
// broke down at its stop): it began, moved, ended, or never happened.
type ExtIncident struct {
	Index      int    // in the source's list of incidents
	ID         string // the incident's name
	Kind       Kind   // StoppedVehicle or SlowVehicle
	Event      ExtEvent
	Vehicle    string // the external id of its vehicle
	Pos        geo.Point
	HeadingDeg float64 // of its vehicle
	Reason     string  // NotHappened: why
}

// ExtEvent is what an ExtIncident reports.
type ExtEvent int

// The events of an external incident.
const (
	IncidentBegan ExtEvent = iota
	IncidentMoved
	IncidentEnded
	IncidentNotHappened
)

// ExternalVehicle returns the engine's id of the external vehicle with that external id.
func (e *Engine) ExternalVehicle(id string) (int, bool) {
	v, ok := e.ext[id]
	return v, ok
}

// SetExternal replaces the externally driven vehicles by those in states: a new id becomes a
// new vehicle (connected with probability Traffic.Connected, decided from the seed and the id,
// so a replay gives the same choice), an id missing from states leaves the road.
func (e *Engine) SetExternal(states []ExtState) {
	if e.extSeen == nil || len(e.extSeen) < len(e.Vehicles) {
		e.extSeen = make([]bool, len(e.Vehicles)+len(states))
	}
	seen := e.extSeen[:0]
	for range e.Vehicles {
		seen = append(seen, false)
	}
	for _, st := range states {
		id, ok := e.ext[st.ID]
		if !ok {
			v := e.newVehicle()
			v.External, v.Connected = st.ID, st.Connect || e.extConnected(st.ID)
			id = v.ID
			e.ext[st.ID] = id
			seen = append(seen, false)
		}
		v := &e.Vehicles[id]
		x, y := e.Net.Proj.ToLocal(st.Pos)
		v.Pos, v.Heading, v.Speed, v.Active = Vec{x, y}, st.HeadingDeg, st.SpeedMPS, true
		seen[id] = true
	}
	for i := range e.Vehicles {
		if v := &e.Vehicles[i]; v.External != "" && !seen[i] {
			v.Active = false
		}
	}
	e.extSeen = seen
}

func (e *Engine) extConnected(id string) bool {
	h := fnv.New64a()
	h.Write([]byte(id))
	r := newRNG(e.cfg.Seed, h.Sum64())
	return r.float() < *e.cfg.Traffic.Connected
}
