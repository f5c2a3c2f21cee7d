package native

import (
	"testing"
	"time"

	"github.com/michi-v2x/michi/pkg/v2x/native"
)

func TestAlertQueue(t *testing.T) {
	q := newAlertQueue(3)
	a1 := native.NewAlert(hazard(1, t0))
	b1 := native.NewAlert(hazard(2, t0))
	b2 := native.NewAlert(hazard(2, t0.Add(time.Second)))
	c1 := native.NewAlert(hazard(3, t0))
	d1 := native.NewAlert(hazard(4, t0))

	steps := []struct {
		a    native.Alert
		want offerResult
	}{
		{a1, offerQueued},
		{b1, offerQueued},
		{b1, offerDuplicate},  // the same version again
		{b2, offerSuperseded}, // newer: replaces b1 in place
		{b1, offerDuplicate},  // older than queued
		{c1, offerQueued},
		{d1, offerOverflow},
	}
	for i, s := range steps {
		if got := q.offer(s.a); got != s.want {
			t.Fatalf("step %d (%v): %v, want %v", i, s.a.ActionID(), got, s.want)
		}
	}
	// FIFO, b2 in b1's place.
	for _, want := range []native.Alert{a1, b2, c1} {
		got, ok := q.pop(t0)
		if !ok || got.ActionID() != want.ActionID() || got.ReferenceTime() != want.ReferenceTime() {
			t.Fatalf("pop = %v@%d, want %v@%d", got.ActionID(), got.ReferenceTime(), want.ActionID(), want.ReferenceTime())
		}
	}
	if _, ok := q.pop(t0); ok || q.len() != 0 {
		t.Fatal("queue not empty")
	}
	// Sent versions are remembered: offering them again is a no-op; a newer one is queued.
	for _, a := range []native.Alert{a1, b1, b2, c1} {
		if got := q.offer(a); got != offerDuplicate {
			t.Fatalf("re-offer %v@%d: %v", a.ActionID(), a.ReferenceTime(), got)
		}
	}
	if got := q.offer(native.NewAlert(hazard(1, t0.Add(time.Minute)))); got != offerQueued {
		t.Fatalf("new version of a sent hazard: %v", got)
	}
}

func TestAlertQueueForgetsExpiredHazards(t *testing.T) {
	q := newAlertQueue(1)
	for i := range sentPruneAbove + 1 {
		q.offer(native.NewAlert(hazard(uint16(i), t0)))
		q.pop(t0)
	}
	if len(q.sent) != sentPruneAbove+1 {
		t.Fatalf("remembered %d before expiry", len(q.sent))
	}
	late := t0.Add(2 * time.Hour) // the hazards' validity is an hour
	q.offer(native.NewAlert(hazard(9999, late)))
	q.pop(late)
	if len(q.sent) != 1 {
		t.Fatalf("remembered %d after expiry, want only the newest", len(q.sent))
	}
}
