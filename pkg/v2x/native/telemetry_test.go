package native

import (
	"context"
	"testing"

	"github.com/michi-v2x/michi/internal/testutil"
)

func TestSendCAMAsDatagram(t *testing.T) {
	s := newFakeServer(t, fakeOpts{datagrams: true})
	c, ss := dialFake(t, s, Dialer{})
	if err := c.SendCAM(fixtureCAM()); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	b, err := ss.qc.ReceiveDatagram(ctx)
	if err != nil {
		t.Fatal(err)
	}
	f, err := DecodeFrame(b)
	if err != nil {
		t.Fatal(err)
	}
	if cam := f.(*CAMFrame).CAM; cam.StationID() != 1234 {
		t.Fatalf("cam = %+v", cam)
	}
	testutil.WaitFor(t, wait, "stats", func() bool { return c.Stats().CAMDatagrams == 1 })
}

func TestSendCAMFallsBackToStream(t *testing.T) {
	for _, tc := range []struct {
		name            string
		server          bool
		dialer          Dialer
		welcomeDatagram bool
	}{
		{"client disabled", true, Dialer{DisableDatagrams: true}, false},
		{"server disabled", false, Dialer{}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := newFakeServer(t, fakeOpts{datagrams: tc.server})
			c, ss := dialFake(t, s, tc.dialer)
			if c.Datagrams() {
				t.Fatal("datagrams in use")
			}
			ctx, cancel := context.WithTimeout(context.Background(), wait)
			defer cancel()
			for i := range 3 {
				cam := fixtureCAM()
				cam.Timestamp += int64(i)
				if err := c.SendCAM(cam); err != nil {
					t.Fatal(err)
				}
				// Wait for each, so that none is superseded.
				testutil.WaitFor(t, wait, "the CAM to be sent", func() bool { return c.Stats().CAMStream == uint64(i+1) })
			}
			str, err := ss.qc.AcceptUniStream(ctx)
			if err != nil {
				t.Fatal(err)
			}
			r := NewReader(str)
			for i := range 3 {
				f, err := r.ReadFrame()
				if err != nil {
					t.Fatal(err)
				}
				if got := f.(*CAMFrame).CAM.Timestamp; got != fixtureCAM().Timestamp+int64(i) {
					t.Fatalf("CAM %d: timestamp %d", i, got)
				}
			}
		})
	}
}

// SendCAM never blocks, however fast it is called; what could not be sent was superseded.
func TestSendCAMNeverBlocks(t *testing.T) {
	s := newFakeServer(t, fakeOpts{datagrams: true})
	c, _ := dialFake(t, s, Dialer{})
	const n = 5000
	cam := fixtureCAM()
	for range n {
		if err := c.SendCAM(cam); err != nil {
			t.Fatal(err)
		}
	}
	testutil.WaitFor(t, wait, "the mailbox to drain", func() bool {
		st := c.Stats()
		return st.CAMsSent+st.CAMsSuperseded == n
	})
}
