package edge

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/google/renameio/v2"

	"github.com/michi-v2x/michi/internal/detect"
	"github.com/michi-v2x/michi/internal/hazard"
	"github.com/michi-v2x/michi/pkg/v2x"
)

// journalFile, in DataDir, records every hazard version the edge publishes and every report it
// stores, one JSON object a line, so that a restarted edge knows what vehicles and the hub may
// still hold (restart.go).
//
// A hazard's line is written before the hazard goes out (write-ahead), a report's once it is
// stored; both with a plain write, which survives the process being killed (the kernel has it).
// The file is fsynced every journalSyncEvery by the journal's loop, so a power failure loses at
// most that much: hazards published in the last second before it are then unknown to the
// restarted edge. A write that fails is logged and the edge serves on (alerts are not held back
// for the disk). When the file has grown to journalRewriteFactor times what is live, the loop
// rewrites it with only that (renameio: the old or the new file, never a torn one).
const (
	journalFile          = "hazards.journal"
	journalSyncEvery     = time.Second
	journalRewriteFactor = 4
	journalRewriteMin    = 1024 // lines, at least, before a rewrite
)

// journalLine is one line of the journal: a hazard event, or a report.
type journalLine struct {
	At     time.Time         `json:"at"`
	Event  *hazard.EventKind `json:"event,omitempty"`
	Hazard *hazard.Hazard    `json:"hazard,omitempty"`
	Report *detect.Report    `json:"report,omitempty"`
}

// journaled is the last line of one hazard.
type journaled struct {
	at    time.Time
	event hazard.EventKind
	h     hazard.Hazard
}

// journal is the open journal file.
//
// Lock rule: mu guards the file and the live set; it is taken under Node.pubMu (hazards) and
// Node.reportMu (reports), and holds the report store's lock while rewriting. It never takes
// either Node lock.
type journal struct {
	path    string
	log     *slog.Logger
	keep    time.Duration   // how long a termination is kept (Options.TerminatedExpiry)
	reports *detect.Reports // what a rewrite keeps of the reports

	mu      sync.Mutex
	f       *os.File
	buf     []byte
	lines   int                        // in the file
	base    int                        // lines the last rewrite left
	live    map[v2x.ActionID]journaled // each hazard's last line, until it expired or its termination is old
	dirty   bool                       // written since the last fsync
	failing bool                       // the last write failed (logged once until one succeeds)
}

// openJournal reads DataDir's journal, if there is one, and opens it for appending. It returns
// each hazard's last line and the reports in the order they were stored. A torn last line (the
// process died writing it) ends the reading.
func openJournal(dir string, log *slog.Logger, keep time.Duration, reports *detect.Reports) (*journal, []journaled, []detect.Report, error) {
	j := &journal{path: filepath.Join(dir, journalFile), log: log, keep: keep, reports: reports, live: map[v2x.ActionID]journaled{}}
	var reps []detect.Report
	b, err := os.ReadFile(j.path)
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return nil, nil, nil, err
	}
	sc := bufio.NewScanner(bytes.NewReader(b))
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		var l journalLine
		if err := json.Unmarshal(sc.Bytes(), &l); err != nil {
			log.Warn("hazard journal: a torn line ends it", "file", j.path, "line", j.lines+1, "err", err)
			break
		}
		j.lines++
		switch {
		case l.Hazard != nil && l.Event != nil && *l.Event == hazard.Expired:
			delete(j.live, l.Hazard.ActionID)
		case l.Hazard != nil && l.Event != nil:
			j.live[l.Hazard.ActionID] = journaled{at: l.At, event: *l.Event, h: *l.Hazard}
		case l.Report != nil:
			reps = append(reps, *l.Report)
		}
	}
	if j.f, err = os.OpenFile(j.path, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o644); err != nil {
		return nil, nil, nil, fmt.Errorf("hazard journal: %w", err)
	}
	last := make([]journaled, 0, len(j.live))
	for _, l := range j.live {
		last = append(last, l)
	}
	return j, last, reps, nil
}

