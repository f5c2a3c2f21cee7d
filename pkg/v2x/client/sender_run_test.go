package client

import (
	"context"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/require"
)

// Run keeps a vehicle whose application stopped updating at 1 Hz, re-stamping its last state;
// on a fake clock (synctest), so the count is exact.
func TestSenderRunSendsTheLastStateAt1Hz(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var sent []State
		s := &Sender{now: time.Now, gen: CAMGenerator{Tolerance: senderTolerance},
			send: func(_ context.Context, st State) error { sent = append(sent, st); return nil }}
		ctx, cancel := context.WithCancel(t.Context())
		st := parked
		st.At = time.Now()
		tr, err := s.Update(ctx, st)
		require.NoError(t, err)
		require.Equal(t, CAMFirst, tr)
		done := make(chan error)
		go func() { done <- s.Run(ctx) }()
		time.Sleep(3050 * time.Millisecond)
		cancel()
		require.ErrorIs(t, <-done, context.Canceled)
		require.Len(t, sent, 4, "the first, then at 1, 2 and 3 s")
		require.Equal(t, st.At, sent[0].At)
		for _, re := range sent[1:] {
			require.True(t, re.At.IsZero(), "a re-sent state is stamped when it is sent")
			require.Equal(t, parked.Pos, re.Pos)
		}
	})
}
