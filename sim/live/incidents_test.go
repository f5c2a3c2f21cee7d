package live

import (
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/michi-v2x/michi/pkg/geo"
	"github.com/michi-v2x/michi/sim"
)

// fakeIncidents is an external source like a SUMO run with a breakdown: a car drives east and
// stands from 2 s to 5 s; a second incident never happens.
type fakeIncidents struct {
	mu     sync.Mutex
	events []sim.ExtIncident
	began  bool
	ended  bool
}

func (f *fakeIncidents) Next(t time.Duration) ([]sim.ExtState, bool, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	s := t.Seconds()
	stand := geo.Destination(lyon, 90, 40)
	car := sim.ExtState{ID: "michi-incident-bd", Pos: stand, HeadingDeg: 90, Connect: true}
	switch {
	case s < 2:
		car.Pos, car.SpeedMPS = geo.Destination(lyon, 90, 20*s), 10
	case s < 5:
		if !f.began {
			f.began = true
			f.events = append(f.events, sim.ExtIncident{ID: "bd", Kind: sim.StoppedVehicle, Event: sim.IncidentBegan,
				Vehicle: car.ID, Pos: stand, HeadingDeg: 90})
		}
	default:
		car.Pos, car.SpeedMPS = geo.Destination(stand, 90, 10*(s-5)), 10
		if !f.ended {
			f.ended = true
			f.events = append(f.events, sim.ExtIncident{ID: "bd", Kind: sim.StoppedVehicle, Event: sim.IncidentEnded, Vehicle: car.ID})
		}
	}
	other := sim.ExtState{ID: "other", Pos: geo.Destination(lyon, 90, 15*s-60), HeadingDeg: 90, SpeedMPS: 15}
	return []sim.ExtState{car, other}, true, nil
}

func (f *fakeIncidents) Incidents(final bool) []sim.ExtIncident {
	f.mu.Lock()
	defer f.mu.Unlock()
	ev := f.events
	f.events = nil
	if final {
		ev = append(ev, sim.ExtIncident{Index: 1, ID: "never", Kind: sim.StoppedVehicle, Event: sim.IncidentNotHappened,
			Reason: "its vehicle was never inserted by SUMO"})
	}
	return ev
}

func (f *fakeIncidents) Close() error { return nil }

// The run reports what the source says happened: the breakdown from when its car stood to when
// it drove off, with its car a connected client although no other vehicle is; the one that did
// not happen is listed and left out of recall.
func TestExternalIncidents(t *testing.T) {
	none := 0.0
	rep := runReport(t, Options{
		Name: "sumo-breakdown", Duration: 7 * time.Second, Edges: []EdgeSpec{{ID: "e1"}}, Source: &fakeIncidents{},
		World: sim.Config{Origin: lyon, Seed: 1, External: true, Traffic: sim.Traffic{Connected: &none}},
	})
	require.Equal(t, 2, rep.Vehicles)
	require.Equal(t, 1, rep.Connected, "the breakdown's car is always connected")
	require.Len(t, rep.Hazards, 1)
	h := rep.Hazards[0]
	require.Equal(t, "bd", h.ID)
	require.Equal(t, "stopped_vehicle", h.Kind)
	require.True(t, h.Detectable)
	require.InDelta(t, 2, h.StartS, 0.5)
	require.NotNil(t, h.EndS)
	require.InDelta(t, 5, *h.EndS, 0.5)
	require.InDelta(t, geo.Destination(lyon, 90, 40).Lon, h.Lon, 1e-9)
	d := rep.Detection
	require.Equal(t, 1, d.Overall.Incidents, "the one that did not happen is not in recall")
	require.Len(t, d.NotHappened, 1)
	require.Equal(t, "never", d.NotHappened[0].ID)
	require.Equal(t, d.Overall.Raised, d.Overall.Matched+d.Overall.Phantom)
}
