package uplink

import (
	"fmt"
	"os"
)

// lowWaterPercent is the share of the soft limits the queue sheds down to under pressure.
const lowWaterPercent = 90

// makeRoom applies the drop policy (see Queue) so that a record of size bytes and kind fits;
// q.mu is held.
func (q *Queue) makeRoom(size int64, kind Kind) error {
	fits := func(maxBytes int64, maxRecords int) bool {
		return q.bytes+size <= maxBytes && q.count+1 <= maxRecords
	}
	if fits(q.o.MaxBytes, q.o.MaxRecords) {
		return nil
	}
	lowBytes := q.o.MaxBytes*lowWaterPercent/100 - size
	lowRecords := q.o.MaxRecords*lowWaterPercent/100 - 1
	if err := q.shed(q.bytes-lowBytes, q.count-lowRecords); err != nil {
		return err
	}
	if fits(q.o.MaxBytes, q.o.MaxRecords) {
		return nil
	}
	if kind == KindHazard {
		if fits(q.o.HardMaxBytes, q.o.HardMaxRecords) {
			return nil
		}
		q.stats.Rejected++
		return fmt.Errorf("%w: hazards fill the hard limit (%d records, %d bytes)", ErrQueueFull, q.count, q.bytes)
	}
	q.stats.Dropped++
	return fmt.Errorf("%w: only hazards left; %s record dropped", ErrQueueFull, kind)
}

// shed frees at least needBytes and needRecords, if it can, by removing acknowledged records
// and then traffic and health records, oldest first. Hazards stay.
//
// The segments from the first to the last one it drops from are rewritten together: what they
// keep is packed, in order, into as few files of up to SegmentBytes as it fits in, which take
// the paths of the first of those segments (each written to a temporary file, fsynced and
// renamed over its path, oldest first, as soon as it is full); the remaining paths are removed.
// Packing never moves a record to a later file than it was in, so a crash at any point leaves
// every kept record in some file; a record then found in two files (its new and its old one) is
// read once, as scanSegment skips seqs that do not ascend. Merging keeps the number of files from
// growing with every round of shedding; streaming keeps memory to about two segments.
func (q *Queue) shed(needBytes int64, needRecords int) error {
	first, last := -1, -1
	var keeps [][]entry
	dropped := uint64(0)
	for i, s := range q.segs {
		if needBytes <= 0 && needRecords <= 0 {
			break
		}
		keep := s.entries
		if s.nonHazard > 0 || (i == 0 && q.ackedLeft > 0) {
			keep = make([]entry, 0, len(s.entries))
			for _, e := range s.entries {
				if (needBytes > 0 || needRecords > 0) && (e.seq <= q.acked || e.kind != KindHazard) {
					needBytes -= int64(e.size)
					needRecords--
					if e.seq > q.acked {
						dropped++
					}
					continue
				}
				keep = append(keep, e)
			}
		}
		keeps = append(keeps, keep)
		if len(keep) < len(s.entries) {
			if first < 0 {
				first = i
			}
			last = i
		}
	}
	if last < 0 {
		return nil
	}
	// Rewriting may take the highest seq off the disk: persist the floor first.
	if err := q.persistLocked(); err != nil {
		return fmt.Errorf("shed: %w", err)
	}
	span := q.segs[first : last+1]
	n, err := q.repack(span, keeps[first:last+1])
	if err != nil {
		// Files before the failure were packed, the others not: records may be indexed twice.
		q.dedupe()
		return fmt.Errorf("shed: %w", err)
	}
	for _, s := range span[n:] {
		q.removeSegment(s)
	}
	q.segs = append(q.segs[:first+n], q.segs[last+1:]...)
	q.stats.Dropped += dropped
	q.recount()
	if err := syncDir(q.dir); err != nil {
		return fmt.Errorf("shed: %w", err)
	}
	q.dirDirty = false
	return nil
}

// repack writes the kept records of span, in order, into files of up to SegmentBytes (a file
// always takes at least one record) that replace span[0], span[1], … as each is full. It
// returns how many it replaced; the caller removes the rest. Invariant: when file i is read,
// only span[:n] with n <= i has been replaced.
func (q *Queue) repack(span []*segment, keeps [][]entry) (int, error) {
	n := 0
	data := []byte(segmentMagic)
	var entries []entry
	flush := func() error {
		if len(entries) == 0 {
			return nil
		}
		if err := q.replace(span[n], data, entries); err != nil {
			return err
		}
		n++
		data, entries = []byte(segmentMagic), nil
		return nil
	}
	for i, s := range span {
		if len(keeps[i]) == 0 {
			continue
		}
		// Read before anything replaces this file (only files before it have been so far).
		old := make([]byte, s.size)
		if _, err := s.f.ReadAt(old, 0); err != nil {
			return n, fmt.Errorf("read %s: %w", s.path, err)
		}
		for _, e := range keeps[i] {
			// A full file replaces span[n] only if n < i; normally it is, since packing keeps
			// ahead of the old layout, but a file from a run with a larger SegmentBytes may not
			// be: then the new file grows instead, and no unread file is overwritten.
			if len(entries) > 0 && int64(len(data))+int64(e.size) > q.o.SegmentBytes && n < i {
				if err := flush(); err != nil {
					return n, err
				}
			}
			entries = append(entries, entry{seq: e.seq, off: int64(len(data)), size: e.size, kind: e.kind})
			data = append(data, old[e.off:e.off+int64(e.size)]...)
		}
	}
	return n, flush()
}

// replace makes data, holding entries, the content of s's file: written to a temporary file,
// fsynced, renamed over the old one. A replaced segment takes no more appends.
func (q *Queue) replace(s *segment, data []byte, entries []entry) error {
	if q.active == s {
		q.active = nil
	}
	tmp := s.path + ".tmp"
	if err := writeFileSync(q.o.open, tmp, data); err != nil {
		os.Remove(tmp)
		return err
	}
	if err := os.Rename(tmp, s.path); err != nil {
		os.Remove(tmp)
		return err
	}
	f, err := q.o.open(s.path, os.O_RDWR, 0)
	if err != nil {
		return err
	}
	_ = s.f.Close()
	q.bytes -= s.live
	q.count -= len(s.entries)
	s.f, s.size, s.entries, s.dirty = f, int64(len(data)), entries, false
	s.reindex()
	q.bytes += s.live
	q.count += len(s.entries)
	q.dirDirty = true
	return nil
}

// dedupe drops index entries whose seq does not exceed the previous one, as a reopen would
// (scanSegment), after a rewrite failed half-way.
func (q *Queue) dedupe() {
	var prev uint64
	for _, s := range q.segs {
		kept := s.entries[:0]
		for _, e := range s.entries {
			if e.seq > prev {
				kept = append(kept, e)
				prev = e.seq
			}
		}
		q.bytes -= s.live
		q.count -= len(s.entries)
		s.entries = kept
		s.reindex()
		q.bytes += s.live
		q.count += len(s.entries)
	}
	q.recount()
}
