package testutil

import (
	"context"
	"sync"
	"testing"
	"time"
)

// Timeouts for a server to get ready and to stop: generous, since the machine is shared.
const (
	ReadyTimeout = 10 * time.Second
	StopTimeout  = 20 * time.Second
)

// Runner is a server with michi's lifecycle: Run binds, serves until ctx ends, drains and
// returns; Ready is closed once it serves (edge.Node, hub.Hub, native.Server, uplink.Server…).
type Runner interface {
	Run(ctx context.Context) error
	Ready() <-chan struct{}
}

// Serve runs r until the test ends or stop is called and waits until r is ready. When r stops
// first, Serve returns its error (and a nil stop). stop waits for Run to return and fails the test
// on its error; it may be called more than once.
func Serve(tb testing.TB, r Runner) (stop func(), err error) {
	tb.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- r.Run(ctx) }()
	select {
	case <-r.Ready():
	case err := <-done:
		cancel()
		if err == nil {
			err = context.Canceled // stopped of its own accord, never ready
		}
		return nil, err
	case <-time.After(ReadyTimeout):
		cancel()
		tb.Fatalf("%T not ready within %s", r, ReadyTimeout)
	}
	var once sync.Once
	stop = func() {
		once.Do(func() {
			cancel()
			select {
			case err := <-done:
				if err != nil {
					tb.Errorf("%T: Run: %v", r, err)
				}
			case <-time.After(StopTimeout):
				tb.Errorf("%T did not stop within %s", r, StopTimeout)
			}
		})
	}
	tb.Cleanup(stop)
	return stop, nil
}

// Start is Serve for a server that must start: the test fails when r stops before it is ready.
func Start(tb testing.TB, r Runner) (stop func()) {
	tb.Helper()
	stop, err := Serve(tb, r)
	if err != nil {
		tb.Fatalf("%T stopped before it was ready: %v", r, err)
	}
	return stop
}

// pollEvery is how often CheckFor and WaitFor look again.
const pollEvery = 5 * time.Millisecond

// CheckFor polls cond until it returns nil, failing the test with cond's last error when timeout
// has passed first.
func CheckFor(tb testing.TB, timeout time.Duration, cond func() error) {
	tb.Helper()
	deadline := time.Now().Add(timeout)
	for {
		err := cond()
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			tb.Fatalf("condition not met within %s: %v", timeout, err)
		}
		time.Sleep(pollEvery)
	}
}

// WaitFor polls cond until it is true, failing the test with what when timeout has passed first.
func WaitFor(tb testing.TB, timeout time.Duration, what string, cond func() bool) {
	tb.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			tb.Fatalf("timed out after %s waiting for %s", timeout, what)
		}
		time.Sleep(pollEvery)
	}
}

// Within receives from ch, failing the test with what when nothing arrives within timeout.
func Within[T any](tb testing.TB, timeout time.Duration, what string, ch <-chan T) T {
	tb.Helper()
	t := time.NewTimer(timeout)
	defer t.Stop()
	select {
	case v := <-ch:
		return v
	case <-t.C:
		tb.Fatalf("timed out after %s waiting for %s", timeout, what)
		var zero T
		return zero
	}
}
