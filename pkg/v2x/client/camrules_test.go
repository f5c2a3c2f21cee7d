package client

import (
	"math"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/michi-v2x/michi/pkg/geo"
)

var (
	camT0  = time.Date(2026, 12, 8, 3, 0, 0, 0, time.UTC)
	origin = geo.Point{Lat: 45.76, Lon: 4.84}
	parked = State{Pos: origin, SpeedMPS: 0, HeadingDeg: 90}
)

// step runs g from camT0 every TCheckCamGen for d with the state move gives at each instant, and
// returns the triggers of the CAMs it sent, by instant.
func step(g *CAMGenerator, d time.Duration, move func(time.Duration) State) map[time.Duration]CAMTrigger {
	out := map[time.Duration]CAMTrigger{}
	for e := time.Duration(0); e <= d; e += TCheckCamGen {
		if tr := g.Check(camT0.Add(e), move(e)); tr != CAMNotDue {
			out[e] = tr
		}
	}
	return out
}

func TestCAMDynamicsThresholds(t *testing.T) {
	for _, tc := range []struct {
		name string
		cur  State
		want CAMTrigger
	}{
		{"unchanged", parked, CAMNotDue},
		{"heading +4° is not more than 4°", State{Pos: origin, HeadingDeg: 94}, CAMNotDue},
		{"heading +4.5°", State{Pos: origin, HeadingDeg: 94.5}, CAMHeading},
		{"heading across north", State{Pos: origin, HeadingDeg: 90 - 359}, CAMNotDue},
		{"heading unavailable", State{Pos: origin, HeadingDeg: math.NaN()}, CAMNotDue},
		{"moved 3.9 m", State{Pos: geo.Destination(origin, 0, 3.9), HeadingDeg: 90}, CAMNotDue},
		{"moved 4.1 m", State{Pos: geo.Destination(origin, 0, 4.1), HeadingDeg: 90}, CAMPosition},
		{"speed +0.5", State{Pos: origin, SpeedMPS: 0.5, HeadingDeg: 90}, CAMNotDue},
		{"speed +0.6", State{Pos: origin, SpeedMPS: 0.6, HeadingDeg: 90}, CAMSpeed},
		{"speed unavailable", State{Pos: origin, SpeedMPS: -1, HeadingDeg: 90}, CAMNotDue},
	} {
		t.Run(tc.name, func(t *testing.T) { require.Equal(t, tc.want, CAMDynamics(parked, tc.cur)) })
	}
	require.Equal(t, CAMHeading, CAMDynamics(State{Pos: origin, HeadingDeg: 358}, State{Pos: origin, HeadingDeg: 3}), "5° across north")
}

func TestCAMGeneratorStationarySendsAt1Hz(t *testing.T) {
	var g CAMGenerator
	got := step(&g, 10*time.Second, func(time.Duration) State { return parked })
	want := map[time.Duration]CAMTrigger{0: CAMFirst}
	for s := 1; s <= 10; s++ {
		want[time.Duration(s)*time.Second] = CAMMaxInterval
	}
	require.Equal(t, want, got)
	require.Equal(t, TGenCamMax, g.Interval())
}

func TestCAMGeneratorTriggers(t *testing.T) {
	for _, tc := range []struct {
		name string
		at   time.Duration // when the change happens after the first CAM
		cur  State
		want CAMTrigger
	}{
		{"heading", 300 * time.Millisecond, State{Pos: origin, HeadingDeg: 95}, CAMHeading},
		{"position", 500 * time.Millisecond, State{Pos: geo.Destination(origin, 45, 5), HeadingDeg: 90}, CAMPosition},
		{"speed", 700 * time.Millisecond, State{Pos: origin, SpeedMPS: 1, HeadingDeg: 90}, CAMSpeed},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var g CAMGenerator
			require.Equal(t, CAMFirst, g.Check(camT0, parked))
			for e := TCheckCamGen; e < tc.at; e += TCheckCamGen {
				require.Equal(t, CAMNotDue, g.Check(camT0.Add(e), parked), "at %s", e)
			}
			require.Equal(t, tc.want, g.Check(camT0.Add(tc.at), tc.cur))
			require.Equal(t, tc.at, g.Interval(), "T_GenCam is the interval of the dynamics-triggered CAM")
		})
	}
}

