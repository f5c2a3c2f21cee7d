package edge_test

import (
	"encoding/json"
	"fmt"
	"testing"
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"
	"github.com/stretchr/testify/require"

	"github.com/michi-v2x/michi/internal/edge"
	"github.com/michi-v2x/michi/pkg/geo"
	"github.com/michi-v2x/michi/pkg/v2x"
)

// scene drives vehicles on a straight east–west road through `here` (right-hand traffic:
// eastbound lane 2 m south of the centre line, westbound 2 m north), one CAM per vehicle per
// simulated second, and runs a detection round after each second.
type scene struct {
	t        *testing.T
	n        *edge.Node
	clk      *clock
	proj     geo.Projection
	cars     map[uint32]*vehicle
	state    map[uint32]*carState
	near     <-chan paho.Message // DENMs on the zoom-16 tile at `here`
	far      <-chan paho.Message // DENMs on a zoom-16 tile 20 km away
	farPoint geo.Point
}

type carState struct{ east, north, speed, heading float64 }

func newScene(t *testing.T, mutate ...func(*edge.Options)) *scene {
	n, clk := startNode(t, mutate...)
	s := &scene{t: t, n: n, clk: clk, proj: geo.NewProjection(here), cars: map[uint32]*vehicle{}, state: map[uint32]*carState{},
		farPoint: geo.Destination(here, 0, 20_000)}
	s.near = subscribe(t, connect(t, "tcp://"+n.MQTTAddr(), "near"), denmFilter(n, here, 16))
	s.far = subscribe(t, connect(t, "tcp://"+n.MQTTAddr(), "far"), denmFilter(n, s.farPoint, 16))
	return s
}

// warm lets traffic teach the edge's road model the road, as it would before any incident:
// a minute of vehicles 100 m apart at 25 m/s in both lanes, which then drive out of the scene.
func (s *scene) warm() {
	for i := range 8 {
		s.add(uint32(50_000+i), -1000+100*float64(i), -2, 25, 90)
		s.add(uint32(60_000+i), 1000-100*float64(i), 2, 25, 270)
	}
	s.run(60)
	for id := range s.state {
		if id >= 50_000 {
			delete(s.state, id)
			delete(s.cars, id)
		}
	}
	require.Empty(s.t, s.n.Hazards().Active(), "ordinary traffic raised a hazard")
}

// add places a vehicle at east/north metres from `here`, with a speed (m/s) and heading (°).
func (s *scene) add(id uint32, east, north, speed, heading float64) {
	s.cars[id] = newVehicle(s.t, s.n, id)
	s.state[id] = &carState{east, north, speed, heading}
}

// run plays the scene for the given seconds: CAMs, then a detection round, then motion.
func (s *scene) run(seconds int) {
	for range seconds {
		now := s.clk.Now()
		for id, c := range s.state {
			s.cars[id].cam(s.t, now, s.proj.ToPoint(c.east, c.north), c.speed, c.heading)
		}
		s.n.DetectOnce()
		for _, c := range s.state {
			e, no := geo.Destination(geo.Point{}, c.heading, c.speed).Lon, geo.Destination(geo.Point{}, c.heading, c.speed).Lat
			c.east += e * 111_195
			c.north += no * 111_195
		}
		s.clk.Add(time.Second)
	}
}

// expect waits for a DENM of cause on the near tile and returns it; DENMs of other causes on the
// way are returned as unexpected.
func (s *scene) expect(cause uint8) (*v2x.DENM, []*v2x.DENM) {
	s.t.Helper()
	var other []*v2x.DENM
	for {
		d, _ := nextDENM(s.t, s.near)
		if c, _ := d.Cause(); c == cause {
			return d, other
		}
		other = append(other, d)
	}
}

// farIsQuiet proves nothing reached the far tile: a barrier hazard reported there must be the
// first thing its subscriber sees.
func (s *scene) farIsQuiet() {
	s.t.Helper()
	now := s.clk.Now()
	newVehicle(s.t, s.n, 9999).denm(s.t, v2x.DENMSpec{Cause: v2x.CauseObstacle, Pos: s.farPoint, Detection: now, Reference: now, At: now})
	require.Empty(s.t, until(s.t, s.far, isCause(v2x.CauseObstacle, s.farPoint)), "hazards leaked onto a tile 20 km away")
}

