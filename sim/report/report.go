package report

import (
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"time"

	"github.com/michi-v2x/michi/pkg/geo"
)

// Report is the result of a run.
type Report struct {
	Scenario  string    `json:"scenario"`
	Seed      uint64    `json:"seed"`
	Transport string    `json:"transport"`
	Relevance string    `json:"relevance"`
	StartedAt time.Time `json:"started_at"`
	DurationS float64   `json:"duration_s"`
	Vehicles  int       `json:"vehicles"`
	Connected int       `json:"connected"`
	Sensors   int       `json:"sensors"`
	Edges     []string  `json:"edges"`
	StepMS    float64   `json:"step_ms"`
	RealTime  bool      `json:"real_time"`
	// MaxStepLagMS is the latest a step started after its wall-clock time; LateSteps counts the
	// steps that started more than one step late (the run did not keep up with real time then).
	MaxStepLagMS float64 `json:"max_step_lag_ms"`
	LateSteps    int     `json:"late_steps"`
	// SUMOTeleports counts the vehicles a SUMO run started by michi-sim teleported (jams it gave
	// up on: they vanish and reappear further on).
	SUMOTeleports int `json:"sumo_teleports,omitempty"`

	Overall   Overall        `json:"overall"`
	Detection Detection      `json:"detection"`
	Hazards   []HazardReport `json:"hazards"`
	// OtherHazards are the phantoms: hazards the edges raised that match no incident, neither
	// as a detection nor as its consequence.
	OtherHazards []EdgeHazard `json:"other_hazards"`
	Traffic      Counters     `json:"traffic"`
	Map          Map          `json:"-"`
	latencies    []float64
	leads        []float64
}

// Summary holds the delivery figures of one hazard or of the whole run.
type Summary struct {
	AlertsExpected  int     `json:"alerts_expected"`  // (vehicle, hazard) pairs inside the relevance area
	AlertsDelivered int     `json:"alerts_delivered"` // … of which the vehicle received the alert
	DeliveryRatio   float64 `json:"delivery_ratio"`
	FalseDeliveries int     `json:"false_deliveries"` // alerts to vehicles never inside the area
	Replayed        int     `json:"replayed"`         // deliveries of a retained copy on (re)subscription, not in latency
	// AlertLatencyMS is alert latency (docs/metrics.md): the edge accepting the event → the
	// vehicle reading the alert, first live delivery of each pair; DeliveryMS is its delivery
	// part, from the edge's send stamp.
	AlertLatencyMS Dist `json:"alert_latency_ms"`
	DeliveryMS     Dist `json:"delivery_ms"`
	LeadTimeS      Lead `json:"lead_time_s"` // alert received → vehicle reaches the hazard
	// ReachedUnwarned counts vehicles that reached a hazard after the edge had published it
	// without having received the alert; ReachedBeforeDetection those that reached it between
	// its injection and its first publication (connected vehicles only).
	ReachedUnwarned        int `json:"reached_unwarned"`
	ReachedBeforeDetection int `json:"reached_before_detection"`
	// Missed lists (up to 50) stations expected but not warned, with when they entered the area.
	Missed []Miss `json:"missed,omitempty"`
	// FalseTo lists (up to 50) stations alerted while outside the area, with when.
	FalseTo []Miss `json:"false_to,omitempty"`
}

// Miss is a vehicle that was inside the relevance area and not warned.
type Miss struct {
	Station  uint32  `json:"station"`
	Edge     string  `json:"edge"`
	EnteredS float64 `json:"entered_s"`
}

// Overall is the summary of the whole run.
type Overall struct {
	Summary
	HazardsInjected int   `json:"hazards_injected"`
	HazardsDetected int   `json:"hazards_detected"`
	DetectionDelayS Delay `json:"detection_delay_s"`
}

// HazardReport is one injected hazard.
type HazardReport struct {
	ID              string       `json:"id"`
	Kind            string       `json:"kind"`
	StartS          float64      `json:"start_s"`
	EndS            *float64     `json:"end_s,omitempty"`
	Lat             float64      `json:"lat"`
	Lon             float64      `json:"lon"`
	Detected        bool         `json:"detected"`
	DetectionDelayS *float64     `json:"detection_delay_s"` // injection → first publication by an edge
	Detectable      bool         `json:"detectable"`        // a detector exists for it (it counts for recall)
	EdgeHazards     []EdgeHazard `json:"edge_hazards"`
	// Consequences are edge hazards raised because of it: the end of the queue behind it.
	Consequences []EdgeHazard `json:"consequences,omitempty"`
	// Duplicates counts the extra edge hazards about it: more than one of the same cause from
	// the same edge (edge_hazards and consequences together).
	Duplicates int `json:"duplicates"`
	Summary
}

