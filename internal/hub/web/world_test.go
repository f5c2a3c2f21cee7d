package web_test

import (
	"math"
	"math/rand/v2"
	"time"

	"github.com/michi-v2x/michi/internal/uplink"
	"github.com/michi-v2x/michi/pkg/geo"
	"github.com/michi-v2x/michi/pkg/v2x"
)

// The browser test's world: a motorway running north for 14 km and a crossing road, watched by
// two edges (south and north), with a day of history and a live half minute. Everything the hub
// gets from it travels as uplink records over real QUIC connections.

type edgeSpec struct {
	id      string
	station uint32
	cov     geo.Box
}

var (
	south = edgeSpec{"edge-south", 2002, geo.Box{Min: geo.Point{Lat: 48.205, Lon: 11.550}, Max: geo.Point{Lat: 48.262, Lon: 11.678}}}
	north = edgeSpec{"edge-north", 2001, geo.Box{Min: geo.Point{Lat: 48.262, Lon: 11.595}, Max: geo.Point{Lat: 48.335, Lon: 11.700}}}
)

// road is a polyline drawn from a start by (bearing, length) legs, with its free-flow speed
// (m/s) and flow (vehicles per minute per tile at the daily peak).
type road struct {
	start geo.Point
	legs  [][2]float64
	speed float64
	flow  float64
}

var (
	motorway = road{start: geo.Point{Lat: 48.215, Lon: 11.612}, legs: [][2]float64{{12, 7000}, {25, 7000}}, speed: 33, flow: 55}
	crossing = road{start: geo.Point{Lat: 48.262, Lon: 11.560}, legs: [][2]float64{{98, 8000}}, speed: 13.5, flow: 12}
)

// at is the point km kilometres along the road.
func (r road) at(km float64) geo.Point {
	p, left := r.start, km*1000
	for _, l := range r.legs {
		d := math.Min(left, l[1])
		p = geo.Destination(p, l[0], d)
		if left -= d; left <= 0 {
			break
		}
	}
	return p
}

func (r road) length() float64 {
	n := 0.0
	for _, l := range r.legs {
		n += l[1]
	}
	return n / 1000
}

// tile is a zoom-16 traffic tile the roads cross, with the edge that sees it.
type tile struct {
	qk    string
	edge  string
	speed float64 // mean speed, m/s
	flow  float64 // vehicles per minute at the peak
}

func (e edgeSpec) sees(p geo.Point) bool { return e.cov.Contains(p) }

// tiles lists the tiles along both roads, once each. On the motorway between km 7.6 and km 9.9
// the traffic queues behind the stationary vehicle at km 10.
func tiles() []tile {
	var out []tile
	seen := map[string]bool{}
	for _, r := range []road{motorway, crossing} {
		for km := 0.0; km <= r.length(); km += 0.04 {
			p := r.at(km)
			qk := geo.Quadkey(p, 16)
			if seen[qk] {
				continue
			}
			seen[qk] = true
			b, _ := geo.QuadkeyBox(qk)
			c := b.Center()
			var edge string
			switch {
			case south.sees(c):
				edge = south.id
			case north.sees(c):
				edge = north.id
			default:
				continue
			}
			t := tile{qk: qk, edge: edge, speed: r.speed, flow: r.flow}
			if r.flow == motorway.flow && km > 7.6 && km < 9.9 {
				t.speed, t.flow = 4+8*(9.9-km)/2.3, r.flow*1.3
			}
			out = append(out, t)
		}
	}
	return out
}

// profile is the share of the peak flow at an hour of the day: low at night, peaks at 8 and 17.
func profile(hour int) float64 {
	h := float64(hour)
	return 0.12 + 0.88*math.Max(math.Exp(-(h-8)*(h-8)/3), 0.9*math.Exp(-(h-17)*(h-17)/5)) + 0.25*math.Exp(-(h-12)*(h-12)/12)
}

// sample draws a count around mean (a normal approximation of Poisson arrivals).
func sample(rng *rand.Rand, mean float64) int {
	return max(0, int(math.Round(mean+rng.NormFloat64()*math.Sqrt(mean))))
}

