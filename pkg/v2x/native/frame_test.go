package native

import (
	"bytes"
	"strings"
	"testing"
)

func TestNewAlertCachesTheSameBytes(t *testing.T) {
	m := fixtureHazard(fixtureTime, false)
	a := NewAlert(m)
	a.ServerSendNS, a.Seq = 5, 6
	cached, err := EncodeFrame(&a)
	if err != nil {
		t.Fatal(err)
	}
	plain, err := EncodeFrame(&Alert{DENM: m, ServerSendNS: 5, Seq: 6})
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(cached, plain) {
		t.Fatal("NewAlert's cached DENM encodes differently")
	}
	if a.ActionID() != m.ActionID() || a.ReferenceTime() != m.Message.Management.ReferenceTime {
		t.Fatal("ActionID / ReferenceTime do not come from the DENM")
	}
}

func TestFrameTypeNames(t *testing.T) {
	for _, fx := range frameFixtures() {
		if name := fx.frame.Type().String(); !strings.HasPrefix(fx.name, name) {
			t.Errorf("%s: type name %q", fx.name, name)
		}
	}
	if FrameType(0).String() != "type_0" || FrameType(200).String() != "type_200" {
		t.Error("unknown type names")
	}
}