// EdgeHazard is a hazard an edge published.
type EdgeHazard struct {
	Edge     string   `json:"edge"`
	ActionID string   `json:"action_id"`
	Cause    uint8    `json:"cause"`
	Lat      float64  `json:"lat"`
	Lon      float64  `json:"lon"`
	RadiusM  float64  `json:"radius_m"`
	FirstS   float64  `json:"first_s"`
	EndS     *float64 `json:"end_s,omitempty"` // when its cancellation was published
	Tiles    int      `json:"tiles"`
	Summary
}

// Map is what the HTML map draws.
type Map struct {
	Lanes   [][2]geo.Point
	Sensors []MapSensor
	Hazards []MapHazard
	Warned  []geo.Point // where vehicles were when the alert arrived
	Missed  []geo.Point // where expected vehicles entered the area
	False   []geo.Point
	Traces  []geo.Point
}

// MapSensor is a roadside sensor on the map.
type MapSensor struct {
	ID     string
	Pos    geo.Point
	RangeM float64
}

// MapHazard is an injected hazard on the map, with the relevance radius the edge gave it.
type MapHazard struct {
	ID      string
	Pos     geo.Point
	RadiusM float64
}

// SetMap gives the collector the roads and sensors to draw.
func (c *Collector) SetMap(lanes [][2]geo.Point, sensors []MapSensor) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.mapLanes, c.mapSensors = lanes, sensors
}

// Report computes the figures at the end of the run.
func (c *Collector) Report() *Report {
	c.mu.Lock()
	defer c.mu.Unlock()
	r := &Report{StartedAt: c.o.Start, DurationS: round(c.lastT, 3), Traffic: c.stats,
		Map: Map{Lanes: c.mapLanes, Sensors: c.mapSensors, Traces: c.traces}}
	grace := c.o.Grace.Seconds()
	m := c.matchAll()
	perInj := make([][]*edgeHazard, len(c.injected))
	consInj := make([][]*edgeHazard, len(c.injected))
	for _, k := range c.hzOrder {
		h := c.edgeHz[k]
		eh := c.edgeSummary(h, grace, &r.Map)
		switch i := m[k]; {
		case i.direct:
			perInj[i.index] = append(perInj[i.index], h)
			c.injected[i.index].published = min(c.injected[i.index].published, h.first)
		case i.index >= 0:
			consInj[i.index] = append(consInj[i.index], h)
		default:
			r.OtherHazards = append(r.OtherHazards, eh)
		}
		r.Overall.add(eh.Summary)
	}
	var delays []float64
	for i, inj := range c.injected {
		hr := HazardReport{ID: inj.ID, Kind: inj.Kind, StartS: round(inj.Start, 2), Lat: inj.track[0].p.Lat, Lon: inj.track[0].p.Lon,
			Detectable: len(inj.Causes) > 0, Duplicates: duplicates(append(slices.Clone(perInj[i]), consInj[i]...), nil)}
		if inj.end >= 0 {
			e := round(inj.end, 2)
			hr.EndS = &e
		}
		radius := 0.0
		for _, h := range perInj[i] {
			eh := c.edgeSummary(h, grace, nil)
			hr.EdgeHazards = append(hr.EdgeHazards, eh)
			hr.Summary.add(eh.Summary)
			radius = max(radius, h.radius)
		}
		for _, h := range consInj[i] {
			hr.Consequences = append(hr.Consequences, c.edgeSummary(h, grace, nil))
		}
		hr.Summary.AlertLatencyMS, hr.Summary.DeliveryMS = c.latencies(perInj[i])
		if d, ok := inj.detectionDelay(); ok {
			hr.Detected = true
			hr.DetectionDelayS = &d
			delays = append(delays, d)
		}
		leads := c.leadTimes(inj, perInj[i], &hr.Summary)
		hr.LeadTimeS = lead(leads)
		r.leads = append(r.leads, leads...)
		r.Overall.ReachedUnwarned += hr.ReachedUnwarned
		r.Overall.ReachedBeforeDetection += hr.ReachedBeforeDetection
		r.Hazards = append(r.Hazards, hr)
		r.Map.Hazards = append(r.Map.Hazards, MapHazard{ID: inj.ID, Pos: inj.track[0].p, RadiusM: radius})
	}
	var all []*edgeHazard
	for _, k := range c.hzOrder {
		all = append(all, c.edgeHz[k])
	}
	r.Overall.AlertLatencyMS, r.Overall.DeliveryMS = c.latencies(all)
	r.Overall.LeadTimeS = lead(r.leads)
	r.Overall.DeliveryRatio = ratio(r.Overall.AlertsDelivered, r.Overall.AlertsExpected)
	r.Overall.HazardsInjected = len(c.injected)
	r.Overall.HazardsDetected = len(delays)
	r.Overall.DetectionDelayS = delay(delays)
	r.Detection = c.detection(m, perInj, consInj)
	r.latencies = c.alertLatencies(all)
	if r.Hazards == nil {
		r.Hazards = []HazardReport{}
	}
	if r.OtherHazards == nil {
		r.OtherHazards = []EdgeHazard{}
	}
	return r
}

