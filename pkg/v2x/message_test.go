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
