package edge_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/michi-v2x/michi/internal/edge"
	"github.com/michi-v2x/michi/internal/hazard"
	"github.com/michi-v2x/michi/pkg/geo"
	"github.com/michi-v2x/michi/pkg/v2x"
)

// A restarted edge never gives a new hazard the action id of one from its run before.
func TestHazardSequenceSurvivesRestart(t *testing.T) {
	dir := t.TempDir()
	firstHazard := func(id uint32) (seq uint16) { // the hazard of a vehicle's report, 2 km apart from the run before's
		t.Run("run", func(t *testing.T) { // the node stops when the subtest ends
			n, clk := startNode(t, func(o *edge.Options) { o.DataDir = dir })
			now := clk.Now()
			p := geo.Destination(here, 90, 2000*float64(id))
			newVehicle(t, n, id).denm(t, v2x.DENMSpec{Cause: v2x.CauseAccident, Pos: p, Detection: now, Reference: now, At: now})
			waitActive(t, n, int(id)) // the run before's hazards resumed (restart.go), and this one
			seq = n.Hazards().Within(p, 1)[0].ActionID.SequenceNumber
		})
		return seq
	}
	require.Equal(t, uint16(1), firstHazard(1))
	b, err := os.ReadFile(filepath.Join(dir, "hazard-seq"))
	require.NoError(t, err)
	require.Equal(t, "1025\n", string(b), "a block reserved ahead")

	require.Equal(t, uint16(1+hazard.ReserveBlock), firstHazard(2), "resumed past every number the first run may have used")

	require.NoError(t, os.WriteFile(filepath.Join(dir, "hazard-seq"), []byte("seventy\n"), 0o644))
	_, err = startBare(t, edge.Options{DataDir: dir})
	require.ErrorContains(t, err, "hazard-seq: want the next hazard sequence number")
}
