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
// The segments from the oldest to the last one it drops from are rewritten together: what they
// keep is packed, in order, into as few files of up to SegmentBytes as it fits in, which take
// the paths of the first of those segments (each written to a temporary file, fsynced and
// renamed over its path, oldest first); the remaining paths are removed. Packing never moves a
// record to a later file than it was in, so a crash at any point leaves every kept record in
// some file; a record then found in two files (its new and its old one) is read once, as
// scanSegment skips seqs that do not ascend. Merging keeps the number of files from growing with
// every round of shedding.
func (q *Queue) shed(needBytes int64, needRecords int) error {
	last := -1
	var keeps [][]entry
	dropped := uint64(0)
	for i, s := range q.segs {
		if needBytes <= 0 && needRecords <= 0 {
			break
		}
		keep := make([]entry, 0, len(s.entries))
		if s.nonHazard > 0 || (i == 0 && q.ackedLeft > 0) {
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
		} else {
			keep = append(keep, s.entries...)
		}
		keeps = append(keeps, keep)
		if len(keep) < len(s.entries) {
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
	prefix := q.segs[:last+1]
	bins, err := q.pack(prefix, keeps[:last+1])
	if err != nil {
		return fmt.Errorf("shed: %w", err)
	}
	for j, data := range bins {
		if err := q.replace(prefix[j], data.bytes, data.entries); err != nil {
			// Files before j were packed, files from j on not: records may now be indexed twice.
			q.dedupe()
			return fmt.Errorf("shed: %w", err)
		}
	}
	for _, s := range prefix[len(bins):] {
		q.removeSegment(s)
	}
	q.segs = append(q.segs[:len(bins)], q.segs[last+1:]...)
	q.stats.Dropped += dropped
	q.recount()
	if err := syncDir(q.dir); err != nil {
		return fmt.Errorf("shed: %w", err)
	}
	q.dirDirty = false
	return nil
}

type bin struct {
	bytes   []byte
	entries []entry
}

// pack lays the kept records of segs out in files of up to SegmentBytes (a file always takes
// at least one record).
func (q *Queue) pack(segs []*segment, keeps [][]entry) ([]bin, error) {
	var bins []bin
	var cur *bin
	for i, s := range segs {
		if len(keeps[i]) == 0 {
			continue
		}
		old := make([]byte, s.size)
		if _, err := s.f.ReadAt(old, 0); err != nil {
			return nil, fmt.Errorf("read %s: %w", s.path, err)
		}
		for _, e := range keeps[i] {
			if cur == nil || (len(cur.entries) > 0 && int64(len(cur.bytes))+int64(e.size) > q.o.SegmentBytes) {
				bins = append(bins, bin{bytes: []byte(segmentMagic)})
				cur = &bins[len(bins)-1]
			}
			cur.entries = append(cur.entries, entry{seq: e.seq, off: int64(len(cur.bytes)), size: e.size, kind: e.kind})
			cur.bytes = append(cur.bytes, old[e.off:e.off+int64(e.size)]...)
		}
	}
	return bins, nil
}

// replace makes data, holding entries, the content of s's file: written to a temporary file,
// fsynced, renamed over the old one. A replaced segment takes no more appends.
func (q *Queue) replace(s *segment, data []byte, entries []entry) error {
	if q.active == s {
		q.active = nil
	}
	tmp := s.path + ".tmp"
	if err := writeFileSync(tmp, data); err != nil {
		os.Remove(tmp)
		return err
	}
	if err := os.Rename(tmp, s.path); err != nil {
		os.Remove(tmp)
		return err
	}
	f, err := os.OpenFile(s.path, os.O_RDWR, 0)
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