func trafficRec(t tile, minute time.Time, count int, speed float64) uplink.Record {
	return uplink.Record{Kind: uplink.KindTraffic, At: minute.Add(time.Minute), Traffic: &uplink.TrafficAggregate{
		Quadkey: t.qk, Minute: minute, Count: count, MeanSpeedMPS: speed}}
}

// health is an edge's state at t: vehicles and load follow the time of day with some noise,
// the p99 alert latency has an occasional spike.
func healthRec(rng *rand.Rand, e edgeSpec, t time.Time, hazards int) uplink.Record {
	min := float64(t.Unix()/60) + float64(t.Second())/60
	clients := 38 + 14*math.Sin(min/7) + rng.NormFloat64()*2
	if e.id == north.id {
		clients += 12
	}
	objects := 9 + rng.IntN(5)
	spike := 0.0
	if int(min)%11 == 0 {
		spike = 3 + rng.Float64()*2
	}
	return uplink.Record{Kind: uplink.KindHealth, At: t, Health: &uplink.Health{
		Clients: int(clients), Vehicles: int(clients*1.25) + objects/2, Objects: objects, ActiveHazards: hazards,
		IngestPerS: clients*10 + float64(objects)*10 + rng.NormFloat64()*8,
		AlertP50Ms: 0.85 + 0.15*math.Sin(min/3) + rng.Float64()*0.1, AlertP99Ms: 2.4 + 0.4*math.Sin(min/5) + rng.Float64()*0.4 + spike,
		QueueDepth: rng.IntN(3), Coverage: e.cov}}
}

// hz builds a hazard lifecycle record of an edge.
func hz(e edgeSpec, seq uint16, event string, cause, sub uint8, p geo.Point, radius float64, quality uint8, at, detected time.Time, src ...string) uplink.Record {
	return uplink.Record{Kind: uplink.KindHazard, At: at, Hazard: &uplink.HazardEvent{
		ActionID: v2x.ActionID{OriginatingStationID: e.station, SequenceNumber: seq}, Event: event,
		Cause: cause, SubCause: sub, Lat: p.Lat, Lon: p.Lon, RadiusM: radius, Quality: quality, Sources: src,
		Detection: detected, Reference: at, Expiry: at.Add(10 * time.Minute)}}
}

// history is a day of past hazards at a few hotspots: the junction, an on-ramp, the bend and
// the crossing road's west end; each lasted 4 to 25 minutes.
func history(rng *rand.Rand, now time.Time) map[string][]uplink.Record {
	type spot struct {
		p      geo.Point
		causes []uint8
		weight int
	}
	spots := []spot{
		{crossing.at(5.05), []uint8{97, 2, 97, 1}, 5},
		{motorway.at(4.5), []uint8{27, 1, 94}, 4},
		{motorway.at(7.0), []uint8{6, 2, 26}, 3},
		{crossing.at(1.0), []uint8{12, 11}, 2},
		{motorway.at(12.5), []uint8{91}, 1},
	}
	var bag []spot
	for _, s := range spots {
		for range s.weight {
			bag = append(bag, s)
		}
	}
	out := map[string][]uplink.Record{}
	seqs := map[string]uint16{}
	for i := range 22 {
		s := bag[rng.IntN(len(bag))]
		e := south
		if north.sees(s.p) {
			e = north
		}
		seqs[e.id]++
		seq := seqs[e.id]
		cause := s.causes[rng.IntN(len(s.causes))]
		p := geo.Destination(s.p, rng.Float64()*360, rng.Float64()*120)
		start := now.Add(-23*time.Hour + time.Duration(i)*62*time.Minute + time.Duration(rng.IntN(20))*time.Minute)
		end := start.Add(time.Duration(4+rng.IntN(21)) * time.Minute)
		out[e.id] = append(out[e.id],
			hz(e, seq, uplink.EventCreated, cause, 0, p, 300, 1, start, start, "vehicle_"+string(rune('a'+i))),
			hz(e, seq, uplink.EventUpdated, cause, 0, p, 300, 2, start.Add(time.Minute), start.Add(time.Minute), "vehicle_"+string(rune('a'+i)), "michi_rsu_1"),
			hz(e, seq, uplink.EventTerminated, cause, 0, p, 300, 2, end, end))
	}
	return out
}
