package harness

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

type fakeSender struct {
	mu    sync.Mutex
	sends []time.Time
	fail  bool
	block time.Duration // the first send blocks this long
}

func (f *fakeSender) send(now, _ time.Time) (bool, error) {
	f.mu.Lock()
	first := len(f.sends) == 0
	f.sends = append(f.sends, now)
	f.mu.Unlock()
	if first && f.block > 0 {
		time.Sleep(f.block)
	}
	if f.fail {
		return false, errors.New("broken pipe")
	}
	return true, nil
}

func (f *fakeSender) count() int { f.mu.Lock(); defer f.mu.Unlock(); return len(f.sends) }

func runGenerator(t *testing.T, period, d time.Duration, fs []*fakeSender, writers int) *generator {
	t.Helper()
	ss := make([]sender, len(fs))
	for i, f := range fs {
		ss[i] = f
	}
	g := newGenerator(period, time.Now(), writers, ss)
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	var wg sync.WaitGroup
	for w := range writers {
		wg.Add(1)
		go func() { defer wg.Done(); g.run(ctx, w) }()
	}
	wg.Wait()
	return g
}

func TestGeneratorSendsEveryVehicleOncePerPeriodInOrder(t *testing.T) {
	fs := make([]*fakeSender, 10)
	for i := range fs {
		fs[i] = &fakeSender{}
	}
	g := runGenerator(t, 50*time.Millisecond, 420*time.Millisecond, fs, 3)
	total := 0
	for i, f := range fs {
		// about 8 rounds in 420 ms; never more than one send per vehicle per round
		require.LessOrEqual(t, f.count(), 9, "vehicle %d", i)
		require.GreaterOrEqual(t, f.count(), 2, "vehicle %d", i)
		total += f.count()
	}
	require.Equal(t, int64(total), g.sent.Load())
	require.Zero(t, g.failed.Load())
	// Offsets spread the vehicles over the period.
	require.Equal(t, time.Duration(0), g.offset(0))
	require.Equal(t, 25*time.Millisecond, g.offset(5))
}

func TestGeneratorDropsAVehicleWhoseConnectionFailed(t *testing.T) {
	bad := &fakeSender{fail: true}
	g := runGenerator(t, 20*time.Millisecond, 150*time.Millisecond, []*fakeSender{bad, {}}, 1)
	require.Equal(t, 1, bad.count())
	require.Equal(t, int64(1), g.failed.Load())
}

func TestGeneratorSkipsRoundsInsteadOfBursting(t *testing.T) {
	slow := &fakeSender{block: 200 * time.Millisecond} // stalls its writer for 10 periods
	g := runGenerator(t, 20*time.Millisecond, 300*time.Millisecond, []*fakeSender{slow}, 1)
	// After the stall the writer resumes the schedule: no burst of the 10 missed sends.
	require.LessOrEqual(t, slow.count(), 8)
	require.GreaterOrEqual(t, g.lagMax.Load(), int64(0))
}
