package alertlatency

import (
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// The names follow their homes' conventions (Prometheus: base unit seconds and the edge's
// prefix; JSON: snake_case with the unit), and each definition says from where to where.
func TestNamesFollowTheirConventions(t *testing.T) {
	require.Regexp(t, `^michi_edge_[a-z_]+_seconds$`, HandoffMetric)
	for _, f := range []string{JSONField, HandoffP50Field, HandoffP99Field, DeliveryJSONField} {
		require.Regexp(t, `^[a-z0-9]+(_[a-z0-9]+)*_ms$`, f)
	}
	require.True(t, strings.HasPrefix(HandoffP50Field, "alert_handoff_") && strings.HasPrefix(HandoffP99Field, "alert_handoff_"))
	fromTo := regexp.MustCompile(`from .+ (to|until) .+`)
	for name, def := range map[string]string{Name: Definition, HandoffName: HandoffDefinition, DeliveryName: DeliveryDefinition} {
		require.Regexp(t, fromTo, def, "%s says from where to where", name)
		require.NotContains(t, def, "\n", "one line: it is a Prometheus help text and an HTML note")
	}
	require.Contains(t, HandoffDefinition, Name, "the hand-off is defined as a part of alert latency")
	require.Contains(t, DeliveryDefinition, Name)
}
