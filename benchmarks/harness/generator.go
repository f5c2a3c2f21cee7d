package harness

import (
	"context"
	"sync/atomic"
	"time"
)

// sender is one vehicle's telemetry stream as the generator sees it.
// send is called at each of the vehicle's slots, slot being when it was due and now when it
// runs; it reports whether it sent a CAM (in realistic mode the CAM generation rules may say
// none is due; they are checked at the slot, so the writers' lateness does not bend them).
type sender interface {
	send(now, slot time.Time) (sent bool, err error)
}

// generator drives the telemetry of every vehicle at a fixed rate with a few writer loops.
//
// Vehicle i of n sends at offset i·P/n within each period P, so the load is spread evenly over
// the period. Writer w owns vehicles w, w+W, w+2W, …; since they all share the period, their
// send times form one cyclic order, and a writer walks that order: it sends every vehicle that is
// due, then sleeps until the next one is (at least minSleep, so a writer wakes at most
// 1/minSleep times a second and sends the vehicles due in between as one batch). A writer that
// falls more than a period behind (a blocked socket, a starved CPU) skips the rounds it missed
// rather than bursting to catch up; the skipped sends show as achieved < asked, and its lateness
// as the generator lag.
type generator struct {
	period  time.Duration
	total   int // vehicles across all writers
	start   time.Time
	writers [][]genVehicle

	sent   atomic.Int64 // successful sends
	failed atomic.Int64 // failed sends (the vehicle is then dropped)
	lagMax atomic.Int64 // worst lateness of a send behind its schedule, ns
}

type genVehicle struct {
	idx  int // global index: fixes the offset
	s    sender
	dead bool
}

const minSleep = 500 * time.Microsecond

func newGenerator(period time.Duration, start time.Time, writers int, senders []sender) *generator {
	g := &generator{period: period, total: len(senders), start: start, writers: make([][]genVehicle, writers)}
	for i, s := range senders {
		w := i % writers
		g.writers[w] = append(g.writers[w], genVehicle{idx: i, s: s})
	}
	return g
}

func (g *generator) offset(idx int) time.Duration {
	return time.Duration(int64(idx) * int64(g.period) / int64(g.total))
}

// run is writer w's loop, until ctx ends.
func (g *generator) run(ctx context.Context, w int) {
	vs := g.writers[w]
	if len(vs) == 0 {
		return
	}
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	round, j := int64(0), 0
	for {
		now := time.Now()
		elapsed := now.Sub(g.start)
		due := time.Duration(round)*g.period + g.offset(vs[j].idx)
		if due > elapsed {
			select {
			case <-ctx.Done():
				return
			default:
			}
			timer.Reset(max(due-elapsed, minSleep))
			select {
			case <-ctx.Done():
				return
			case <-timer.C:
			}
			continue
		}
		lag := elapsed - due
		if lag > g.period { // more than a period behind: skip the missed rounds
			round += int64(lag / g.period)
			continue
		}
		storeMax(&g.lagMax, int64(lag))
		if v := &vs[j]; !v.dead {
			if sent, err := v.s.send(now, g.start.Add(due)); err != nil {
				v.dead = true
				g.failed.Add(1)
			} else if sent {
				g.sent.Add(1)
			}
		}
		if j++; j == len(vs) {
			j, round = 0, round+1
		}
	}
}

// storeMax raises a to v if v is larger.
func storeMax(a *atomic.Int64, v int64) {
	for {
		old := a.Load()
		if v <= old || a.CompareAndSwap(old, v) {
			return
		}
	}
}
