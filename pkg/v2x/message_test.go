package v2x

import (
	"strings"
	"testing"
	"time"

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

	m := fixtureByName(t, "denm_termination").decode(t)
	require.Equal(t, "com_rsu_77", m.Source())
	require.Equal(t, time.UnixMilli(1795615260123).UTC(), m.SentAt())
	require.Equal(t, "com_camera_77", fixtureByName(t, "cpm_rsu").decode(t).Source())
	require.Equal(t, "com_car_4294967295", fixtureByName(t, "cam_car").decode(t).Source())
	require.Equal(t, int64(1795615200123), fixtureByName(t, "cpm_rsu").decode(t).SentAt().UnixMilli())
	require.Equal(t, int64(1795615200123), fixtureByName(t, "cam_car").decode(t).SentAt().UnixMilli())
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