func TestCAMGeneratorMinInterval(t *testing.T) {
	var g CAMGenerator
	require.Equal(t, CAMFirst, g.Check(camT0, parked))
	far := State{Pos: geo.Destination(origin, 90, 50), SpeedMPS: 30, HeadingDeg: 180}
	require.Equal(t, CAMNotDue, g.Check(camT0.Add(99*time.Millisecond), far), "within T_GenCamMin")
	require.Equal(t, CAMHeading, g.Check(camT0.Add(100*time.Millisecond), far))
	require.Equal(t, CAMNotDue, g.Check(camT0.Add(150*time.Millisecond), parked))
}

// A vehicle at 30 m/s moves 3 m per 100 ms: a CAM every 200 ms (> 4 m), 5 Hz.
func TestCAMGeneratorFastVehicle(t *testing.T) {
	var g CAMGenerator
	drive := func(speed float64) func(time.Duration) State {
		return func(e time.Duration) State {
			return State{Pos: geo.Destination(origin, 90, speed*e.Seconds()), SpeedMPS: speed, HeadingDeg: 90}
		}
	}
	got := step(&g, 10*time.Second, drive(30))
	require.InDelta(t, 51, len(got), 1, "5 Hz over 10 s")
	g = CAMGenerator{}
	got = step(&g, 10*time.Second, drive(45)) // 4.5 m per 100 ms
	require.InDelta(t, 101, len(got), 1, "10 Hz over 10 s")
}

// After a dynamics-triggered CAM, the next NGenCam CAMs keep its interval even without new
// dynamics, then the generator falls back to 1 Hz.
func TestCAMGeneratorKeepsIntervalForNGenCam(t *testing.T) {
	var g CAMGenerator
	require.Equal(t, CAMFirst, g.Check(camT0, parked))
	turned := State{Pos: origin, HeadingDeg: 100}
	require.Equal(t, CAMHeading, g.Check(camT0.Add(300*time.Millisecond), turned))
	got := map[time.Duration]CAMTrigger{}
	for e := 400 * time.Millisecond; e <= 3*time.Second; e += TCheckCamGen {
		if tr := g.Check(camT0.Add(e), turned); tr != CAMNotDue {
			got[e] = tr
		}
	}
	require.Equal(t, map[time.Duration]CAMTrigger{
		600 * time.Millisecond:  CAMGenInterval,
		900 * time.Millisecond:  CAMGenInterval,
		1200 * time.Millisecond: CAMGenInterval,
		2200 * time.Millisecond: CAMMaxInterval,
	}, got)
}

func TestCAMGeneratorFixedRate(t *testing.T) {
	g := CAMGenerator{FixedInterval: 100 * time.Millisecond}
	got := step(&g, 10*time.Second, func(time.Duration) State { return parked })
	require.Len(t, got, 101, "10 Hz whatever the dynamics")
	require.Equal(t, CAMFixed, got[5*time.Second])
}

// A ticker that fires a little early still meets the intervals within Tolerance.
func TestCAMGeneratorTolerance(t *testing.T) {
	moved := State{Pos: geo.Destination(origin, 0, 10), HeadingDeg: 90}
	exact := CAMGenerator{}
	require.Equal(t, CAMFirst, exact.Check(camT0, parked))
	require.Equal(t, CAMNotDue, exact.Check(camT0.Add(98*time.Millisecond), moved), "2 ms early, no tolerance")
	require.Equal(t, CAMNotDue, exact.Check(camT0.Add(998*time.Millisecond), parked))

	early := CAMGenerator{Tolerance: 5 * time.Millisecond}
	require.Equal(t, CAMFirst, early.Check(camT0, parked))
	require.Equal(t, CAMNotDue, early.Check(camT0.Add(94*time.Millisecond), moved), "6 ms early")
	require.Equal(t, CAMPosition, early.Check(camT0.Add(98*time.Millisecond), moved))
	require.Equal(t, CAMMaxInterval, early.Check(camT0.Add(1096*time.Millisecond), moved), "2 ms before 1 s after the last")
}
