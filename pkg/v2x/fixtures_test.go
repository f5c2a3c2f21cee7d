package v2x

import (
	"bytes"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/michi-v2x/michi/pkg/geo"
	"github.com/stretchr/testify/require"
)

// fixture is one named golden message under testdata/. Every codec, schema,
// validation, fuzz and benchmark test draws from this one table.
type fixture struct {
	name string // testdata/<name>.json
	typ  MessageType
}

var fixtures = []fixture{
	{"cam_car", TypeCAM},           // a passenger car with HF and LF containers
	{"cam_rsu", TypeCAM},           // a roadside unit with a protected zone
	{"cam_minimal", TypeCAM},       // required members only, unavailable values
	{"cam_maximal", TypeCAM},       // every optional member, bounds, escapes
	{"denm_accident", TypeDENM},    // an accident reported by a car
	{"denm_termination", TypeDENM}, // a roadside unit cancelling its event
	{"denm_minimal", TypeDENM},
	{"denm_maximal", TypeDENM},
	{"cpm_rsu", TypeCPM}, // a roadside camera: a pedestrian and a car
	{"cpm_minimal", TypeCPM},
	{"cpm_maximal", TypeCPM}, // a vehicle CPM with every container
}

// golden returns the fixture's file as written (indented).
func (f fixture) golden(tb testing.TB) []byte {
	tb.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", f.name+".json"))
	require.NoError(tb, err)
	return b
}

// compact returns the fixture in the compact form the encoder writes.
func (f fixture) compact(tb testing.TB) []byte {
	tb.Helper()
	var buf bytes.Buffer
	require.NoError(tb, json.Compact(&buf, f.golden(tb)))
	return buf.Bytes()
}

// decode decodes the fixture with the decoder of its type.
func (f fixture) decode(tb testing.TB) Message {
	tb.Helper()
	m, err := Decode(f.golden(tb))
	require.NoError(tb, err, f.name)
	require.Equal(tb, f.typ, m.Type())
	return m
}

func fixtureByName(tb testing.TB, name string) fixture {
	for _, f := range fixtures {
		if f.name == name {
			return f
		}
	}
	tb.Fatalf("no fixture %q", name)
	return fixture{}
}

// fixedTime is the generation time of the constructed messages.
var fixedTime = time.Date(2026, 11, 25, 14, 30, 0, 123e6, time.UTC)

// constructed returns one message per constructor path, built from SI values.
func constructed() map[string]Message {
	neg := TerminationNegation
	return map[string]Message{
		"new_cam_car": NewCAM(CAMSpec{SourceUUID: "com_car_42", StationID: 42, StationType: StationPassengerCar,
			Pos: geo.Point{Lat: 48.8566, Lon: 2.3522}, SpeedMPS: 13.89, HeadingDeg: 271.5, At: fixedTime}),
		"new_cam_unavailable": NewCAM(CAMSpec{SourceUUID: "com_car_43", StationID: 43, StationType: StationBus,
			Pos: geo.Point{Lat: math.NaN()}, SpeedMPS: math.NaN(), HeadingDeg: math.NaN(), At: fixedTime}),
		"new_cam_rsu": NewCAM(CAMSpec{SourceUUID: "com_rsu_77", StationID: 77, StationType: StationRoadSideUnit,
			Pos: geo.Point{Lat: 48.857, Lon: 2.353}, At: fixedTime}),
		"new_denm": NewDENM(DENMSpec{SourceUUID: "com_edge_9", StationID: 9, StationType: StationRoadSideUnit,
			ActionID: ActionID{OriginatingStationID: 9, SequenceNumber: 3}, Cause: CauseStationaryVehicle, SubCause: 2,
			Pos: geo.Point{Lat: 48.8566, Lon: 2.3522}, HeadingDeg: 90, HasHeading: true,
			Detection: fixedTime.Add(-time.Minute), Reference: fixedTime, Validity: 120 * time.Second,
			AwarenessRadiusM: 300, TrafficDirection: DirectionUpstream, InformationQuality: 3, At: fixedTime}),
		"new_denm_negation": NewDENM(DENMSpec{SourceUUID: "com_edge_9", StationID: 9, StationType: StationRoadSideUnit,
			ActionID: ActionID{OriginatingStationID: 1234, SequenceNumber: 5}, Cause: CauseAccident,
			Pos: geo.Point{Lat: 48.8566, Lon: 2.3522}, Termination: &neg, At: fixedTime}),
		"new_cpm": NewCPM(CPMSpec{SourceUUID: "com_camera_77", StationID: 77, Pos: geo.Point{Lat: 48.857, Lon: 2.353}, At: fixedTime,
			Objects: []PerceivedObject{
				{ObjectID: 1, Class: ClassPedestrian, EastM: 12, NorthM: -3.5, SpeedMPS: 1.4, SpeedOK: true, HeadingDeg: 90, HeadingOK: true},
				{ObjectID: 2, Class: ClassVehicle, EastM: -25, NorthM: 40, SpeedMPS: 13.89}, // SpeedOK implied
				{ObjectID: 3, Class: ClassUnknown, EastM: 5000, NorthM: 0},
			}}),
	}
}
