package uplink

import (
	"errors"
	"fmt"
	"os"
	"time"
)

// maxScanRecordBytes bounds a record's length when segments are read at open. It is not
// MaxRecordBytes, which may have been larger when the record was written; a garbage length is
// caught by the file's size and the CRC anyway.
const maxScanRecordBytes = 64 << 20

// load reads the state file and indexes the segments, repairing what a crash left behind.
func (q *Queue) load() error {
	st, err := readState(q.dir)
	if err != nil {
		return err
	}
	q.persisted = st
	paths, err := listSegments(q.dir)
	if err != nil {
		return err
	}
	var last uint64
	for i, path := range paths {
		s, err := q.openSegment(path, last, i == len(paths)-1)
		if err != nil {
			return err
		}
		if len(s.entries) == 0 {
			_ = s.f.Close()
			if err := os.Remove(path); err != nil {
				return err
			}
			q.dirDirty = true
			continue
		}
		last = s.lastSeq()
		q.segs = append(q.segs, s)
		q.bytes += s.recordBytes()
		q.count += len(s.entries)
	}
	q.acked = st.acked
	q.nextSeq = max(st.floor, st.acked, last) + 1
	// Drop segments acknowledged entirely (an Ack may have ended before removing them).
	n := 0
	for n < len(q.segs) && q.segs[n].lastSeq() <= q.acked {
		n++
	}
	for _, s := range q.segs[:n] {
		q.removeSegment(s)
	}
	q.segs = q.segs[n:]
	q.recount()
	// What a crashed process wrote may still be in the page cache only: make it durable now,
	// so that Pending can hand it out.
	for _, s := range q.segs {
		if err := s.f.Sync(); err != nil {
			return err
		}
	}
	if q.dirDirty {
		if err := syncDir(q.dir); err != nil {
			return err
		}
		q.dirDirty = false
	}
	q.durable = q.nextSeq - 1
	if len(q.segs) > 0 {
		if s := q.segs[len(q.segs)-1]; s.size < q.o.SegmentBytes {
			q.active = s
		}
	}
	return nil
}

