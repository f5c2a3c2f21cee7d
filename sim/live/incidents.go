package live

import (
	"github.com/michi-v2x/michi/sim"
	"github.com/michi-v2x/michi/sim/report"
)

// IncidentSource is a Source that also makes incidents happen (SUMO's breakdowns): Incidents
// returns what happened to them since the last call, and with final (the run is over) reports
// those that never happened.
type IncidentSource interface {
	Source
	Incidents(final bool) []sim.ExtIncident
}

// extIncident is an incident of the source while it lasts.
type extIncident struct {
	hz    sim.Hazard // where it is, for Reached
	actor int        // the engine's id of its vehicle, -1 if unknown
}

// externalIncidents hands the source's news of its incidents to the collector. An incident's
// index in the report follows the injected hazards'.
func (r *runner) externalIncidents(t float64, final bool) {
	src, ok := r.o.Source.(IncidentSource)
	if !ok {
		return
	}
	base := len(r.eng.Hazards)
	for _, ev := range src.Incidents(final) {
		idx := base + ev.Index
		switch ev.Event {
		case sim.IncidentBegan:
			r.col.Injected(report.Incident{Index: idx, ID: ev.ID, Kind: string(ev.Kind), Causes: ev.Kind.EdgeCauses(),
				Start: t, Pos: ev.Pos, HeadingDeg: ev.HeadingDeg, HasHeading: true})
			x, y := r.eng.Net.Proj.ToLocal(ev.Pos)
			actor, ok := r.eng.ExternalVehicle(ev.Vehicle)
			if !ok {
				actor = -1
			}
			r.extHz[idx] = &extIncident{hz: sim.Hazard{Pos: sim.Vec{X: x, Y: y}, Heading: ev.HeadingDeg, HasHeading: true},
				actor: actor}
		case sim.IncidentMoved:
			r.col.InjectedMoved(idx, t, ev.Pos)
		case sim.IncidentEnded:
			r.col.InjectedEnded(idx, t)
			delete(r.extHz, idx)
		case sim.IncidentNotHappened:
			r.col.NotHappened(report.NotHappened{ID: ev.ID, Kind: string(ev.Kind), Reason: ev.Reason})
		}
	}
}

// reach tells the collector which connected vehicles (but the hazard's own actor) came within
// reach of hazard index h.
func (r *runner) reach(index int, h *sim.Hazard, actor int, t float64) {
	for i, l := range r.links {
		if l == nil || i == actor {
			continue
		}
		v := &r.eng.Vehicles[i]
		k := [2]int{index, i}
		in := v.Active && h.Reached(v.Pos, v.Heading, r.o.ReachM)
		if in && !r.reached[k] {
			r.col.Reached(index, i, t)
		}
		r.reached[k] = in
	}
}
