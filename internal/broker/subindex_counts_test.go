package broker

import (
	"testing"

	mqtt "github.com/mochi-mqtt/server/v2"
	"github.com/mochi-mqtt/server/v2/packets"
	"github.com/stretchr/testify/require"
)

// The subscription index counts the filters that can match forwarded telemetry, so the edge
// forwards only while one exists, and those that can match what clients publish into inQueue,
// so the lanes leave telemetry to the broker while one exists (inbound.go); and it forgets them
// again.
func TestSubIndexCountsTelemetrySubscriptions(t *testing.T) {
	type counts struct{ telemetry, inbound int64 }
	for filter, want := range map[string]counts{
		"#":                                    {1, 1},
		"city/#":                               {1, 1},
		"city/michi/outQueue/#":                {1, 0},
		"city/michi/outQueue/v2x/cam/#":        {1, 0},
		"city/michi/+/v2x/cpm/+/1/2/#":         {1, 1},
		"city/+/outQueue/+/+/src":              {1, 0},
		"$share/g/city/michi/outQueue/v2x/#":   {1, 0},
		"city/michi/outQueue/v2x/cam":          {0, 0}, // that exact topic carries nothing
		"city/michi/outQueue/v2x/denm/#":       {0, 0},
		"city/michi/inQueue/v2x/cam/#":         {0, 1},
		"city/+/inQueue/v2x/cam/+/1/#":         {0, 1},
		"$share/g/city/michi/inQueue/v2x/#":    {0, 1},
		"city/michi/inQueue":                   {0, 0},
		"michi/outQueue/v2x/cam/#":             {0, 0},
		"michi/inQueue/#":                      {0, 0},
		"$SYS/#":                               {0, 0},
		"city/michi/outQueue/v2x/+":            {0, 0},
		"$share/g/city/michi/outQueue/v2x/+/+": {1, 0},
	} {
		x := newSubIndex("city/michi")
		cl := &mqtt.Client{ID: "c"}
		x.add(cl, packets.Subscription{Filter: filter})
		x.add(cl, packets.Subscription{Filter: filter}) // a re-subscription replaces, never adds
		require.Equal(t, want, counts{x.telemetry.Load(), x.inbound.Load()}, filter)
		x.remove("c", filter)
		require.Equal(t, counts{}, counts{x.telemetry.Load(), x.inbound.Load()}, filter)
	}
}