func TestDetectorStationaryVehicle(t *testing.T) {
	s := newScene(t)
	s.warm()
	s.add(1, 0, -4, 0, 90) // stopped on the shoulder of the eastbound lane
	s.add(2, -150, -2, 20, 90)
	s.add(3, -60, -2, 18, 90)
	s.add(4, 40, -2, 22, 90)
	s.run(9)
	require.Empty(t, s.n.Hazards().Active(), "not yet 10 s stopped")
	s.run(3)
	d, other := s.expect(v2x.CauseStationaryVehicle)
	require.Empty(t, other)
	require.Less(t, geo.Distance(d.EventPosition(), s.proj.ToPoint(0, -4)), 2.0)
	s.farIsQuiet()
}

func TestDetectorWrongWayDriving(t *testing.T) {
	s := newScene(t)
	s.warm()
	for i := range 20 { // dense eastbound traffic in its lane, every 40 m
		s.add(uint32(10+i), -600+40*float64(i), -2, 25, 90)
	}
	for i := range 8 { // westbound traffic in its own lane
		s.add(uint32(40+i), -300+80*float64(i), 2, 25, 270)
	}
	s.add(99, 0, -2, 25, 270) // westbound in the eastbound lane
	s.run(8)
	_, other := s.expect(v2x.CauseWrongWayDriving)
	require.Empty(t, other)
	var fc struct {
		Features []struct {
			Properties struct {
				Cause   uint8    `json:"cause"`
				Sources []string `json:"sources"`
			} `json:"properties"`
		} `json:"features"`
	}
	getJSON(t, "http://"+s.n.HTTPAddr()+"/api/v1/hazards", &fc)
	var wrongWay [][]string
	for _, f := range fc.Features {
		if f.Properties.Cause == v2x.CauseWrongWayDriving {
			wrongWay = append(wrongWay, f.Properties.Sources)
		}
	}
	require.Equal(t, [][]string{{"station:99"}}, wrongWay, "only the wrong-way driver is flagged")
	s.farIsQuiet()
}

func TestDetectorDangerousEndOfQueue(t *testing.T) {
	// The model must have known the place for a while (10 min by default; the warm-up is 1 min).
	s := newScene(t, func(o *edge.Options) { o.Detect.EndOfQueue.MinModelAge = 30 * time.Second })
	s.warm()
	for i, x := range []float64{0, 25, 50, 75} { // a queue crawling east
		s.add(uint32(10+i), x, -2, 1, 90)
	}
	s.add(20, -350, -2, 30, 90) // closing in fast from behind
	s.run(2)
	d, other := s.expect(v2x.CauseDangerousEndOfQueue)
	require.Empty(t, other)
	require.Less(t, geo.Distance(d.EventPosition(), s.proj.ToPoint(0, -2)), 10.0, "at the queue's tail")
	s.farIsQuiet()
}

func TestDetectorCollisionRisk(t *testing.T) {
	// Off by default (it cannot tell routine junction traffic from a conflict); on when asked.
	s := newScene(t, func(o *edge.Options) { o.Detect.Enable = []string{"collision"} })
	s.add(1, -30, 0, 15, 90) // eastbound, at the crossing in 2 s
	s.add(2, 0, -30, 15, 0)  // northbound, at the crossing in 2 s
	s.run(1)
	_, other := s.expect(v2x.CauseCollisionRisk)
	require.Empty(t, other)
	s.farIsQuiet()
}

