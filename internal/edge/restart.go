package edge

import (
	"context"
	"math"
	"time"

	"github.com/michi-v2x/michi/internal/hazard"
	"github.com/michi-v2x/michi/pkg/v2x"
)

// Restarts (README "Restarts").
//
// An edge that stops — cleanly or killed — leaves hazards behind: retained on the vehicles'
// tiles of a broker that is gone, in the native vehicles' memory, active at the hub. So that
// nobody holds a hazard the restarted edge does not know, it resumes them: with DataDir, the
// journal (journal.go) gives back every hazard the last run published and had not ended, and
// the reports behind them. Before any listener is bound the reports go back into the store and
// the hazards into the manager (hazard.Manager.Restore) with their action ids and last
// versions; once the broker serves, each is retained again on its tiles with what is left of
// its validity and offered to native vehicles, as it was. A detector that sees the condition
// again (the restored reports do at once; the map detectors once traffic shows it) carries the
// hazard on under its action id. One that no detector claims within Options.ResumeGrace is
// terminated like any other: a cancellation DENM to the vehicles, a terminated event to the hub.
// A hazard the journal has active that cannot be resumed (another station id now) is ended the
// same way at once; one that expired meanwhile is reported expired to the hub; a termination of
// the last TerminatedExpiry is retained again, and sent to the hub again, since it may not have
// reached either before the stop.

// restoreJournal opens the journal and takes its reports and hazards back. run calls it before
// any listener is bound; republish finishes the work once the broker serves.
func (n *Node) restoreJournal() error {
	j, last, reports, err := openJournal(n.opts.DataDir, n.log, n.opts.TerminatedExpiry, n.reports)
	if err != nil {
		return err
	}
	n.journal = j
	now := n.opts.Now()
	for _, r := range reports {
		n.reports.Add(now, r)
	}
	var active []hazard.Hazard
	for _, l := range last {
		if l.event == hazard.Created || l.event == hazard.Updated {
			active = append(active, l.h)
		}
	}
	resumed := n.hazards.Restore(active, now.Add(n.opts.ResumeGrace), now)
	n.restored = last
	if len(last) > 0 || len(reports) > 0 {
		n.log.Info("hazards resumed from the journal", "resumed", resumed, "journaled", len(last), "reports", n.reports.Len(),
			"grace", n.opts.ResumeGrace)
	}
	return nil
}

// republish puts what restoreJournal took back where vehicles and the hub read it, and ends
// what it could not take back (see above).
func (n *Node) republish() {
	now := n.opts.Now()
	n.pubMu.Lock()
	defer n.pubMu.Unlock()
	for _, l := range n.restored {
		h := l.h
		switch l.event {
		case hazard.Created, hazard.Updated:
			cur, ok := n.hazards.Get(h.ActionID)
			switch {
			case !now.Before(h.Expiry()):
				n.record(hazard.Event{Kind: hazard.Expired, Hazard: h}, now)
			case !ok || cur.State != hazard.StateActive || !cur.FirstDetected.Equal(h.FirstDetected):
				h.State, h.Ended, h.Detection = hazard.StateTerminated, now, now
				if next := h.Reference.Add(time.Millisecond); now.Before(next) {
					h.Reference = next // a newer version than the one vehicles hold
				} else {
					h.Reference = now
				}
				n.publishEnd(h, now, n.opts.TerminatedExpiry)
				n.journal.hazard(hazard.Event{Kind: hazard.Terminated, Hazard: h}, now)
				n.record(hazard.Event{Kind: hazard.Terminated, Hazard: h}, now)
			default:
				if _, seen := n.published[h.ActionID]; seen {
					continue // a newer version went out already
				}
				d := n.DENM(h, now, nil)
				topics := n.hazardTopics(h)
				n.retain(topics, d, uint32(math.Ceil(h.Expiry().Sub(now).Seconds())), nil)
				n.published[h.ActionID] = published{ref: h.Reference, tiles: topics}
				if n.geo != nil {
					n.geo.publish(n.ldm, hazard.Event{Kind: hazard.Updated, Hazard: h}, d)
				}
			}
		case hazard.Terminated:
			if left := n.opts.TerminatedExpiry - now.Sub(l.at); left > 0 {
				n.publishEnd(h, now, left)
				n.record(hazard.Event{Kind: hazard.Terminated, Hazard: h}, now)
			}
		}
	}
	n.restored = nil
}

// publishEnd retains h's cancellation on its tiles for keep.
func (n *Node) publishEnd(h hazard.Hazard, now time.Time, keep time.Duration) {
	term := v2x.Termination(0)
	d := n.DENM(h, now, &term)
	n.retain(n.hazardTopics(h), d, uint32(math.Ceil(keep.Seconds())), nil)
	if n.geo != nil {
		n.geo.publish(n.ldm, hazard.Event{Kind: hazard.Terminated, Hazard: h}, d)
	}
}

// record queues a hazard event for the hub, if the edge has one.
func (n *Node) record(ev hazard.Event, at time.Time) {
	if n.up != nil {
		n.up.recordHazard(ev, at)
	}
}

// journalLoop syncs and compacts the journal until ctx ends.
func (n *Node) journalLoop(ctx context.Context) {
	every(ctx, journalSyncEvery, func() { n.journal.tick(n.opts.Now()) })
}
