package edge_test

import (
	"fmt"
	"testing"
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"
	"github.com/stretchr/testify/require"

	"github.com/michi-v2x/michi/internal/edge"
	"github.com/michi-v2x/michi/internal/hazard"
	"github.com/michi-v2x/michi/pkg/geo"
	"github.com/michi-v2x/michi/pkg/v2x"
)

// collect reads DENMs from ch until fn has seen what it wants (it returns true) or 5 s pass.
func collect(t *testing.T, ch <-chan paho.Message, fn func(d *v2x.DENM, retained bool) bool) {
	t.Helper()
	deadline := time.After(5 * time.Second)
	for {
		select {
		case m := <-ch:
			d, err := v2x.UnmarshalDENM(m.Payload())
			require.NoError(t, err)
			if fn(d, m.Retained()) {
				return
			}
		case <-deadline:
			t.Fatal("not seen within 5 s")
		}
	}
}

// Item 5 of issue 14: an edge that stops leaves nothing stale. A restarted edge resumes the
// hazards it had published — same action ids and versions, retained again on their tiles — and
// carries on those its detectors see again; one no detector claims within resume_grace is
// ended explicitly (a cancellation to the vehicles); a termination sent just before the stop is
// retained again for late subscribers. (internal/e2e's TestRestartAfterSIGKILL does the same to
// a real edge-node killed with SIGKILL, with the hub.)
func TestHazardsResumeAfterRestart(t *testing.T) {
	dir := t.TempDir()
	clk := &clock{t: time.Now().Truncate(time.Millisecond)}
	withDir := func(o *edge.Options) { o.DataDir, o.ResumeGrace = dir, 5*time.Second }
	n, stop := runNode(t, clk, withDir)
	now := clk.Now()
	crash, icy, gone := here, geo.Destination(here, 90, 3000), geo.Destination(here, 180, 3000)
	reporter := func(id uint32) *vehicle { return newVehicle(t, n, id) }
	a, b, c := reporter(1), reporter(2), reporter(3)
	a.denm(t, v2x.DENMSpec{ActionID: v2x.ActionID{SequenceNumber: 1}, Cause: v2x.CauseAccident, Pos: crash, At: now})
	a.denm(t, v2x.DENMSpec{ActionID: v2x.ActionID{SequenceNumber: 2}, Cause: v2x.CauseAdhesion, Pos: icy, At: now})
	b.denm(t, v2x.DENMSpec{ActionID: v2x.ActionID{SequenceNumber: 1}, Cause: v2x.CauseAdhesion, Pos: icy, At: now})
	c.denm(t, v2x.DENMSpec{ActionID: v2x.ActionID{SequenceNumber: 1}, Cause: v2x.CauseObstacle, Pos: gone, At: now})
	waitActive(t, n, 3)
	byCause := func(hs []hazard.Hazard) map[uint8]hazard.Hazard {
		out := map[uint8]hazard.Hazard{}
		for _, h := range hs {
			out[h.Cause] = h
		}
		return out
	}
	before := byCause(n.Hazards().Active())
	term := v2x.Termination(0)
	c.denm(t, v2x.DENMSpec{ActionID: v2x.ActionID{SequenceNumber: 1}, Cause: v2x.CauseObstacle, Pos: gone,
		Detection: now, Reference: clk.Add(time.Second), At: clk.Now(), Termination: &term})
	waitActive(t, n, 2)
	stop()

	// The next run no longer runs the slippery detector: nobody will claim the icy road again.
	n, _ = runNode(t, clk, withDir, func(o *edge.Options) { o.Detect.Disable = []string{"slippery"} })
	after := byCause(n.Hazards().Active())
	require.Len(t, after, 2)
	for _, cause := range []uint8{v2x.CauseAccident, v2x.CauseAdhesion} {
		require.Equal(t, before[cause].ActionID, after[cause].ActionID)
		require.True(t, before[cause].Reference.Equal(after[cause].Reference))
	}
	late := subscribe(t, connect(t, "tcp://"+n.MQTTAddr(), "late"), denmFilter(n, crash, 16))
	collect(t, late, func(d *v2x.DENM, retained bool) bool {
		return retained && d.ActionID() == before[v2x.CauseAccident].ActionID && d.ReferenceTime().Equal(before[v2x.CauseAccident].Reference)
	})
	icySub := subscribe(t, connect(t, "tcp://"+n.MQTTAddr(), "icy"), denmFilter(n, icy, 16))
	collect(t, icySub, func(d *v2x.DENM, retained bool) bool {
		return retained && d.ActionID() == before[v2x.CauseAdhesion].ActionID
	})
	goneSub := subscribe(t, connect(t, "tcp://"+n.MQTTAddr(), "gone"), denmFilter(n, gone, 16))
	collect(t, goneSub, func(d *v2x.DENM, retained bool) bool {
		_, ended := d.Termination()
		return retained && ended && d.ActionID() == before[v2x.CauseObstacle].ActionID
	})

	// The accident's report is back in the store: its detector carries the hazard on. The icy road
	// is ended at the grace's end, explicitly.
	clk.Add(4 * time.Second)
	n.DetectOnce()
	require.Len(t, n.Hazards().Active(), 2)
	clk.Add(2 * time.Second)
	n.DetectOnce()
	active := n.Hazards().Active()
	require.Len(t, active, 1)
	require.Equal(t, before[v2x.CauseAccident].ActionID, active[0].ActionID)
	collect(t, icySub, func(d *v2x.DENM, _ bool) bool {
		_, ended := d.Termination()
		return ended && d.ActionID() == before[v2x.CauseAdhesion].ActionID
	})
	got, ok := n.Hazards().Get(before[v2x.CauseAdhesion].ActionID)
	require.True(t, ok)
	require.Equal(t, hazard.StateTerminated, got.State, fmt.Sprintf("%+v", got))
}
