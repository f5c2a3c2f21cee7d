package live

import (
	"context"
	"math"
	"time"

	"github.com/michi-v2x/michi/pkg/geo"
	"github.com/michi-v2x/michi/pkg/v2x"
	"github.com/michi-v2x/michi/pkg/v2x/client"
	"github.com/michi-v2x/michi/sim"
	"github.com/michi-v2x/michi/sim/report"
)

// loop steps the world once per step of wall-clock time until the duration is over.
func (r *runner) loop(ctx context.Context, start time.Time) {
	dt := r.eng.Config().Step
	camEvery := max(1, int(math.Round(1/(r.o.CAMHz*dt.Seconds()))))
	timer := time.NewTimer(0)
	defer timer.Stop()
	lastProgress := start
	pr := newProgress(r.o.Progress, r.o.ProgressTTY, r.o.Duration)
	defer pr.done()
	for step := 1; time.Duration(step)*dt <= r.o.Duration; step++ {
		due := start.Add(time.Duration(step) * dt)
		if wait := time.Until(due); wait > 0 {
			timer.Reset(wait)
			select {
			case <-ctx.Done():
				return
			case <-timer.C:
			}
		} else if ctx.Err() != nil {
			return
		} else if -wait > dt {
			r.lateSteps++
			r.maxLag = max(r.maxLag, -wait)
		}
		if r.o.Source != nil {
			states, ok, err := r.o.Source.Next(time.Duration(step) * dt)
			if err != nil {
				r.o.Log.Error("vehicle source", "error", err)
			}
			if !ok {
				return
			}
			r.eng.SetExternal(states)
			r.attachExternal(ctx)
		}
		r.applyWarnings()
		res := r.eng.Step()
		now := time.Now()
		// The collector's clock is the wall clock since start, like the edges' timestamps; it
		// runs at most a few milliseconds ahead of virtual time unless the loop falls behind.
		t := now.Sub(start).Seconds()
		r.hazardEvents(ctx, res, t)
		r.externalIncidents(t, false)
		r.sendReadings(res, now)
		r.sendCAMs(step, camEvery, now)
		r.track(t, step)
		if now.Sub(lastProgress) >= time.Second {
			lastProgress = now
			pr.line(t, r.col.Progress(), r.col.Totals(), r.maxLag)
		}
	}
}

// applyWarnings hands the alerts received since the last step to the vehicles.
func (r *runner) applyWarnings() {
	r.inboxMu.Lock()
	ws := r.inbox
	r.inbox = nil
	r.inboxMu.Unlock()
	for _, w := range ws {
		if w.terminate {
			r.eng.Unwarn(w.vehicle)
		} else {
			r.eng.Warn(w.vehicle, w.pos)
		}
	}
}

// hazardEvents records started and ended hazards and sends the step's reports.
func (r *runner) hazardEvents(ctx context.Context, res *sim.StepResult, t float64) {
	for _, i := range res.Started {
		h := &r.eng.Hazards[i]
		r.col.Injected(report.Incident{Index: i, ID: h.Spec.ID, Kind: string(h.Spec.Kind), Causes: h.Spec.Kind.EdgeCauses(),
			Start: t, Pos: r.eng.Point(h.Pos), HeadingDeg: h.Heading, HasHeading: h.HasHeading})
	}
	for _, i := range res.Ended {
		r.col.InjectedEnded(i, t)
	}
	for _, rep := range res.Reports {
		h := client.Hazard{Cause: rep.Cause, Pos: r.eng.Point(rep.Pos), HeadingDeg: rep.Heading, HasHeading: rep.HasHeading,
			AwarenessRadiusM: rep.RadiusM}
		if rep.Vehicle < 0 && r.hub != nil {
			r.hubReport(rep)
			continue
		}
		if rep.Vehicle < 0 {
			r.authorityReport(ctx, rep, h)
			continue
		}
		if l := r.links[rep.Vehicle]; l != nil && l.up.Load() {
			select {
			case l.reports <- h:
			default:
				r.col.Count(func(c *report.Counters) { c.SendErrors++ })
				r.o.Log.Warn("vehicle report queue full", "station", l.station)
			}
		}
	}
}

// authorityReport publishes (or cancels) road works from the authority's client.
func (r *runner) authorityReport(ctx context.Context, rep sim.Report, h client.Hazard) {
	c, err := r.authority(ctx, r.nearestEdge(rep.Pos))
	if err != nil {
		r.o.Log.Error("road works", "error", err)
		return
	}
	if rep.Terminate {
		id, ok := r.authIDs[rep.Hazard]
		if !ok {
			return
		}
		term := v2x.Termination(0)
		h.ActionID, h.Termination = id, &term
	}
	ctx2, cancel := context.WithTimeout(r.clientCtx, 5*time.Second)
	defer cancel()
	id, err := c.Report(ctx2, h) // QoS 1: returns once the edge has it
	r.col.Count(func(c *report.Counters) { c.DENMs++ })
	if err != nil {
		r.col.Count(func(c *report.Counters) { c.SendErrors++ })
		r.o.Log.Warn("road works report", "hazard", rep.Hazard, "error", err)
		return
	}
	r.authIDs[rep.Hazard] = id
}