func (s *Summary) add(o Summary) {
	s.AlertsExpected += o.AlertsExpected
	s.AlertsDelivered += o.AlertsDelivered
	s.FalseDeliveries += o.FalseDeliveries
	s.Replayed += o.Replayed
	s.Missed = append(s.Missed, o.Missed...)
	s.FalseTo = append(s.FalseTo, o.FalseTo...)
	if len(s.FalseTo) > 50 {
		s.FalseTo = s.FalseTo[:50]
	}
	if len(s.Missed) > 50 {
		s.Missed = s.Missed[:50]
	}
	s.DeliveryRatio = ratio(s.AlertsDelivered, s.AlertsExpected)
}

// edgeSummary computes the delivery figures of one edge hazard; with m it also adds the
// warned, missed and falsely alerted vehicles to the map.
func (c *Collector) edgeSummary(h *edgeHazard, grace float64, m *Map) EdgeHazard {
	end := c.lastT
	if h.end >= 0 {
		end = h.end
	}
	eh := EdgeHazard{Edge: h.key.edge, ActionID: h.key.id.String(), Cause: h.cause, Lat: h.pos.Lat, Lon: h.pos.Lon,
		RadiusM: h.radius, FirstS: round(h.first, 3), Tiles: len(h.tiles)}
	if h.end >= 0 {
		e := round(h.end, 3)
		eh.EndS = &e
	}
	for p, in := range c.inside {
		if p.h != h.key {
			continue
		}
		d := c.deliv[p]
		if d == nil && (in.first > end-grace || in.last-in.first < grace) {
			continue // entered too late, or left (or the run ended) too soon, to be expected
		}
		eh.AlertsExpected++
		if d != nil {
			eh.AlertsDelivered++
			continue
		}
		if m != nil {
			m.Missed = append(m.Missed, in.pos)
		}
		if len(eh.Missed) < 50 {
			st := uint32(0)
			if v := c.vehicles[p.v]; v != nil {
				st = v.station
			}
			eh.Missed = append(eh.Missed, Miss{Station: st, Edge: p.h.edge, EnteredS: round(in.first, 2)})
		}
	}
	for p, d := range c.deliv {
		if p.h != h.key {
			continue
		}
		if d.replayed {
			eh.Replayed++
		}
		outside := !h.area[d.tiles[0]] && !h.area[d.tiles[1]] && !h.area[d.tiles[2]]
		if c.o.Relevant != nil {
			outside = !c.insideAt(h, d)
		}
		if c.inside[p] == nil && outside {
			eh.FalseDeliveries++
			if v := c.vehicles[p.v]; v != nil && len(eh.FalseTo) < 50 {
				eh.FalseTo = append(eh.FalseTo, Miss{Station: v.station, Edge: p.h.edge, EnteredS: round(d.t, 2)})
			}
			if m != nil {
				m.False = append(m.False, d.pos)
			}
		} else if m != nil {
			m.Warned = append(m.Warned, d.pos)
		}
	}
	eh.DeliveryRatio = ratio(eh.AlertsDelivered, eh.AlertsExpected)
	eh.AlertLatencyMS, eh.DeliveryMS = c.latencies([]*edgeHazard{h})
	return eh
}

