package demo

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"sync"
	"sync/atomic"
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"

	"github.com/michi-v2x/michi/internal/edge"
	"github.com/michi-v2x/michi/internal/road"
	"github.com/michi-v2x/michi/pkg/geo"
	"github.com/michi-v2x/michi/pkg/v2x"
)

// Road: a straight east–west road through the origin, 3 km long; right-hand traffic, so
// eastbound cars drive 2 m south of the centre line and westbound cars 2 m north.
var origin = geo.Point{Lat: 45.7640, Lon: 4.8357}

const (
	roadLength = 3000.0
	rate       = 5 // CAMs per second per vehicle
	eastbound  = 16
	westbound  = 8
)

// Timeline sets when the scripted events happen; zero values mean the defaults.
type Timeline struct {
	ReportAt  time.Duration // car 7 reports an accident 600 m ahead of itself; default 5 s
	StopAfter time.Duration // car 3 pulls over onto the shoulder and stays there; default 8 s
}

type car struct {
	id      uint32
	source  string
	x       float64 // metres along the road from its west end
	speed   float64 // m/s, signed: > 0 eastbound
	lateral float64 // metres north of the centre line
	client  paho.Client
	seen    sync.Map                  // action id → struct{}
	last    atomic.Pointer[geo.Point] // last published position, read by the alert handler
}

// Run starts the node, drives the vehicles until ctx ends and prints what they receive.
func Run(ctx context.Context, node *edge.Node, out io.Writer, tl Timeline) error {
	if tl.ReportAt == 0 {
		tl.ReportAt = 5 * time.Second
	}
	if tl.StopAfter == 0 {
		tl.StopAfter = 8 * time.Second
	}
	errc := make(chan error, 1)
	go func() { errc <- node.Run(ctx) }()
	select {
	case <-node.Ready():
	case err := <-errc:
		return err
	}
	o := node.Options()
	fmt.Fprintf(out, "michi edge node %q is up\n  MQTT     tcp://%s  ws://%s  quic://%s (TLS fingerprint %s)\n  hazards  http://%s/api/v1/hazards\n  LDM      http://%s/api/v1/ldm\n  metrics  http://%s/metrics\n",
		o.EdgeID, node.MQTTAddr(), node.WSAddr(), node.MQTTQUICAddr(), node.TLSFingerprint(), node.HTTPAddr(), node.HTTPAddr(), node.HTTPAddr())
	fmt.Fprintf(out, "driving %d simulated vehicles (%d Hz CAMs); car 7 reports an accident at %s, car 3 stops at %s (stationary-vehicle detection after 10 s)\n",
		eastbound+westbound, rate, tl.ReportAt, tl.StopAfter)

	proj := geo.NewProjection(origin)
	// The edge knows this road from its map, as a road operator's edge would, so it need not
	// learn it from traffic first (a fresh edge holds back where it knows nothing).
	node.SeedRoad(road.Map{Lanes: [][]geo.Point{
		{proj.ToPoint(-roadLength/2, -2), proj.ToPoint(roadLength/2, -2)},
		{proj.ToPoint(roadLength/2, 2), proj.ToPoint(-roadLength/2, 2)},
	}})
	var alerts atomic.Int64
	cars := make([]*car, 0, eastbound+westbound)
	for i := range eastbound + westbound {
		c := &car{id: uint32(1001 + i)}
		c.source = fmt.Sprintf("demo_car_%d", c.id)
		if i < eastbound {
			c.x, c.speed, c.lateral = float64(i)*roadLength/eastbound, 22+float64(i%5), -2
		} else {
			c.x, c.speed, c.lateral = float64(i-eastbound)*roadLength/westbound, -(20 + float64(i%4)), 2
		}
		p := c.pos(proj)
		c.last.Store(&p)
		if err := c.connect(node, o, proj, out, &alerts); err != nil {
			return err
		}
		cars = append(cars, c)
	}

	start := time.Now()
	tick := time.NewTicker(time.Second / rate)
	defer tick.Stop()
	status := time.NewTicker(5 * time.Second)
	defer status.Stop()
	reported := false
	for {
		select {
		case <-ctx.Done():
			fmt.Fprintf(out, "stopping: %d alerts received\n", alerts.Load())
			for _, c := range cars {
				c.client.Disconnect(100)
			}
			return <-errc
		case err := <-errc:
			return err
		case <-status.C:
			fmt.Fprintf(out, "[%3.0fs] vehicles %d, active hazards %d, alerts received %d\n",
				time.Since(start).Seconds(), node.LDM().Stats().Vehicles, len(node.Hazards().Active()), alerts.Load())
		case now := <-tick.C:
			elapsed := now.Sub(start)
			for i, c := range cars {
				if i == 3 && elapsed > tl.StopAfter {
					c.speed, c.lateral = 0, -5 // pulled over onto the hard shoulder
				}
				c.x += c.speed / rate
				if c.x > roadLength {
					c.x -= roadLength
				} else if c.x < 0 {
					c.x += roadLength
				}
				c.publishCAM(o.Root, proj, now)
			}
			if !reported && elapsed > tl.ReportAt {
				reported = true
				cars[7].publishAccident(o.Root, proj, now)
			}
		}
	}
}

