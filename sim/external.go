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
			v.External, v.Connected = st.ID, e.extConnected(st.ID)
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
