package sim

import (
	"fmt"
	"math"
)

// snapLimitM: a hazard that needs a lane must be placed this close to one.
const snapLimitM = 30

func (e *Engine) addHazard(i int, hs HazardSpec) error {
	hz := Hazard{Spec: hs, Index: i, Lane: -1, Actor: -1, reported: map[int]bool{}, pedDir: 1}
	pos := hs.At.Resolve(e.Net.Proj)
	hz.Pos, hz.centre = pos, pos
	if hs.HeadingDeg != nil {
		hz.Heading, hz.HasHeading = math.Mod(*hs.HeadingDeg+360, 360), true
	}
	needsLane := hs.Kind == WrongWay || (!e.cfg.External && (hs.Kind == StoppedVehicle || hs.Kind == Obstacle || hs.CloseLane))
	if len(e.Net.Lanes) > 0 {
		lane, s, dist := e.Net.Snap(pos, hz.Heading, hz.HasHeading)
		if dist <= snapLimitM {
			l := &e.Net.Lanes[lane]
			hz.Lane, hz.S = lane, s
			switch hs.Kind {
			case StoppedVehicle, Obstacle, WrongWay:
				hz.Pos, hz.Heading, hz.HasHeading = l.Pos(s), l.Heading, true
			case RoadWorks:
				if hs.CloseLane {
					hz.Pos = l.Pos(s)
				}
			}
			hz.pedAxis = unit(l.Heading + 90)
		} else if needsLane {
			return &FieldError{Path: fmt.Sprintf("hazards[%d].at", i),
				Msg: fmt.Sprintf("%.0f m from the nearest lane: a %s must be on a road (within %d m)", dist, hs.Kind, snapLimitM)}
		}
	}
	if hz.pedAxis == (Vec{}) {
		hz.pedAxis = unit(hz.Heading + 90)
	}
	if hs.Kind == Pedestrian {
		hz.pedOffset = -hs.LengthM / 2
		hz.Pos = hz.centre.Add(hz.pedAxis.Scale(hz.pedOffset))
	}
	if hs.Kind == StoppedVehicle || hs.Kind == WrongWay {
		v := e.newVehicle()
		v.Connected, v.Lane, v.S, v.Pos, v.Heading = true, hz.Lane, hz.S, hz.Pos, hz.Heading
		v.Static = hs.Kind == StoppedVehicle
		if hs.Kind == WrongWay {
			v.WrongWay, v.Speed = true, hs.SpeedMPS
			v.Heading = math.Mod(hz.Heading+180, 360)
		}
		if hz.Lane >= 0 {
			v.next = -1
		}
		hz.Actor = v.ID
	}
	e.Hazards = append(e.Hazards, hz)
	return nil
}

// updateHazards starts and ends hazards and rebuilds the lane blockers.
func (e *Engine) updateHazards() {
	r := &e.res
	for i := range e.Hazards {
		hz := &e.Hazards[i]
		switch {
		case !hz.Active && !hz.Ended && e.t >= hz.Spec.Start:
			hz.Active = true
			r.Started = append(r.Started, i)
			if hz.Actor >= 0 {
				e.Vehicles[hz.Actor].Active = true
			}
			if hz.Spec.Kind == RoadWorks {
				r.Reports = append(r.Reports, e.authorityReport(hz, false))
			}
		case hz.Active && hz.Spec.Duration > 0 && e.t >= hz.Spec.Start+hz.Spec.Duration:
			e.endHazard(hz)
		}
	}
	for li := range e.blockers {
		e.blockers[li] = e.blockers[li][:0]
	}
	for i := range e.Hazards {
		hz := &e.Hazards[i]
		if hz.Spec.Kind == Pedestrian && hz.Active && len(e.Net.Lanes) > 0 {
			// The pedestrian blocks whichever lane they are in.
			lane, s, dist := e.Net.Snap(hz.Pos, 0, false)
			hz.Lane, hz.S = -1, s
			if dist < 2 {
				hz.Lane = lane
			}
		}
		if half, ok := hz.blocks(); ok {
			e.blockers[hz.Lane] = append(e.blockers[hz.Lane], blocker{s: hz.S, half: half / 2})
		}
	}
}

func (e *Engine) endHazard(hz *Hazard) {
	hz.Active, hz.Ended = false, true
	e.res.Ended = append(e.res.Ended, hz.Index)
	if hz.Actor >= 0 {
		e.Vehicles[hz.Actor].Active = false
	}
	if hz.Spec.Kind == RoadWorks {
		e.res.Reports = append(e.res.Reports, e.authorityReport(hz, true))
	}
}

func (e *Engine) authorityReport(hz *Hazard, terminate bool) Report {
	return Report{Vehicle: -1, Hazard: hz.Index, Cause: RoadWorks.Cause(), Pos: hz.Pos, Heading: hz.Heading,
		HasHeading: hz.HasHeading, RadiusM: hz.Spec.RadiusM, Terminate: terminate}
}

// moveActors moves the wrong-way drivers and the pedestrians.
func (e *Engine) moveActors() {
	for i := range e.Hazards {
		hz := &e.Hazards[i]
		if !hz.Active {
			continue
		}
		switch hz.Spec.Kind {
		case WrongWay:
			v := &e.Vehicles[hz.Actor]
			v.S -= v.Speed * e.dt
			if v.S < 0 {
				e.endHazard(hz) // it has left the road
				continue
			}
			v.Pos = e.Net.Lanes[v.Lane].Pos(v.S)
			hz.Pos, hz.S = v.Pos, v.S
		case Pedestrian:
			hz.pedOffset += hz.pedDir * hz.Spec.SpeedMPS * e.dt
			if w := hz.Spec.LengthM / 2; math.Abs(hz.pedOffset) > w {
				hz.pedOffset = math.Copysign(w, hz.pedOffset)
				hz.pedDir = -hz.pedDir
			}
			hz.Pos = hz.centre.Add(hz.pedAxis.Scale(hz.pedOffset))
		}
	}
}

// reports lets connected vehicles report the obstacles they see and the slippery stretches
// they drive through.
func (e *Engine) reports() {
	for i := range e.Hazards {
		hz := &e.Hazards[i]
		if !hz.Active || (hz.Spec.Kind != Obstacle && hz.Spec.Kind != SlipperyRoad) {
			continue
		}
		for id := range e.Vehicles {
			if len(hz.reported) >= hz.Spec.Reporters {
				break
			}
			v := &e.Vehicles[id]
			if !v.Connected || !v.Active || v.Static || v.WrongWay || hz.reported[id] {
				continue
			}
			d := hz.Pos.Sub(v.Pos)
			rep := Report{Vehicle: id, Hazard: i, Cause: hz.Spec.Kind.Cause(), Heading: v.Heading, HasHeading: true}
			switch hz.Spec.Kind {
			case Obstacle:
				if d.Len() > hz.Spec.SightM || d.Len() < 1 || angleDiff(v.Heading, headingOf(d)) > 30 ||
					(hz.HasHeading && angleDiff(v.Heading, hz.Heading) > 45) {
					continue
				}
				rep.Pos = hz.Pos
			case SlipperyRoad:
				if d.Len() > hz.Spec.RadiusM {
					continue
				}
				rep.Pos = v.Pos
			}
			hz.reported[id] = true
			e.res.Reports = append(e.res.Reports, rep)
		}
	}
}
