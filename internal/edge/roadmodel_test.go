package edge_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/michi-v2x/michi/internal/edge"
	"github.com/michi-v2x/michi/internal/road"
)

// TestRoadModelSeededAndKeptAcrossRestarts: a map seeds the road model, /api/v1/road shows it,
// and a restarted edge reads back what it knew from its data dir.
func TestRoadModelSeededAndKeptAcrossRestarts(t *testing.T) {
	dir := t.TempDir()
	var first road.Stats
	t.Run("seeded from a SUMO network", func(t *testing.T) {
		n, _ := startNode(t, func(o *edge.Options) {
			o.DataDir = dir
			o.Road.Map = "../../sim/scenarios/sumo/grid.net.xml"
			o.Road.MapOrigin = here
		})
		getJSON(t, "http://"+n.HTTPAddr()+"/api/v1/road", &first)
		require.Greater(t, first.Known, 1000)
		require.Positive(t, first.Junction)
		require.Equal(t, "right", first.Side)
	})
	_, err := os.Stat(filepath.Join(dir, "road-model"))
	require.NoError(t, err, "saved when the edge stopped")

	t.Run("restarted without the map", func(t *testing.T) {
		n, _ := startNode(t, func(o *edge.Options) { o.DataDir = dir })
		var again road.Stats
		getJSON(t, "http://"+n.HTTPAddr()+"/api/v1/road", &again)
		require.Equal(t, first.Cells, again.Cells)
		require.Equal(t, first.Known, again.Known)
	})

	t.Run("a map that does not load stops the edge", func(t *testing.T) {
		// no origin for a network without a geo-projection
		_, err := startBare(t, edge.Options{Road: road.Options{Map: "../../sim/scenarios/sumo/grid.net.xml"}})
		require.ErrorContains(t, err, "no geo-projection")
	})
}