// openSegment indexes one segment file and truncates it after its last valid record.
func (q *Queue) openSegment(path string, prevSeq uint64, isLast bool) (*segment, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	f, err := q.o.open(path, os.O_RDWR, 0)
	if err != nil {
		return nil, err
	}
	entries, valid, err := scanSegment(data, maxScanRecordBytes, prevSeq)
	if err != nil {
		if !isLast {
			f.Close()
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		// The newest segment with a bad header was being created when the machine went down
		// (some file systems leave zeros there): it holds nothing that was ever durable.
		entries, valid = nil, 0
	}
	if valid < int64(len(data)) {
		cut := int64(len(data)) - valid
		q.stats.Repaired += cut
		if isLast {
			q.log.Warn("queue: torn tail truncated", "segment", path, "bytes", cut)
		} else {
			q.log.Error("queue: damaged segment truncated; records after the damage are lost", "segment", path, "bytes", cut)
		}
		if len(entries) == 0 { // nothing to keep: load removes the file
			return &segment{path: path, f: f}, nil
		}
		if err := f.Truncate(valid); err != nil {
			f.Close()
			return nil, err
		}
	}
	s := &segment{path: path, f: f, size: valid, entries: entries}
	s.reindex()
	return s, nil
}

// syncLoop fsyncs on the SyncInterval timer and when SyncEvery records are waiting.
func (q *Queue) syncLoop() {
	defer close(q.doneC)
	t := time.NewTicker(q.o.SyncInterval)
	defer t.Stop()
	for {
		select {
		case <-t.C:
		case <-q.kickC:
		case <-q.stopC:
			return
		}
		if err := q.syncNow(); errors.Is(err, ErrSyncFailed) {
			<-q.stopC // stopped: nothing more to make durable (fail logged why)
			return
		} else if err != nil {
			q.log.Error("queue state file not written", "err", err.Error())
		}
	}
}

// Sync makes every record appended so far durable now (fsync), instead of waiting for the
// timer, and persists the acknowledged mark.
func (q *Queue) Sync() error {
	q.mu.Lock()
	closed := q.closed
	q.mu.Unlock()
	if closed {
		return ErrClosed
	}
	return q.syncNow()
}

// syncNow fsyncs the dirty segments outside the lock, then advances the durable mark and wakes
// the consumer. It also writes the state file when the acknowledged mark moved. A failed fsync
// is handled by recoverSync; after a failure it could not recover from, it returns that failure.
func (q *Queue) syncNow() error {
	q.mu.Lock()
	if q.failed != nil {
		q.mu.Unlock()
		return q.failed
	}
	target := q.nextSeq - 1
	var files []*segment
	for _, s := range q.segs {
		if s.dirty {
			s.dirty = false
			files = append(files, s)
		}
	}
	dirDirty := q.dirDirty
	q.dirDirty = false
	q.unsynced = 0
	st := queueState{acked: q.acked, floor: q.nextSeq - 1}
	fds := make([]file, len(files))
	for i, s := range files {
		fds[i] = s.f
	}
	q.mu.Unlock()

	var err error
	for _, f := range fds {
		// A segment removed or rewritten meanwhile has a closed descriptor; its records are
		// gone or were fsynced by the rewrite.
		if serr := f.Sync(); serr != nil && !errors.Is(serr, os.ErrClosed) && err == nil {
			err = serr
		}
	}
	if dirDirty {
		if serr := syncDir(q.dir); serr != nil && err == nil {
			err = serr
		}
	}
	if err != nil {
		return q.recoverSync(err)
	}
	q.stateMu.Lock()
	stale := st.acked > q.persisted.acked
	q.stateMu.Unlock()
	if stale {
		err = q.persist(st) // the records are durable whether or not the mark is: resent at worst
	}

	q.mu.Lock()
	defer q.mu.Unlock()
	q.advanceLocked(target)
	return err
}

// advanceLocked moves the durable mark to target and wakes the consumer; q.mu is held.
func (q *Queue) advanceLocked(target uint64) {
	if target > q.durable {
		q.durable = target
		select {
		case q.notifyC <- struct{}{}:
		default:
		}
	}
}

// recoverSync handles a failed fsync. After one, the kernel may have dropped the pages it could
// not write and marked them clean, so that a later fsync of the same file succeeds without them
// (PostgreSQL's "fsyncgate", 2018): no record above the durable mark is trusted to the file it
// was written to. Every segment holding such records is rewritten instead — read back, each
// record checked against its CRC, written to a new file, fsynced, renamed over the old one, and
// the directory fsynced — and only then does the durable mark move. If that fails too, the queue
// stops (fail). It holds q.mu throughout: Append waits for the disk, as it does when shedding.
func (q *Queue) recoverSync(cause error) error {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.stats.SyncFailures++
	if q.failed != nil {
		return q.failed
	}
	target := q.nextSeq - 1
	q.log.Error("queue fsync failed; rewriting the records it did not prove durable", "err", cause.Error(), "durable", q.durable, "last", target)
	for _, s := range q.segs {
		if len(s.entries) == 0 || s.lastSeq() <= q.durable {
			continue
		}
		if err := q.rewrite(s); err != nil {
			return q.fail(fmt.Errorf("fsync: %w; rewriting %s: %w", cause, s.path, err))
		}
	}
	if err := syncDir(q.dir); err != nil {
		return q.fail(fmt.Errorf("fsync: %w; directory: %w", cause, err))
	}
	q.dirDirty = false
	q.advanceLocked(target)
	q.log.Warn("queue recovered from a failed fsync: records rewritten and fsynced anew", "durable", q.durable)
	return nil
}

// rewrite replaces s's file with a fresh copy of its records, each checked against its CRC.
func (q *Queue) rewrite(s *segment) error {
	old := make([]byte, s.size)
	if _, err := s.f.ReadAt(old, 0); err != nil {
		return err
	}
	data := []byte(segmentMagic)
	entries := make([]entry, len(s.entries))
	for i, e := range s.entries {
		entries[i] = entry{seq: e.seq, off: int64(len(data)), size: e.size, kind: e.kind}
		data = append(data, old[e.off:e.off+int64(e.size)]...)
	}
	if got, valid, err := scanSegment(data, maxScanRecordBytes, 0); err != nil || valid != int64(len(data)) || len(got) != len(entries) {
		return fmt.Errorf("%w: records read back do not match what was written", ErrCorrupt)
	}
	return q.replace(s, data, entries)
}

// fail stops the queue after a failed fsync it could not recover from: nothing more becomes
// durable, Append refuses, and the records above the durable mark are cut off the segments, so
// that a restart does not take them for durable either (they were never sent: the hub holds
// none of them). Records at or below the mark are still handed out and acknowledged. q.mu is
// held.
func (q *Queue) fail(err error) error {
	q.failed = fmt.Errorf("%w: %w", ErrSyncFailed, err)
	lost := 0
	for _, s := range q.segs {
		i := s.search(q.durable)
		if i == len(s.entries) {
			continue
		}
		cut := s.entries[i].off
		if terr := s.f.Truncate(cut); terr != nil {
			q.log.Error("queue: cannot cut records that are not durable off a segment", "segment", s.path, "err", terr.Error())
		}
		lost += len(s.entries) - i
		q.bytes -= s.live
		q.count -= len(s.entries)
		s.entries, s.size = s.entries[:i], cut
		s.reindex()
		q.bytes += s.live
		q.count += len(s.entries)
	}
	q.active = nil
	q.stats.Lost += uint64(lost)
	q.log.Error("uplink queue stopped: it takes no more records until restarted on a sound disk",
		"err", q.failed.Error(), "durable", q.durable, "lost", lost)
	return q.failed
}

// Pending returns up to max records that the hub has not acknowledged, with seqs above
// afterSeq, in seq order. Only durable (fsynced) records are returned; Notify signals more.
func (q *Queue) Pending(afterSeq uint64, max int) ([]Record, error) {
	raws, _, err := q.pendingRaw(afterSeq, max, 1<<62)
	if err != nil {
		return nil, err
	}
	recs := make([]Record, len(raws))
	for i, raw := range raws {
		if err := decodeRecord(raw, &recs[i]); err != nil {
			return nil, fmt.Errorf("pending: %w: %w", ErrCorrupt, err)
		}
	}
	return recs, nil
}

// pendingRaw is Pending without decoding: the records' msgpack payloads, as the hub receives
// them, at most maxN of them and — beyond the first — at most maxBytes of payload, and the
// seq of the last one.
func (q *Queue) pendingRaw(afterSeq uint64, maxN, maxBytes int) ([][]byte, uint64, error) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.closed {
		return nil, 0, ErrClosed
	}
	from := max(afterSeq, q.acked)
	var out [][]byte
	var last uint64
	total := 0
	for _, s := range q.segs {
		if len(out) >= maxN || len(s.entries) == 0 || s.lastSeq() <= from {
			continue
		}
		i := s.search(from)
		j := i
		for j < len(s.entries) && len(out)+(j-i) < maxN && s.entries[j].seq <= q.durable {
			n := int(s.entries[j].size) - recordHeaderLen
			if total > 0 && total+n > maxBytes {
				break
			}
			total += n
			j++
		}
		if j == i {
			break
		}
		first, end := s.entries[i], s.entries[j-1]
		buf := make([]byte, end.off+int64(end.size)-first.off)
		if _, err := s.f.ReadAt(buf, first.off); err != nil {
			return nil, 0, fmt.Errorf("pending: read %s: %w", s.path, err)
		}
		for _, e := range s.entries[i:j] {
			o := e.off - first.off
			out = append(out, buf[o+recordHeaderLen:o+int64(e.size)])
		}
		last = s.entries[j-1].seq
		if j < len(s.entries) { // stopped by a limit or by the durable mark
			break
		}
	}
	return out, last, nil
}