// hazard records a hazard event; it runs before the event is disseminated, under Node.pubMu.
func (j *journal) hazard(ev hazard.Event, at time.Time) {
	if j == nil {
		return
	}
	kind, h := ev.Kind, ev.Hazard
	j.mu.Lock()
	defer j.mu.Unlock()
	j.writeLocked(journalLine{At: at, Event: &kind, Hazard: &h})
	if kind == hazard.Expired {
		delete(j.live, h.ActionID)
	} else {
		j.live[h.ActionID] = journaled{at: at, event: kind, h: h}
	}
}

// report records a stored report.
func (j *journal) report(r detect.Report, at time.Time) {
	if j == nil {
		return
	}
	j.mu.Lock()
	defer j.mu.Unlock()
	j.writeLocked(journalLine{At: at, Report: &r})
}

func (j *journal) writeLocked(l journalLine) {
	var err error
	j.buf = j.buf[:0]
	if j.buf, err = appendJSONLine(j.buf, l); err == nil {
		_, err = j.f.Write(j.buf)
	}
	if err != nil {
		if !j.failing {
			j.log.Error("hazard journal not written: a restart may not know this hazard", "file", j.path, "err", err)
		}
		j.failing = true
		return
	}
	j.failing = false
	j.lines++
	j.dirty = true
}

func appendJSONLine(b []byte, v any) ([]byte, error) {
	enc, err := json.Marshal(v)
	if err != nil {
		return b, err
	}
	return append(append(b, enc...), '\n'), nil
}

// tick fsyncs what was written since the last tick and rewrites the file when it has grown far
// beyond what is live; the node's journal loop calls it every journalSyncEvery.
func (j *journal) tick(now time.Time) {
	j.mu.Lock()
	for id, l := range j.live {
		if l.event == hazard.Terminated && now.Sub(l.at) >= j.keep || l.event != hazard.Terminated && !now.Before(l.h.Expiry()) {
			delete(j.live, id)
		}
	}
	if j.lines > max(journalRewriteMin, journalRewriteFactor*(len(j.live)+j.reports.Len()), 2*j.base) {
		j.rewriteLocked(j.reports.Snapshot(), now)
	}
	f, dirty := j.f, j.dirty
	j.dirty = false
	j.mu.Unlock()
	if dirty {
		if err := f.Sync(); err != nil && !errors.Is(err, os.ErrClosed) {
			j.log.Error("hazard journal not synced", "file", j.path, "err", err)
		}
	}
}

// rewriteLocked replaces the file by the live hazards and the stored reports.
func (j *journal) rewriteLocked(reports []detect.Report, now time.Time) {
	var b []byte
	var err error
	for _, l := range j.live {
		ev, h := l.event, l.h
		if b, err = appendJSONLine(b, journalLine{At: l.at, Event: &ev, Hazard: &h}); err != nil {
			break
		}
	}
	for i := 0; i < len(reports) && err == nil; i++ {
		b, err = appendJSONLine(b, journalLine{At: now, Report: &reports[i]})
	}
	var f *os.File
	if err == nil {
		if err = renameio.WriteFile(j.path, b, 0o644); err == nil {
			f, err = os.OpenFile(j.path, os.O_WRONLY|os.O_APPEND, 0o644)
		}
	}
	if err != nil {
		j.log.Error("hazard journal not rewritten; it grows on", "file", j.path, "err", err)
		return
	}
	_ = j.f.Close()
	j.f, j.lines, j.dirty = f, len(j.live)+len(reports), false
	j.base = j.lines
}

// close fsyncs and closes the file.
func (j *journal) close() {
	if j == nil {
		return
	}
	j.mu.Lock()
	defer j.mu.Unlock()
	if err := j.f.Sync(); err != nil {
		j.log.Error("hazard journal not synced", "file", j.path, "err", err)
	}
	_ = j.f.Close()
}
