package v2x

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestDecodeChoosesType(t *testing.T) {
	for _, f := range fixtures {
		m := f.decode(t)
		require.Equal(t, f.typ, m.Type())
		require.True(t, m.Type().Valid())
		switch f.typ {
		case TypeCAM:
			require.Equal(t, m.(*CAM).Position(), m.Location())
		case TypeDENM:
			require.Equal(t, m.(*DENM).EventPosition(), m.Location())
		case TypeCPM:
			require.Equal(t, m.(*CPM).ReferencePosition(), m.Location())
		}
	}
	require.False(t, MessageType("mapem").Valid())
}

func TestMaxMessageSize(t *testing.T) {
	js := string(fixtureByName(t, "cam_car").compact(t))
	pad := MaxMessageSize - len(js)
	atLimit := strings.Replace(js, `{"message_type"`, `{`+strings.Repeat(" ", pad)+`"message_type"`, 1)
	require.Equal(t, MaxMessageSize, len(atLimit))
	_, err := Decode([]byte(atLimit))
	require.NoError(t, err, "exactly MaxMessageSize bytes")
	_, err = Decode([]byte(atLimit + " "))
	require.ErrorIs(t, err, ErrTooLarge)
	_, err = UnmarshalCPMMsgpack(make([]byte, MaxMessageSize+1))
	require.ErrorIs(t, err, ErrTooLarge)
}

func TestUnmarshalKeepsTargetOnError(t *testing.T) {
	m := fixtureByName(t, "cam_car").decode(t).(*CAM)
	before := *m
	require.Error(t, m.UnmarshalJSON([]byte(`{"message_type":"cam"}`)))
	require.Equal(t, before, *m)
	require.Error(t, m.UnmarshalMsgpack([]byte{0x80}))
	require.Equal(t, before, *m)
}

func TestSniffType(t *testing.T) {
	typ, err := sniffType([]byte(`{"a":[1,{"b":null},"x",true,-2],"message_type":"cpm"}`), false)
	require.NoError(t, err, "skips members before message_type")
	require.Equal(t, TypeCPM, typ)
	_, err = sniffType([]byte(`{"a":1.5,"message_type":"cpm"}`), false)
	require.ErrorIs(t, err, ErrMalformed)
	_, err = sniffType([]byte(strings.Repeat(`{"a":`, 40)), false)
	require.ErrorIs(t, err, ErrMalformed, "deep nesting")
	_, err = sniffType([]byte(`{"a":nul}`), false)
	require.ErrorIs(t, err, ErrMalformed)
}
