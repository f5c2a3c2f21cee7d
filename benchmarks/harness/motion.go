package harness

import (
	"math"
	"math/rand/v2"
	"sync/atomic"
	"time"

	"github.com/michi-v2x/michi/pkg/geo"
	"github.com/michi-v2x/michi/pkg/v2x/client"
)

// CAM generation rules of a run (Options.CAMRules).
const (
	CAMRulesFixed = "fixed" // every vehicle sends at RateHz, standing still: the worst case
	CAMRulesETSI  = "etsi"  // vehicles move and send by EN 302 637-2 (client.CAMGenerator)
)

// Realistic mode's traffic: urban, some vehicles parked, the others going round a block.
const (
	parkedShare   = 0.2  // vehicles standing still (1 Hz by T_GenCamMax)
	cruiseMinMPS  = 3.0  // cruise speeds of the moving ones, uniform …
	cruiseMaxMPS  = 15.0 // … up to 54 km/h
	speedSwing    = 0.3  // speed varies ±30 % around the cruise speed …
	speedPeriodS  = 20.0 // … over this period (about 1 m/s² at 10 m/s)
	loopMinRadius = 60.0 // radius of the loop a moving vehicle drives round its place, m …
	loopMaxRadius = 200.0
)

// motion is one vehicle's movement in realistic mode: parked at its place, or driving round a
// circle centred on it at a speed that swings around its cruise speed. The state at any time is
// closed-form, so a vehicle costs no work between its checks. Its place is the one the scenario
// gave it, so its subscriptions stay what they were (over MQTT they alone decide who gets an
// alert); the relevant vehicles of an alert (inside the circle) are still judged from that
// place, up to the loop's radius away from where the vehicle is.
type motion struct {
	proj      geo.Projection // centred on the vehicle's place
	parked    bool
	heading   float64 // parked: where the vehicle points
	radius    float64
	cruise    float64
	theta0    float64 // angle on the loop at t = 0, counter-clockwise from east
	phase     float64 // of the speed swing
	clockwise bool
}

func newMotion(place geo.Point, rng *rand.Rand) motion {
	m := motion{proj: geo.NewProjection(place), heading: rng.Float64() * 360}
	if rng.Float64() < parkedShare {
		m.parked = true
		return m
	}
	m.radius = loopMinRadius + rng.Float64()*(loopMaxRadius-loopMinRadius)
	m.cruise = cruiseMinMPS + rng.Float64()*(cruiseMaxMPS-cruiseMinMPS)
	m.theta0 = rng.Float64() * 2 * math.Pi
	m.phase = rng.Float64() * 2 * math.Pi
	m.clockwise = rng.IntN(2) == 0
	return m
}

// at is the vehicle's state t into the run.
func (m *motion) at(t time.Duration) client.State {
	if m.parked {
		return client.State{Pos: quantize(m.proj.ToPoint(0, 0)), SpeedMPS: 0, HeadingDeg: m.heading}
	}
	s, w := t.Seconds(), 2*math.Pi/speedPeriodS
	speed := m.cruise * (1 + speedSwing*math.Sin(w*s+m.phase))
	dist := m.cruise * (s - speedSwing/w*(math.Cos(w*s+m.phase)-math.Cos(m.phase))) // ∫ speed
	dir := 1.0
	if m.clockwise {
		dir = -1
	}
	theta := m.theta0 + dir*dist/m.radius
	e, n := m.radius*math.Cos(theta), m.radius*math.Sin(theta)
	ve, vn := -dir*math.Sin(theta), dir*math.Cos(theta) // direction of travel
	heading := math.Mod(math.Atan2(ve, vn)*180/math.Pi+360, 360)
	return client.State{Pos: quantize(m.proj.ToPoint(e, n)), SpeedMPS: speed, HeadingDeg: heading}
}

// camTriggers counts the CAMs of a run by what triggered them (client.CAMTrigger).
type camTriggers [client.CAMMaxInterval + 1]atomic.Int64

func (c *camTriggers) snapshot() map[string]int64 {
	out := map[string]int64{}
	for i := range c {
		if n := c[i].Load(); n > 0 {
			out[client.CAMTrigger(i).String()] = n
		}
	}
	return out
}

// etsiVehicle is an MQTT vehicle in realistic mode: at each check (every TCheckCamGen) it
// computes where it is and sends a CAM when client.CAMGenerator says one is due, re-encoded
// with its new state and tile.
type etsiVehicle struct {
	v        *mqttVehicle
	m        motion
	gen      client.CAMGenerator
	root     string
	start    time.Time
	triggers *camTriggers
}

func (e *etsiVehicle) send(now time.Time) (bool, error) {
	st := e.m.at(now.Sub(e.start))
	t := e.gen.Check(now, st)
	if t == client.CAMNotDue {
		return false, nil
	}
	e.triggers[t].Add(1)
	cam, err := newCAMPacket(e.root, int(e.v.idx), st, now)
	if err != nil {
		return false, err
	}
	cam.last = e.v.cam.last
	e.v.cam = cam
	return e.v.send(now)
}
