package edge

import (
	"testing"

	mqtt "github.com/mochi-mqtt/server/v2"
	"github.com/mochi-mqtt/server/v2/packets"
	"github.com/stretchr/testify/require"
)

// The subscription index counts the filters that can match forwarded telemetry, so the edge
// forwards only while one exists, and forgets them again.
func TestSubIndexCountsTelemetrySubscriptions(t *testing.T) {
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
		x := newSubIndex("city/michi")
		cl := &mqtt.Client{ID: "c"}
		x.add(cl, packets.Subscription{Filter: filter})
		x.add(cl, packets.Subscription{Filter: filter}) // a re-subscription replaces, never adds
		got := int64(0)
		if want {
			got = 1
		}
		require.Equal(t, got, x.telemetry.Load(), filter)
		x.remove("c", filter)
		require.Zero(t, x.telemetry.Load(), filter)
	}
}