func TestDetectorHumanPresenceFromRoadsideCPM(t *testing.T) {
	s := newScene(t)
	s.add(1, -60, -2, 15, 90) // teaches the edge where the road is
	s.run(6)
	require.Empty(t, s.n.Hazards().Active())

	// A roadside camera at the kerb sees a pedestrian standing in the eastbound lane.
	rsu := geo.Destination(s.proj.ToPoint(0, -8), 0, 0)
	ped := s.proj.ToPoint(10, -2)
	pe, pn := geo.NewProjection(rsu).ToLocal(ped)
	now := s.clk.Now()
	cpm := v2x.NewCPM(v2x.CPMSpec{SourceUUID: "com_rsu_500", StationID: 500, Pos: rsu, At: now,
		Objects: []v2x.PerceivedObject{{ObjectID: 1, Class: v2x.ClassPedestrian, EastM: pe, NorthM: pn}}})
	c := connect(t, "tcp://"+s.n.MQTTAddr(), "com_rsu_500")
	publish(t, c, v2x.Topic{Root: "michi", Queue: v2x.InQueue, Type: v2x.TypeCPM, SourceID: "com_rsu_500", Quadkey: geo.Quadkey(rsu, 22)}.String(), cpm)
	s.n.DetectOnce()
	d, other := s.expect(v2x.CauseHumanPresenceOnTheRoad)
	require.Empty(t, other)
	require.Less(t, geo.Distance(d.EventPosition(), ped), 1.0)
	s.farIsQuiet()
}

func TestDetectorSlipperyRoadNeedsTwoReports(t *testing.T) {
	s := newScene(t)
	spot := s.proj.ToPoint(50, -2)
	now := s.clk.Now()
	newVehicle(t, s.n, 1).denm(t, v2x.DENMSpec{Cause: v2x.CauseAdhesion, Pos: spot, Detection: now, Reference: now, At: now})
	s.n.DetectOnce()
	require.Empty(t, s.n.Hazards().Active(), "one report of a slippery road is not enough")

	now = s.clk.Add(time.Second)
	newVehicle(t, s.n, 2).denm(t, v2x.DENMSpec{Cause: v2x.CauseAdhesion, Pos: s.proj.ToPoint(80, -2), Detection: now, Reference: now, At: now})
	d, other := s.expect(v2x.CauseAdhesion)
	require.Empty(t, other)
	require.GreaterOrEqual(t, d.InformationQuality(), uint8(2))
	s.farIsQuiet()
}

func TestAPIShowsFusedObjects(t *testing.T) {
	s := newScene(t)
	s.add(7, 0, -2, 10, 90)
	s.run(1)
	// Two roadside sensors see vehicle 7 where it is now (1 s after its CAM): one object, three
	// sources.
	p := s.proj.ToPoint(s.state[7].east, s.state[7].north)
	now := s.clk.Now()
	for _, id := range []uint32{501, 502} {
		rsu := s.proj.ToPoint(float64(id-500)*30, -10)
		e, no := geo.NewProjection(rsu).ToLocal(p)
		src := fmt.Sprintf("com_rsu_%d", id)
		cpm := v2x.NewCPM(v2x.CPMSpec{SourceUUID: src, StationID: id, Pos: rsu, At: now,
			Objects: []v2x.PerceivedObject{{ObjectID: 3, Class: v2x.ClassVehicle, EastM: e, NorthM: no, SpeedMPS: 10, HeadingDeg: 90, HeadingOK: true}}})
		publish(t, connect(t, "tcp://"+s.n.MQTTAddr(), src), v2x.Topic{Root: "michi", Queue: v2x.InQueue, Type: v2x.TypeCPM, SourceID: src, Quadkey: geo.Quadkey(rsu, 22)}.String(), cpm)
	}
	var fc struct {
		Features []struct {
			Geometry   struct{ Coordinates [2]float64 } `json:"geometry"`
			Properties map[string]json.RawMessage       `json:"properties"`
		} `json:"features"`
	}
	box := geo.BoxAround(here, 500)
	getJSON(t, fmt.Sprintf("http://%s/api/v1/ldm?bbox=%f,%f,%f,%f", s.n.HTTPAddr(), box.Min.Lon, box.Min.Lat, box.Max.Lon, box.Max.Lat), &fc)
	require.Len(t, fc.Features, 1)
	var sources []map[string]any
	require.NoError(t, json.Unmarshal(fc.Features[0].Properties["sources"], &sources))
	require.Len(t, sources, 3)
}
