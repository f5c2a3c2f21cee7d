package edge

import (
	"testing"

	"github.com/stretchr/testify/require"
)

func TestMatchesTelemetry(t *testing.T) {
	n := &Node{opts: Options{Root: "city/michi"}}
	for filter, want := range map[string]bool{
		"#":                                    true,
		"city/#":                               true,
		"city/michi/outQueue/#":                true,
		"city/michi/outQueue/v2x/cam/#":        true,
		"city/michi/+/v2x/cpm/+/1/2/#":         true,
		"city/+/outQueue/+/+/src":              true,
		"$share/g/city/michi/outQueue/v2x/#":   true,
		"city/michi/outQueue/v2x/cam":          false, // that exact topic carries nothing
		"city/michi/outQueue/v2x/denm/#":       false,
		"city/michi/inQueue/v2x/cam/#":         false,
		"michi/outQueue/v2x/cam/#":             false,
		"city/michi/outQueue/v2x/+":            false,
		"$share/g/city/michi/outQueue/v2x/+/+": true,
	} {
		require.Equal(t, want, n.matchesTelemetry(filter), filter)
	}
}
