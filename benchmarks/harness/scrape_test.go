package harness

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestParseMetrics(t *testing.T) {
	text := `# HELP michi_edge_ingested_total Messages accepted from clients, by message type.
# TYPE michi_edge_ingested_total counter
michi_edge_ingested_total{type="cam"} 12345
michi_edge_ingested_total{type="denm"} 40
michi_edge_rejected_total{reason="clock_skew",type="cam"} 2
michi_edge_rejected_total{reason="replay",type="cam"} 3
michi_edge_mqtt_dropped_total 7
michi_edge_mqtt_evicted_total 1
go_goroutines 12
go_memstats_stack_inuse_bytes 1.048576e+06
go_memstats_heap_inuse_bytes 4.194304e+06
`
	m := parseMetrics(strings.NewReader(text))
	require.Equal(t, map[string]float64{"cam": 12345, "rejected": 5, "dropped": 7, "evicted": 1,
		"stack": 1 << 20, "heap": 4 << 20}, m)
}
