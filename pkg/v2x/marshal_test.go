package v2x

import (
	"testing"

	"github.com/stretchr/testify/require"
)

func TestUnmarshalKeepsTargetOnError(t *testing.T) {
	m := fixtureByName(t, "cam_car").decode(t).(*CAM)
	before := *m
	require.Error(t, m.UnmarshalJSON([]byte(`{"message_type":"cam"}`)))
	require.Equal(t, before, *m)
	require.Error(t, m.UnmarshalMsgpack([]byte{0x80}))
	require.Equal(t, before, *m)
}
