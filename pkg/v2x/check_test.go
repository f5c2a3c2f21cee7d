package v2x

import (
	"testing"

	"github.com/stretchr/testify/require"
)

func TestChoices(t *testing.T) {
	require.NoError(t, exactlyOne([]bool{false, true}, "a", "b"))
	require.ErrorIs(t, exactlyOne([]bool{false, false}, "a", "b"), ErrInvalid)
	require.ErrorIs(t, exactlyOne([]bool{true, true}, "a", "b"), ErrInvalid)
	require.ErrorIs(t, (&MapReference{}).check(), ErrInvalid)
	require.NoError(t, (&MapReference{RoadSegment: &MapElementID{}}).check())
	require.ErrorIs(t, (&Acceleration3D{}).check(), ErrInvalid)
	require.ErrorIs(t, (&ObjectClassChoice{}).check(), ErrInvalid)
	require.Contains(t, (&Shape{}).check().Error(), "exactly one of rectangular, circular")
}