// latencies summarises the alert latency and its delivery part of hs's live deliveries.
func (c *Collector) latencies(hs []*edgeHazard) (alert, deliveryPart Dist) {
	var deliv []float64
	c.eachLive(hs, func(d *delivery) { deliv = append(deliv, d.delivMS) })
	return dist(c.alertLatencies(hs)), dist(deliv)
}

// alertLatencies are the alert latencies of hs's live deliveries, sorted.
func (c *Collector) alertLatencies(hs []*edgeHazard) []float64 {
	var out []float64
	c.eachLive(hs, func(d *delivery) { out = append(out, d.alertMS) })
	slices.Sort(out)
	return out
}

// eachLive calls f with the first live (not replayed) delivery of each vehicle of hs's hazards.
func (c *Collector) eachLive(hs []*edgeHazard, f func(*delivery)) {
	for _, h := range hs {
		for p, d := range c.deliv {
			if p.h == h.key && !d.replayed {
				f(d)
			}
		}
	}
}

// stoppedMatchM: a hazard about a stopped vehicle is where that vehicle stands (its own CAMs
// put it there); one further away is about another vehicle, e.g. one waiting at a red light.
const stoppedMatchM = 50

// match pairs every edge hazard with the injected hazard it is about, or -1: a cause the
// injected kind can be detected as, first published while the injected hazard was there (or
// within 10 s of its end) and within MatchM of where it was then (stoppedMatchM of a stopped
// vehicle).
func (c *Collector) match() map[hkey]int {
	out := map[hkey]int{}
	for _, k := range c.hzOrder {
		h := c.edgeHz[k]
		best, bestD := -1, math.Inf(1)
		for i, inj := range c.injected {
			if !slices.Contains(inj.Causes, h.cause) || !inj.during(h.first) {
				continue
			}
			within := c.o.MatchM
			if inj.Kind == "stopped_vehicle" {
				within = min(within, stoppedMatchM)
			}
			for j, tp := range inj.track {
				moving := len(inj.track) > 1
				if moving && math.Abs(tp.t-h.first) > 30 && j > 0 {
					continue // a moving hazard is compared with where it was about then
				}
				if d := geo.Distance(tp.p, h.pos); d <= within && d <= bestD {
					best, bestD = i, d
				}
			}
		}
		out[k] = best
	}
	return out
}

// leadTimes returns the lead times of the vehicles warned of inj and counts those that reached
// it unwarned.
func (c *Collector) leadTimes(inj *injected, hs []*edgeHazard, s *Summary) []float64 {
	warnedAt := map[int]float64{}
	for _, h := range hs {
		for p, d := range c.deliv {
			if p.h == h.key {
				if t, ok := warnedAt[p.v]; !ok || d.t < t {
					warnedAt[p.v] = d.t
				}
			}
		}
	}
	var out []float64
	for k, times := range c.reaches {
		if k.h != inj.Index {
			continue
		}
		tw, warned := warnedAt[k.v]
		for _, t := range times {
			if t < inj.Start {
				continue
			}
			if warned && t >= tw {
				out = append(out, t-tw)
				break
			}
			if t < inj.published {
				if !inj.reachedEarly[k.v] {
					inj.reachedEarly[k.v] = true
					s.ReachedBeforeDetection++
				}
			} else if !inj.reachedUnwarn[k.v] {
				inj.reachedUnwarn[k.v] = true
				s.ReachedUnwarned++
			}
		}
	}
	return out
}

// WriteFiles writes report.json and report.html into dir (created if missing).
func (r *Report) WriteFiles(dir string) (jsonPath, htmlPath string, err error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", "", fmt.Errorf("report dir: %w", err)
	}
	b, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return "", "", fmt.Errorf("encode report: %w", err)
	}
	jsonPath, htmlPath = filepath.Join(dir, "report.json"), filepath.Join(dir, "report.html")
	if err := os.WriteFile(jsonPath, append(b, '\n'), 0o644); err != nil {
		return "", "", err
	}
	f, err := os.Create(htmlPath)
	if err != nil {
		return "", "", err
	}
	defer f.Close()
	if err := r.WriteHTML(f); err != nil {
		return "", "", err
	}
	return jsonPath, htmlPath, f.Close()
}
