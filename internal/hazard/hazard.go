package hazard

import (
	"fmt"
	"slices"
	"time"

	"github.com/michi-v2x/michi/pkg/geo"
	"github.com/michi-v2x/michi/pkg/v2x"
)

// Finding is one condition a detector sees in one round. All units are SI.
type Finding struct {
	Key             string // stable identity of the underlying condition within one detector; "" is ignored
	Cause, SubCause uint8  // ETSI DENM cause and sub-cause codes
	Pos             geo.Point
	HeadingDeg      float64 // direction of the affected traffic, degrees clockwise from north
	HasHeading      bool
	Direction       v2x.TrafficDirection // 0 = the cause default (see CauseTable)
	RadiusM         float64              // relevance radius; 0 = default for the cause
	Sources         []string             // independent sources, e.g. "station:1234"; none = the detector itself
	Validity        time.Duration        // 0 = the cause default, else Options.DefaultValidity
	Terminate       bool                 // the source says the event is over: drop this key now
}

// State is where a hazard is in its lifecycle.
type State uint8

// States of a hazard. (The plain names Created … Expired are the EventKinds.)
const (
	StateActive State = iota
	StateTerminated
	StateExpired
)

func (s State) String() string {
	switch s {
	case StateActive:
		return "active"
	case StateTerminated:
		return "terminated"
	case StateExpired:
		return "expired"
	}
	return fmt.Sprintf("state(%d)", uint8(s))
}

// MarshalText renders the state by name (JSON APIs).
func (s State) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// UnmarshalText reads a state by name.
func (s *State) UnmarshalText(b []byte) error {
	for _, c := range []State{StateActive, StateTerminated, StateExpired} {
		if string(b) == c.String() {
			*s = c
			return nil
		}
	}
	return fmt.Errorf("hazard state %q: want active, terminated or expired", b)
}

// Hazard is one event the edge originates, as last published.
type Hazard struct {
	ActionID        v2x.ActionID // the edge's own station id + its own sequence number
	Cause, SubCause uint8
	Pos             geo.Point
	HeadingDeg      float64
	HasHeading      bool
	Direction       v2x.TrafficDirection
	RadiusM         float64
	// Detection and Reference are the detection_time and reference_time of the published
	// version: both are set to the time of every new version (ETSI EN 302 637-3: an update
	// carries the time its information was detected); Reference strictly increases.
	Detection, Reference time.Time
	Validity             time.Duration
	InformationQuality   uint8    // Quality(len(Sources)): rises with independent confirmation
	Sources              []string // sorted union of the independent sources of all keys
	Detectors            []string // sorted names of the detectors that hold a key
	State                State    // StateActive while in the active set

	FirstDetected time.Time // when the edge created the hazard
	Ended         time.Time // when it was terminated or expired; zero while active
}

// clone copies the slices, so a caller may keep or modify what it got.
func (h Hazard) clone() Hazard {
	h.Sources = slices.Clone(h.Sources)
	h.Detectors = slices.Clone(h.Detectors)
	return h
}

// Expiry is detection time + validity duration; receivers drop the hazard after it.
func (h Hazard) Expiry() time.Time { return h.Detection.Add(h.Validity) }

// EventKind says what happened to a hazard.
type EventKind uint8

// Kinds of events.
const (
	Created    EventKind = iota // a new hazard: publish it
	Updated                     // a new version of an active hazard: publish it
	Terminated                  // the condition is over: publish a cancellation (termination 0)
	Expired                     // past Detection+Validity: receivers drop it on their own
)

func (k EventKind) String() string {
	switch k {
	case Created:
		return "created"
	case Updated:
		return "updated"
	case Terminated:
		return "terminated"
	case Expired:
		return "expired"
	}
	return fmt.Sprintf("event(%d)", uint8(k))
}

// MarshalText renders the kind by name (JSON APIs).
func (k EventKind) MarshalText() ([]byte, error) { return []byte(k.String()), nil }

// UnmarshalText reads a kind by name.
func (k *EventKind) UnmarshalText(b []byte) error {
	for _, c := range []EventKind{Created, Updated, Terminated, Expired} {
		if string(b) == c.String() {
			*k = c
			return nil
		}
	}
	return fmt.Errorf("hazard event %q: want created, updated, terminated or expired", b)
}

// Event is one change to a hazard. Hazard is the version to publish (for Terminated: the last
// version with a fresh Detection/Reference time; for Expired: the last published version).
type Event struct {
	Kind   EventKind
	Hazard Hazard
}