func (c *car) pos(proj geo.Projection) geo.Point {
	return proj.ToPoint(c.x-roadLength/2, c.lateral)
}

func (c *car) heading() float64 {
	if c.speed < 0 {
		return 270
	}
	return 90
}

func (c *car) connect(node *edge.Node, o edge.Options, proj geo.Projection, out io.Writer, alerts *atomic.Int64) error {
	opts := paho.NewClientOptions().AddBroker("tcp://" + node.MQTTAddr()).SetClientID(c.source).
		SetAutoReconnect(true).SetConnectRetry(true)
	c.client = paho.NewClient(opts)
	if t := c.client.Connect(); !t.WaitTimeout(5*time.Second) || t.Error() != nil {
		return fmt.Errorf("demo vehicle %d: connect: %v", c.id, t.Error())
	}
	// The whole road lies in a handful of zoom-14 tiles; subscribing to the one around the car and
	// its neighbours is what a vehicle does (DESIGN: tile plus its 8 neighbours).
	tile := geo.Quadkey(c.pos(proj), 14)
	filters := map[string]byte{}
	for _, qk := range append(geo.QuadkeyNeighbours(tile), tile) {
		filters[v2x.SubscriptionFilter(o.Root, v2x.OutQueue, v2x.TypeDENM, qk)] = 1
	}
	t := c.client.SubscribeMultiple(filters, func(_ paho.Client, m paho.Message) {
		d, err := v2x.UnmarshalDENM(m.Payload())
		if err != nil {
			return
		}
		id := d.ActionID().String()
		if _, dup := c.seen.LoadOrStore(id, struct{}{}); dup {
			return // the same hazard arrives on every tile it covers
		}
		alerts.Add(1)
		cause, _ := d.Cause()
		// alert latency (docs/metrics.md): from the edge accepting the event, its reference_time;
		// a retained copy replayed on subscribing is as old as the hazard version, not late
		since, what := time.Since(d.ReferenceTime()).Milliseconds(), "alert latency"
		if m.Retained() {
			what = "active for"
		}
		fmt.Fprintf(out, "  alert %-8s %-28s → %s, %4.0f m away, %s %d ms\n", id, v2x.CauseName(cause), c.source,
			geo.Distance(*c.last.Load(), d.EventPosition()), what, since)
	})
	if !t.WaitTimeout(5*time.Second) || t.Error() != nil {
		return fmt.Errorf("demo vehicle %d: subscribe: %v", c.id, t.Error())
	}
	return nil
}

func (c *car) publishCAM(root string, proj geo.Projection, now time.Time) {
	p := c.pos(proj)
	c.last.Store(&p)
	speed := c.speed
	if speed < 0 {
		speed = -speed
	}
	cam := v2x.NewCAM(v2x.CAMSpec{SourceUUID: c.source, StationID: c.id, StationType: v2x.StationPassengerCar,
		Pos: p, SpeedMPS: speed, HeadingDeg: c.heading(), At: now})
	c.publish(v2x.Topic{Root: root, Queue: v2x.InQueue, Type: v2x.TypeCAM, SourceID: c.source, Quadkey: geo.Quadkey(p, 22)}, cam)
}

func (c *car) publishAccident(root string, proj geo.Projection, now time.Time) {
	ahead := c.x + 600*sign(c.speed)
	p := proj.ToPoint(ahead-roadLength/2, c.lateral)
	denm := v2x.NewDENM(v2x.DENMSpec{SourceUUID: c.source, StationID: c.id, StationType: v2x.StationPassengerCar,
		ActionID: v2x.ActionID{OriginatingStationID: c.id, SequenceNumber: 1}, Cause: v2x.CauseAccident,
		Pos: p, HeadingDeg: c.heading(), HasHeading: true, Detection: now, Reference: now, Validity: 10 * time.Minute, At: now})
	c.publish(v2x.Topic{Root: root, Queue: v2x.InQueue, Type: v2x.TypeDENM, SourceID: c.source, Quadkey: geo.Quadkey(p, 22)}, denm)
}

func (c *car) publish(t v2x.Topic, msg any) {
	b, err := json.Marshal(msg)
	if err != nil {
		return
	}
	c.client.Publish(t.String(), 0, false, b)
}

func sign(v float64) float64 {
	if v < 0 {
		return -1
	}
	return 1
}
