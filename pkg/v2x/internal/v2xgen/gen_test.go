package main

import (
	"math"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestMsgpackKey(t *testing.T) {
	require.Equal(t, "\xa5value", mpKey("value"))
	long := "request_for_free_crossing_at_a_traffic_light"
	require.Equal(t, "\xd9\x2c"+long, mpKey(long))
}

func TestBoundConditions(t *testing.T) {
	g := &gen{}
	// Bounds the type already enforces produce no test.
	require.Equal(t, "", g.boundCond("v", bound{true, 0}, bound{true, 255}, 0, 255))
	require.Equal(t, "v > 62", g.boundCond("v", bound{true, 0}, bound{true, 62}, 0, 255))
	require.Equal(t, "v < 1 || v > 62", g.boundCond("v", bound{true, 1}, bound{true, 62}, 0, 255))
	require.Equal(t, "v < -160", g.boundCond("v", bound{true, -160}, bound{}, math.MinInt16, math.MaxInt16))
	lo, hi := typeBounds(&typ{kind: kInt, bits: 8})
	require.Equal(t, int64(-128), lo)
	require.Equal(t, uint64(127), hi)
	_, hi = typeBounds(&typ{kind: kUint, bits: 64})
	require.Equal(t, uint64(math.MaxUint64), hi)
}
