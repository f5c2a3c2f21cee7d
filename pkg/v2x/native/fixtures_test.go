package native

import (
	"crypto/ed25519"
	"encoding/hex"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/michi-v2x/michi/pkg/geo"
	"github.com/michi-v2x/michi/pkg/v2x"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/")

// fixtureTime is the fixed clock of every fixture, so that the golden bytes are stable.
var fixtureTime = time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)

func fixtureCAM() *v2x.CAM {
	return v2x.NewCAM(v2x.CAMSpec{
		SourceUUID: "car_1234", StationID: 1234, StationType: v2x.StationPassengerCar,
		Pos: geo.Point{Lat: 48.8566, Lon: 2.3522}, SpeedMPS: 13.9, HeadingDeg: 90.5, At: fixtureTime,
	})
}

func fixtureReport() *v2x.DENM {
	return v2x.NewDENM(v2x.DENMSpec{
		SourceUUID: "car_1234", StationID: 1234, StationType: v2x.StationPassengerCar,
		ActionID: v2x.ActionID{OriginatingStationID: 1234, SequenceNumber: 7},
		Cause:    v2x.CauseAccident, SubCause: 0, Pos: geo.Point{Lat: 48.857, Lon: 2.353},
		InformationQuality: 3, At: fixtureTime,
	})
}

func fixtureHazard(ref time.Time, terminate bool) *v2x.DENM {
	s := v2x.DENMSpec{
		SourceUUID: "michi_edge-1", StationID: 900001, StationType: v2x.StationRoadSideUnit,
		ActionID: v2x.ActionID{OriginatingStationID: 900001, SequenceNumber: 42},
		Cause:    v2x.CauseStationaryVehicle, SubCause: 2, Pos: geo.Point{Lat: 48.857, Lon: 2.353},
		HeadingDeg: 270, HasHeading: true, Detection: fixtureTime, Reference: ref,
		Validity: 300 * time.Second, AwarenessRadiusM: 500, InformationQuality: 5, At: ref,
	}
	if terminate {
		s.Termination = new(v2x.Termination) // 0: cancellation
	}
	return v2x.NewDENM(s)
}

// frameFixture is one named frame. The table is shared by the encode, decode, golden, fuzz and
// benchmark tests here, and its golden files (testdata/<name>.hex) by the server's tests.
type frameFixture struct {
	name  string
	frame Frame
}

func frameFixtures() []frameFixture {
	return []frameFixture{
		{"hello", &Hello{StationID: 1234, StationType: v2x.StationPassengerCar, SourceUUID: "car_1234", Token: "s3cret", ClientTimeNS: fixtureTime.UnixNano()}},
		{"hello_no_token", &Hello{StationID: 4294967295, StationType: v2x.StationType(10), SourceUUID: "truck-é", ClientTimeNS: -1}},
		{"welcome", &Welcome{EdgeID: "edge-1", SessionID: 1, ServerTimeNS: fixtureTime.UnixNano() + 1500, Datagrams: true, MaxFrame: MaxFrameSize}},
		{"welcome_no_datagrams", &Welcome{EdgeID: "edge-2", SessionID: 1 << 40, ServerTimeNS: fixtureTime.UnixNano(), MaxFrame: 1200}},
		{"error_bad_frame", &ErrorFrame{Code: CodeBadFrame, Reason: "cam: invalid latitude"}},
		{"error_slow_consumer", &ErrorFrame{Code: CodeSlowConsumer, Reason: "alert queue overflowed", Fatal: true}},
		{"error_shutting_down", &ErrorFrame{Code: CodeShuttingDown, Reason: "server shutting down", Fatal: true, LastSeq: 1234}},
		{"ping", &Ping{TNS: fixtureTime.UnixNano()}},
		{"pong", &Pong{TNS: fixtureTime.UnixNano(), ServerTimeNS: fixtureTime.UnixNano() + 250_000}},
		{"bye", &Bye{Reason: "ignition off"}},
		{"bye_empty", &Bye{}},
		{"cam", &CAMFrame{CAM: fixtureCAM()}},
		{"denm_report", &DENMFrame{DENM: fixtureReport()}},
		{"alert", &Alert{DENM: fixtureHazard(fixtureTime, false), ServerSendNS: fixtureTime.UnixNano() + 3_000_000, Seq: 1}},
		{"alert_termination", &Alert{DENM: fixtureHazard(fixtureTime.Add(time.Minute), true), ServerSendNS: fixtureTime.Add(time.Minute).UnixNano(), Seq: 300}},
		{"alert_signed", signedAlert()},
	}
}

// fixtureSigner has a fixed key (Ed25519 signatures are deterministic), so that a signed alert
// has golden bytes too.
var fixtureSigner = v2x.NewSigner(ed25519.NewKeyFromSeed([]byte("michi native-protocol fixtures!!")))

func signedAlert() *Alert {
	a := NewAlert(fixtureHazard(fixtureTime, false))
	a.ServerSendNS, a.Seq = fixtureTime.UnixNano()+3_000_000, 2
	a.Sign(fixtureSigner)
	return &a
}

func (fx frameFixture) path() string { return filepath.Join("testdata", fx.name+".hex") }

// golden returns the fixture's golden bytes, rewriting the file first under -update.
func (fx frameFixture) golden(tb testing.TB) []byte {
	tb.Helper()
	if *update {
		b, err := EncodeFrame(fx.frame)
		if err != nil {
			tb.Fatal(err)
		}
		if err := os.WriteFile(fx.path(), []byte(hexDump(b)), 0o644); err != nil {
			tb.Fatal(err)
		}
	}
	text, err := os.ReadFile(fx.path())
	if err != nil {
		tb.Fatalf("%v (run go test -run TestGolden -update to create it)", err)
	}
	b, err := hex.DecodeString(strings.Join(strings.Fields(string(text)), ""))
	if err != nil {
		tb.Fatalf("%s: %v", fx.path(), err)
	}
	return b
}

// hexDump writes b as lower-case hex, 32 bytes a line.
func hexDump(b []byte) string {
	var sb strings.Builder
	for len(b) > 0 {
		n := min(32, len(b))
		sb.WriteString(hex.EncodeToString(b[:n]))
		sb.WriteByte('\n')
		b = b[n:]
	}
	return sb.String()
}

// normalized returns f as DecodeFrame returns it, for comparisons: an Alert with the DENM's
// encoding as received and its decoded action_id set.
func normalized(f Frame) Frame {
	if a, ok := f.(*Alert); ok {
		c := *a
		c.raw = a.DENM.AppendMsgpack(nil) // as received
		c.wireID = a.DENM.ActionID()
		return &c
	}
	return f
}
