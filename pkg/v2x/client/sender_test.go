package client_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/michi-v2x/michi/internal/testutil"
	"github.com/michi-v2x/michi/pkg/geo"
	"github.com/michi-v2x/michi/pkg/v2x/client"
)

// fakeClock is a clock a test advances by hand.
type fakeClock struct{ now time.Time }

func (c *fakeClock) Now() time.Time { return c.now }

// TestSenderRatesOverEdge drives two vehicles on a real edge for 10 s of a fake clock, updating
// their state every 100 ms: the parked one sends at 1 Hz (T_GenCamMax), the one at 45 m/s
// (4.5 m per 100 ms) at 10 Hz, and the edge tracks both where they last were.
func TestSenderRatesOverEdge(t *testing.T) {
	n := startEdge(t, tcp)
	// The fake clock also stamps the CAMs (State.At): it runs the 10 s up to a second ago, so
	// each CAM is newer than the one before (the edge drops a repeat) and none is in the future.
	clock := &fakeClock{now: time.Now().Add(-11 * time.Second)}
	parkedC, fastC := dialVehicle(t, n, tcp, 31), dialVehicle(t, n, tcp, 32)
	parked := client.NewSender(parkedC, client.SenderOptions{Now: clock.Now})
	fast := client.NewSender(fastC, client.SenderOptions{Now: clock.Now})
	fixedC := dialVehicle(t, n, tcp, 33)
	fixed := client.NewSender(fixedC, client.SenderOptions{FixedHz: 10, Now: clock.Now})

	const steps = 100 // 10 s
	var fastPos geo.Point
	for i := 0; i <= steps; i++ {
		fastPos = geo.Destination(here, 90, 4.5*float64(i))
		for _, u := range []struct {
			s  *client.Sender
			st client.State
		}{
			{parked, client.State{Pos: here, SpeedMPS: 0, HeadingDeg: 90, At: clock.now}},
			{fast, client.State{Pos: fastPos, SpeedMPS: 45, HeadingDeg: 90, At: clock.now}},
			{fixed, client.State{Pos: here, SpeedMPS: 0, HeadingDeg: 90, At: clock.now}},
		} {
			_, err := u.s.Update(ctx(t), u.st)
			require.NoError(t, err)
		}
		clock.now = clock.now.Add(client.TCheckCamGen)
	}
	require.EqualValues(t, 11, parkedC.Stats().StatesSent, "1 Hz over 10 s, plus the first")
	require.EqualValues(t, steps+1, fastC.Stats().StatesSent, "10 Hz over 10 s")
	require.EqualValues(t, steps+1, fixedC.Stats().StatesSent, "the fixed 10 Hz, parked as it is")

	testutil.WaitFor(t, 10*time.Second, "the edge tracks both vehicles", func() bool {
		p, ok1 := n.LDM().Vehicle(31)
		f, ok2 := n.LDM().Vehicle(32)
		return ok1 && ok2 && geo.Distance(p.Pos, here) < 0.5 && geo.Distance(f.Pos, fastPos) < 0.5
	})
}
