package testutil

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"time"
)

// server is a Runner that becomes ready at once, or fails with err before it does.
type server struct {
	err     error
	ready   chan struct{}
	stopped atomic.Bool
}

func (s *server) Ready() <-chan struct{} { return s.ready }
func (s *server) Run(ctx context.Context) error {
	if s.err != nil {
		return s.err
	}
	close(s.ready)
	<-ctx.Done()
	s.stopped.Store(true)
	return nil
}

func TestStartWaitsForReadyAndStops(t *testing.T) {
	s := &server{ready: make(chan struct{})}
	stop := Start(t, s)
	select {
	case <-s.ready:
	default:
		t.Fatal("Start returned before the server was ready")
	}
	stop()
	stop() // idempotent
	if !s.stopped.Load() {
		t.Fatal("stop returned before Run did")
	}
}

func TestServeReturnsWhyItDidNotStart(t *testing.T) {
	want := errors.New("bind: address in use")
	stop, err := Serve(t, &server{err: want, ready: make(chan struct{})})
	if !errors.Is(err, want) || stop != nil {
		t.Fatalf("Serve = %v, %v; want nil, %v", stop != nil, err, want)
	}
}

func TestCheckForPollsUntilTheConditionHolds(t *testing.T) {
	var calls atomic.Int32
	CheckFor(t, 5*time.Second, func() error {
		if calls.Add(1) < 3 {
			return errors.New("not yet")
		}
		return nil
	})
	if calls.Load() != 3 {
		t.Fatalf("cond called %d times, want 3", calls.Load())
	}
	n := 0
	WaitFor(t, 5*time.Second, "three calls", func() bool { n++; return n == 3 })
	if n != 3 {
		t.Fatalf("cond called %d times, want 3", n)
	}
}

func TestWithinReceives(t *testing.T) {
	ch := make(chan int, 1)
	ch <- 7
	if got := Within(t, time.Second, "a value", ch); got != 7 {
		t.Fatalf("Within = %d, want 7", got)
	}
}
