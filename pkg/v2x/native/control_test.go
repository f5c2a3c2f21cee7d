package native

import (
	"context"
	"errors"
	"testing"

	"github.com/quic-go/quic-go"

	"github.com/michi-v2x/michi/internal/testutil"
)

func TestSendDENM(t *testing.T) {
	s := newFakeServer(t, fakeOpts{datagrams: true})
	c, ss := dialFake(t, s, Dialer{})
	if err := c.SendDENM(context.Background(), fixtureReport()); err != nil {
		t.Fatal(err)
	}
	f := testutil.Within(t, wait, "the DENM", ss.frames)
	if d, ok := f.(*DENMFrame); !ok || d.DENM.ActionID() != fixtureReport().ActionID() {
		t.Fatalf("got %+v", f)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := c.SendDENM(ctx, fixtureReport()); !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled ctx: %v", err)
	}
}

func TestServerErrors(t *testing.T) {
	s := newFakeServer(t, fakeOpts{datagrams: true})
	errs := make(chan *Error, 1)
	c, ss := dialFake(t, s, Dialer{OnError: func(e *Error) { errs <- e }})

	ss.write(&ErrorFrame{Code: CodeForbidden, Reason: "not your station"})
	if got := testutil.Within(t, wait, "OnError", errs); got.Code != CodeForbidden || !got.Remote {
		t.Fatalf("OnError got %v", got)
	}
	ss.write(&ErrorFrame{Code: CodeSlowConsumer, Reason: "too slow", Fatal: true})
	testutil.Within(t, wait, "Done", c.Done())
	if err := c.Err(); !errors.Is(err, CodeSlowConsumer) {
		t.Fatalf("Err = %v", err)
	}
	if _, open := <-c.Alerts(); open {
		t.Fatal("Alerts not closed")
	}
	if err := c.SendCAM(fixtureCAM()); !errors.Is(err, CodeSlowConsumer) {
		t.Fatalf("SendCAM after the end: %v", err)
	}
}

func TestServerClosesWithCode(t *testing.T) {
	s := newFakeServer(t, fakeOpts{datagrams: true})
	c, ss := dialFake(t, s, Dialer{})
	_ = ss.qc.CloseWithError(quic.ApplicationErrorCode(CodeShuttingDown), "maintenance")
	testutil.Within(t, wait, "Done", c.Done())
	e, ok := errors.AsType[*Error](c.Err())
	if !ok || e.Code != CodeShuttingDown || e.Reason != "maintenance" || !e.Code.Retryable() {
		t.Fatalf("Err = %v", c.Err())
	}
}
