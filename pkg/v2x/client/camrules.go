package client

import (
	"math"
	"time"

	"github.com/michi-v2x/michi/pkg/geo"
)

// The CAM generation constants of ETSI EN 302 637-2 V1.4.1 §6.1.3.
const (
	TGenCamMin   = 100 * time.Millisecond // shortest interval between two CAMs
	TGenCamMax   = time.Second            // longest interval between two CAMs
	TCheckCamGen = TGenCamMin             // how often the conditions are checked (≤ TGenCamMin)
	NGenCam      = 3                      // CAMs kept at a dynamics-triggered interval

	CAMHeadingDeltaDeg = 4.0 // heading change that triggers a CAM, degrees
	CAMPositionDeltaM  = 4.0 // distance that triggers a CAM, m
	CAMSpeedDeltaMPS   = 0.5 // speed change that triggers a CAM, m/s
)

// CAMTrigger says why a CAM is due.
type CAMTrigger uint8

// Triggers, in the order CAMGenerator.Check tests them.
const (
	CAMNotDue      CAMTrigger = iota // no CAM now
	CAMFirst                         // no CAM was sent yet
	CAMFixed                         // fixed-rate policy: the period has passed
	CAMHeading                       // heading changed by more than 4°
	CAMPosition                      // moved more than 4 m
	CAMSpeed                         // speed changed by more than 0.5 m/s
	CAMGenInterval                   // T_GenCam, kept after a dynamics-triggered CAM, has passed
	CAMMaxInterval                   // T_GenCamMax (1 s) has passed
)

var triggerNames = [...]string{"not-due", "first", "fixed", "heading", "position", "speed", "gen-interval", "max-interval"}

func (t CAMTrigger) String() string {
	if int(t) < len(triggerNames) {
		return triggerNames[t]
	}
	return "unknown"
}

// Dynamic reports whether the trigger is one of the vehicle dynamics (heading, position, speed).
func (t CAMTrigger) Dynamic() bool { return t == CAMHeading || t == CAMPosition || t == CAMSpeed }

// CAMDynamics is ETSI EN 302 637-2 §6.1.3 condition 1's test of the vehicle dynamics: which of
// heading (> 4°), position (> 4 m) and speed (> 0.5 m/s) changed enough since the last CAM, in
// that order; CAMNotDue if none. An unavailable heading or speed (NaN, negative speed) on either
// side does not trigger. It is the one statement of the rule: CAMGenerator and michi-bench's
// realistic mode both call it.
func CAMDynamics(last, cur State) CAMTrigger {
	if headingKnown(last.HeadingDeg) && headingKnown(cur.HeadingDeg) &&
		geo.AngleDiff(last.HeadingDeg, cur.HeadingDeg) > CAMHeadingDeltaDeg {
		return CAMHeading
	}
	if geo.Distance(last.Pos, cur.Pos) > CAMPositionDeltaM {
		return CAMPosition
	}
	if speedKnown(last.SpeedMPS) && speedKnown(cur.SpeedMPS) && math.Abs(cur.SpeedMPS-last.SpeedMPS) > CAMSpeedDeltaMPS {
		return CAMSpeed
	}
	return CAMNotDue
}

func headingKnown(h float64) bool { return !math.IsNaN(h) && !math.IsInf(h, 0) }
func speedKnown(s float64) bool   { return !math.IsNaN(s) && s >= 0 }

// CAMGenerator decides when a vehicle sends a CAM. The zero value follows ETSI EN 302 637-2
// V1.4.1 §6.1.3; a positive FixedInterval sends at that fixed period instead, whatever the
// dynamics (the bench's worst case and the SDK's behaviour before the rules).
//
// The ETSI rules, checked at each call (call it at least every TCheckCamGen, 100 ms):
//  1. at least TGenCamMin (100 ms) since the last CAM and the heading changed by more than 4°,
//     the position by more than 4 m or the speed by more than 0.5 m/s since the last CAM
//     (CAMDynamics): send, and keep the interval since the previous CAM as T_GenCam;
//  2. at least T_GenCam since the last CAM: send. T_GenCam is TGenCamMax (1 s) except after a
//     CAM of condition 1, when it is that CAM's interval for the next NGenCam (3) CAMs sent by
//     this condition, so a vehicle that stops changing keeps its rate for 3 CAMs before it falls
//     back to 1 Hz.
//
// It only computes: no clock, no I/O; the caller passes the time. Not safe for concurrent use.
type CAMGenerator struct {
	// FixedInterval, when positive, is the fixed period between CAMs instead of the ETSI rules.
	FixedInterval time.Duration
	// Tolerance: a check up to this much before an interval (T_GenCamMin, T_GenCam,
	// T_GenCamMax, FixedInterval) ends counts as at its end, so that a ticker's jitter does not
	// push a due CAM to the next check. Zero for an exact clock; a Sender uses 5 ms.
	Tolerance time.Duration

	sent   bool
	last   State     // state of the last CAM
	lastAt time.Time // when the last CAM was sent
	genCam time.Duration
	nGen   int // CAMs left at genCam before it falls back to TGenCamMax
}

// Check reports whether a CAM with state s is due at now and why. When it is (not CAMNotDue),
// the generator records s as sent at now: the caller sends it.
func (g *CAMGenerator) Check(now time.Time, s State) CAMTrigger {
	t := g.due(now, s)
	if t == CAMNotDue {
		return t
	}
	elapsed := now.Sub(g.lastAt)
	switch {
	case t.Dynamic():
		g.genCam, g.nGen = max(elapsed, TGenCamMin), NGenCam
	case t == CAMGenInterval:
		if g.nGen--; g.nGen <= 0 {
			g.genCam = TGenCamMax
		}
	}
	g.sent, g.last, g.lastAt = true, s, now
	return t
}

func (g *CAMGenerator) due(now time.Time, s State) CAMTrigger {
	if !g.sent {
		return CAMFirst
	}
	elapsed := now.Sub(g.lastAt) + g.Tolerance
	if g.FixedInterval > 0 {
		if elapsed >= g.FixedInterval {
			return CAMFixed
		}
		return CAMNotDue
	}
	if elapsed < TGenCamMin {
		return CAMNotDue
	}
	if t := CAMDynamics(g.last, s); t != CAMNotDue {
		return t
	}
	if elapsed >= TGenCamMax {
		return CAMMaxInterval
	}
	if g.genCam > 0 && g.genCam < TGenCamMax && elapsed >= g.genCam {
		return CAMGenInterval
	}
	return CAMNotDue
}

// Interval is T_GenCam: the interval the generator currently keeps without new dynamics
// (TGenCamMax, or a dynamics-triggered interval for up to NGenCam CAMs; FixedInterval when set).
func (g *CAMGenerator) Interval() time.Duration {
	switch {
	case g.FixedInterval > 0:
		return g.FixedInterval
	case g.genCam > 0 && g.genCam < TGenCamMax && g.nGen > 0:
		return g.genCam
	}
	return TGenCamMax
}
