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

// Realistic mode's traffic: urban, each vehicle going round a block and stopping at a light
// once a lap, so about a fifth of the fleet stands at any time. A stop is shorter than the
// edge's stationary-vehicle detector waits (10 s), so that it raises no hazard of its own.
const (
	cruiseMinMPS  = 3.0  // cruise speeds, uniform …
	cruiseMaxMPS  = 15.0 // … up to 54 km/h
	accelS        = 5.0  // from standstill to the cruise speed, s (≤ 3 m/s²)
	brakeS        = 4.0  // from the cruise speed to standstill, s
	cruiseMinS    = 15.0 // time at the cruise speed per lap, uniform …
	cruiseMaxS    = 40.0
	stopMinS      = 3.0 // standing at the light, uniform …
	stopMaxS      = 8.0
	loopMinRadius = 60.0 // radius of the loop round the vehicle's place, m …
	loopMaxRadius = 200.0
)

// motion is one vehicle's movement in realistic mode: round a circle centred on its place, in
// cycles of accelerating, cruising, braking and standing. The state at any time is closed-form,
// so a vehicle costs no work between its checks. Its place is the one the scenario gave it, so
// its subscriptions stay what they were (over MQTT they alone decide who gets an alert); the
// relevant vehicles of an alert (inside the circle) are still judged from that place, up to the
// loop's radius away from where the vehicle is.
type motion struct {
	proj           geo.Projection // centred on the vehicle's place
	radius, cruise float64
	cruiseS, stopS float64 // this vehicle's cruise and stop times per cycle
	offset         float64 // where in its cycle the vehicle is at t = 0, s
	lap, d0        float64 // distance per cycle; into its cycle at t = 0
	theta0         float64 // angle on the loop at t = 0, counter-clockwise from east
	clockwise      bool
}

func newMotion(place geo.Point, rng *rand.Rand) motion {
	m := motion{
		proj:    geo.NewProjection(place),
		radius:  loopMinRadius + rng.Float64()*(loopMaxRadius-loopMinRadius),
		cruise:  cruiseMinMPS + rng.Float64()*(cruiseMaxMPS-cruiseMinMPS),
		cruiseS: cruiseMinS + rng.Float64()*(cruiseMaxS-cruiseMinS),
		stopS:   stopMinS + rng.Float64()*(stopMaxS-stopMinS),
		theta0:  rng.Float64() * 2 * math.Pi,
	}
	m.offset = rng.Float64() * m.period()
	m.clockwise = rng.IntN(2) == 0
	_, m.lap = m.drive(m.period())
	_, m.d0 = m.drive(m.offset)
	return m
}

func (m *motion) period() float64 { return accelS + m.cruiseS + brakeS + m.stopS }

// drive is the speed and the distance covered τ seconds into a cycle.
func (m *motion) drive(tau float64) (speed, dist float64) {
	v := m.cruise
	switch {
	case tau < accelS:
		return v * tau / accelS, v * tau * tau / (2 * accelS)
	case tau < accelS+m.cruiseS:
		return v, v*accelS/2 + v*(tau-accelS)
	case tau < accelS+m.cruiseS+brakeS:
		u := tau - accelS - m.cruiseS
		return v * (1 - u/brakeS), v*accelS/2 + v*m.cruiseS + v*(u-u*u/(2*brakeS))
	}
	return 0, v * (accelS/2 + m.cruiseS + brakeS/2)
}

// at is the vehicle's state t into the run.
func (m *motion) at(t time.Duration) client.State {
	s, p := t.Seconds()+m.offset, m.period()
	laps := math.Floor(s / p)
	speed, d := m.drive(s - laps*p)
	d += laps*m.lap - m.d0 // the distance since t = 0
	dir := 1.0
	if m.clockwise {
		dir = -1
	}
	theta := m.theta0 + dir*d/m.radius
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

func (e *etsiVehicle) send(now, slot time.Time) (bool, error) {
	st := e.m.at(slot.Sub(e.start))
	t := e.gen.Check(slot, st)
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
	return e.v.send(now, slot)
}