// sendReadings publishes each due sensor reading as a CPM.
func (r *runner) sendReadings(res *sim.StepResult, now time.Time) {
	for _, rd := range res.Readings {
		s := &r.eng.Sensors[rd.Sensor]
		objs := make([]v2x.PerceivedObject, 0, len(rd.Objects))
		for _, o := range rd.Objects {
			d := o.Pos.Sub(rd.Pos)
			po := v2x.PerceivedObject{ObjectID: o.ObjectID, HasID: true, EastM: d.X, NorthM: d.Y,
				SpeedMPS: o.SpeedMPS, SpeedOK: true}
			switch o.Class {
			case sim.ClassVehicle:
				po.Class, po.HeadingDeg, po.HeadingOK = v2x.ClassVehicle, o.HeadingDeg, true
			case sim.ClassPedestrian:
				po.Class = v2x.ClassPedestrian
			default:
				po.Class = v2x.ClassOther
			}
			objs = append(objs, po)
		}
		m := v2x.NewCPM(v2x.CPMSpec{SourceUUID: "sim_rsu_" + s.Spec.ID, StationID: s.Spec.Station, Pos: r.eng.Point(rd.Pos), At: now, Objects: objs})
		if err := r.sensors[rd.Sensor].publish(r.o.Root, m, "sim_rsu_"+s.Spec.ID); err != nil {
			r.col.Count(func(c *report.Counters) { c.SendErrors++ })
			r.o.Log.Warn("sensor publish", "sensor", s.Spec.ID, "error", err)
			continue
		}
		r.col.Count(func(c *report.Counters) { c.CPMs++ })
	}
}

// sendCAMs hands each connected vehicle whose CAM is due its state; a vehicle still busy with
// its previous send skips this one.
func (r *runner) sendCAMs(step, every int, now time.Time) {
	sent, skipped := 0, 0
	for i, l := range r.links {
		v := &r.eng.Vehicles[i]
		if l == nil || !v.Active || !l.up.Load() || (step+i)%every != 0 {
			continue
		}
		p := r.eng.Point(v.Pos)
		select {
		case l.states <- client.State{Pos: p, SpeedMPS: v.Speed, HeadingDeg: v.Heading, At: now}:
			sent++
		default:
			skipped++
		}
	}
	r.col.Count(func(c *report.Counters) { c.CAMs += int64(sent); c.CAMsSkipped += int64(skipped) })
}

// track gives the collector the connected vehicles' positions and finds who reached a hazard.
func (r *runner) track(t float64, step int) {
	vs := make([]report.VehicleState, 0, len(r.links))
	for i, l := range r.links {
		if l == nil || !l.up.Load() {
			continue
		}
		v := &r.eng.Vehicles[i]
		var sub geo.Point
		var heading float64
		if st := l.subState.Load(); st != nil {
			sub, heading = st.Pos, st.HeadingDeg
		}
		var pending geo.Point
		var pendHdg float64
		if st := l.pending.Load(); st != nil {
			pending, pendHdg = st.Pos, st.HeadingDeg
		}
		vs = append(vs, report.VehicleState{ID: i, Active: v.Active, Pos: r.eng.Point(v.Pos), CAMPos: sub, Heading: heading,
			Pending: pending, PendingHeading: pendHdg})
	}
	trace := r.eng.Config().External && step%50 == 0
	r.col.Step(t, vs, trace)
	for hi := range r.eng.Hazards {
		h := &r.eng.Hazards[hi]
		if !h.Active {
			continue
		}
		if (h.Spec.Kind == sim.WrongWay || h.Spec.Kind == sim.Pedestrian) && step%10 == 0 {
			r.col.InjectedMoved(hi, t, r.eng.Point(h.Pos))
		}
		r.reach(hi, h, h.Actor, t)
	}
	for idx, x := range r.extHz {
		r.reach(idx, &x.hz, x.actor, t)
	}
}

// attachExternal connects the external vehicles that appeared and lets go of those that left.
func (r *runner) attachExternal(ctx context.Context) {
	for len(r.links) < len(r.eng.Vehicles) {
		r.links = append(r.links, nil)
	}
	for i := range r.eng.Vehicles {
		v := &r.eng.Vehicles[i]
		switch l := r.links[i]; {
		case l == nil && v.Active && v.Connected:
			l = newVehLink(v.ID, v.Station, r.nearestEdge(v.Pos))
			r.links[i] = l
			r.cwg.Add(1)
			go func() {
				defer r.cwg.Done()
				select {
				case r.dialSem <- struct{}{}:
				case <-r.clientCtx.Done():
					return
				}
				defer func() { <-r.dialSem }()
				if err := r.dial(ctx, l); err != nil {
					r.o.Log.Debug("vehicle connect", "id", v.External, "error", err)
				}
			}()
		case l != nil && !v.Active:
			l.close()
		}
	}
}
