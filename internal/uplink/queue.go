package uplink

import (
	"bytes"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"sync"
	"time"

	"github.com/vmihailenco/msgpack/v5"
)

// Queue defaults, applied where QueueOptions leaves a field zero.
const (
	DefaultQueueMaxBytes   = 256 << 20
	DefaultQueueMaxRecords = 1 << 20
	DefaultSyncInterval    = 50 * time.Millisecond
	DefaultSyncEvery       = 256
	DefaultMaxRecordBytes  = 1 << 20
)

// QueueOptions bounds and tunes a Queue; the zero value means the defaults.
type QueueOptions struct {
	// MaxBytes and MaxRecords are the soft limits (256 MiB, 1,048,576 records): beyond them
	// traffic and health records are dropped, oldest first. Bytes are the records' on-disk
	// size (17-byte header and msgpack payload).
	MaxBytes   int64
	MaxRecords int
	// HardMaxBytes and HardMaxRecords bound hazards, which are never dropped: between the soft
	// and the hard limit only hazards are accepted, beyond it Append fails with ErrQueueFull.
	// Default: the soft limit plus a quarter.
	HardMaxBytes   int64
	HardMaxRecords int
	// SegmentBytes is the size at which a new segment file is started; whole segments are
	// deleted once acknowledged. Default: MaxBytes/16 within [4 KiB, 4 MiB].
	SegmentBytes int64
	// MaxRecordBytes bounds one record's msgpack payload. Default: 1 MiB, at most MaxBytes/4;
	// it may not exceed 2 MiB, so that any record fits in a frame.
	MaxRecordBytes int
	// SyncInterval and SyncEvery are the fsync policy: appended records are fsynced within
	// SyncInterval (50 ms), or as soon as SyncEvery (256) are waiting, and on Close. They are
	// the unsynced window: what a power failure may lose (see the package doc).
	SyncInterval time.Duration
	SyncEvery    int
	// Log receives repairs at open and I/O errors; nil discards them.
	Log *slog.Logger

	open openFunc // opens the queue's files; nil: os.OpenFile (tests inject failing files)
}

func (o *QueueOptions) setDefaults() {
	if o.MaxBytes == 0 {
		o.MaxBytes = DefaultQueueMaxBytes
	}
	setInt(&o.MaxRecords, DefaultQueueMaxRecords)
	if o.HardMaxBytes == 0 {
		o.HardMaxBytes = o.MaxBytes + o.MaxBytes/4
	}
	setInt(&o.HardMaxRecords, o.MaxRecords+o.MaxRecords/4)
	if o.SegmentBytes == 0 {
		o.SegmentBytes = min(max(o.MaxBytes/16, 4<<10), 4<<20)
	}
	setInt(&o.MaxRecordBytes, int(min(DefaultMaxRecordBytes, o.MaxBytes/4)))
	setDur(&o.SyncInterval, DefaultSyncInterval)
	setInt(&o.SyncEvery, DefaultSyncEvery)
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	if o.open == nil {
		o.open = openOS
	}
}

// Validate reports every problem with o at once.
func (o *QueueOptions) Validate() error {
	var errs []error
	if o.MaxBytes < 0 || o.MaxRecords < 0 || o.HardMaxBytes < 0 || o.HardMaxRecords < 0 ||
		o.SegmentBytes < 0 || o.MaxRecordBytes < 0 || o.SyncInterval < 0 || o.SyncEvery < 0 {
		errs = append(errs, errors.New("uplink queue: limits must not be negative"))
	}
	if o.HardMaxBytes < o.MaxBytes || o.HardMaxRecords < o.MaxRecords {
		errs = append(errs, errors.New("uplink queue: hard limits must not be below the soft limits"))
	}
	if o.MaxRecordBytes > DefaultMaxFrameBytes/2 {
		errs = append(errs, fmt.Errorf("uplink queue: MaxRecordBytes %d above %d: a record must fit in a frame", o.MaxRecordBytes, DefaultMaxFrameBytes/2))
	}
	if int64(o.MaxRecordBytes)+recordHeaderLen > o.MaxBytes {
		errs = append(errs, fmt.Errorf("uplink queue: MaxRecordBytes %d does not fit in MaxBytes %d", o.MaxRecordBytes, o.MaxBytes))
	}
	if o.MaxRecords < 1 {
		errs = append(errs, errors.New("uplink queue: MaxRecords must be at least 1"))
	}
	return errors.Join(errs...)
}

// Queue is the edge's on-disk, append-only queue of records waiting for the hub.
//
// Append assigns the next Seq and writes the record to the current segment file with one
// write(2): a process crash loses nothing Append returned; a power loss loses at most what was
// not yet fsynced (the fsync policy in QueueOptions), and never anything the hub acknowledged,
// since Pending hands out only fsynced records. A failed fsync is made good by rewriting, or
// stops the queue (recoverSync): the durable mark only moves over records an fsync proved. Ack(seq) marks everything at or below seq
// acknowledged and deletes the segments that holds entirely. The acknowledged mark and a seq
// floor are kept in a state file, so Seq never repeats across restarts, even once every
// segment is gone. On open, each segment is checked record by record (length, CRC, ascending
// seq) and truncated at the first bad one: a torn last write is cut off.
//
// Drop policy under pressure. When an Append would exceed MaxBytes or MaxRecords, the queue
// first deletes acknowledged records still on disk, then drops traffic and health records,
// oldest first, until it is at 90 % of both limits (so drops, and the segment rewrites they
// cause, come in batches rather than per record). Hazard records are never dropped. If only
// hazards are left, a traffic or health record is itself dropped (ErrQueueFull), while a hazard
// is still accepted up to HardMaxBytes / HardMaxRecords and refused (ErrQueueFull) beyond.
// Dropped() and Rejected() count both cases; dropped records leave gaps in the seqs.
//
// Append never waits for the network; it may wait for the disk: one write, and, under pressure,
// the rewrite of the segments it drops from. fsync runs in a background goroutine.
//
// Lock rule: mu guards everything below it; fsync, and reading the state file, happen outside
// it; stateMu serialises state file writes and is taken after mu when both are held.
type Queue struct {
	dir  string
	o    QueueOptions
	log  *slog.Logger
	lock *os.File

	mu        sync.Mutex
	segs      []*segment // oldest first
	active    *segment   // the segment appended to; nil: start a new one at the next Append
	nextSeq   uint64
	acked     uint64
	durable   uint64 // every record at or below it is fsynced
	bytes     int64  // sum of record sizes in segs
	count     int    // records in segs
	ackedLeft int    // records in segs at or below acked (all in segs[0])
	unsynced  int
	dirDirty  bool // a segment was created, replaced or removed since the last directory fsync
	closed    bool
	failed    error // set when an fsync failed and the rewrite did not recover (recoverSync)
	encBuf    bytes.Buffer
	enc       *msgpack.Encoder
	stats     QueueStats

	stateMu   sync.Mutex
	persisted queueState // what the state file holds

	notifyC chan struct{} // capacity 1: more records became durable
	kickC   chan struct{} // capacity 1: SyncEvery reached
	stopC   chan struct{}
	doneC   chan struct{}
}

// QueueStats describe a Queue for metrics.
type QueueStats struct {
	Depth    int    // records not yet acknowledged
	Bytes    int64  // on-disk size of the records held (acknowledged ones not yet trimmed included)
	Records  int    // records held
	Segments int    // segment files
	LastSeq  uint64 // the last seq assigned
	Acked    uint64 // every seq at or below it is acknowledged
	Durable  uint64 // every seq at or below it is fsynced
	Appended uint64 // records appended since open
	Dropped  uint64 // traffic and health records dropped under pressure
	Rejected uint64 // hazards refused at the hard limit
	Repaired int64  // bytes cut off at open (torn or damaged records)

	SyncFailures uint64 // fsyncs that failed (each followed by a rewrite, or the queue's stop)
	Lost         uint64 // records given up when the queue stopped: never durable, never sent
	Failed       bool   // the queue stopped after a failed fsync (Append refuses)
}

// OpenQueue opens (creating it if needed) the queue in dir, repairing a torn tail, and starts
// its fsync goroutine. Only one Queue may use a directory at a time.
func OpenQueue(dir string, o QueueOptions) (*Queue, error) {
	o.setDefaults()
	if err := o.Validate(); err != nil {
		return nil, err
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("open queue: %w", err)
	}
	lock, err := lockDir(dir)
	if err != nil {
		return nil, fmt.Errorf("open queue: %w", err)
	}
	q := &Queue{
		dir: dir, o: o, log: o.Log.With("queue", dir), lock: lock,
		notifyC: make(chan struct{}, 1),
		kickC:   make(chan struct{}, 1),
		stopC:   make(chan struct{}),
		doneC:   make(chan struct{}),
	}
	q.enc = msgpack.NewEncoder(&q.encBuf)
	q.enc.UseCompactInts(true) // seq, kind and counts in 1-3 bytes instead of 9
	if err := q.load(); err != nil {
		q.closeFiles()
		return nil, fmt.Errorf("open queue %s: %w", dir, err)
	}
	go q.syncLoop()
	return q, nil
}

// Append writes rec with the next Seq, which it returns. rec.Seq is ignored. It fails with
// ErrBadRecord, ErrRecordTooLarge, ErrQueueFull (see the drop policy), ErrClosed, or an I/O
// error (nothing is then appended).
func (q *Queue) Append(rec Record) (uint64, error) {
	if err := rec.Validate(); err != nil {
		return 0, err
	}
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.closed {
		return 0, ErrClosed
	}
	if q.failed != nil {
		return 0, q.failed
	}
	seq := q.nextSeq
	rec.Seq = seq
	q.encBuf.Reset()
	q.encBuf.Write(make([]byte, recordHeaderLen))
	if err := q.enc.Encode(&rec); err != nil {
		return 0, fmt.Errorf("append: encode: %w", err)
	}
	b := q.encBuf.Bytes()
	if len(b)-recordHeaderLen > q.o.MaxRecordBytes {
		return 0, fmt.Errorf("%w: %d bytes, limit %d", ErrRecordTooLarge, len(b)-recordHeaderLen, q.o.MaxRecordBytes)
	}
	putRecordHeader(b, seq, rec.Kind)
	size := int64(len(b))
	if err := q.makeRoom(size, rec.Kind); err != nil {
		return 0, err
	}
	if err := q.write(seq, rec.Kind, b); err != nil {
		return 0, err
	}
	q.nextSeq++
	q.stats.Appended++
	q.unsynced++
	if q.unsynced >= q.o.SyncEvery {
		select {
		case q.kickC <- struct{}{}:
		default:
		}
	}
	return seq, nil
}

// write appends one encoded record to the active segment, starting a new one when needed.
func (q *Queue) write(seq uint64, kind Kind, b []byte) error {
	a := q.active
	if a != nil && len(a.entries) > 0 && a.size+int64(len(b)) > q.o.SegmentBytes {
		a = nil
	}
	if a == nil {
		var err error
		if a, err = q.newSegment(seq); err != nil {
			return fmt.Errorf("append: %w", err)
		}
	}
	off := a.size
	if _, err := a.f.WriteAt(b, off); err != nil {
		// Take back a partial write, so the segment does not end in a torn record that would
		// hide later ones; if even that fails, leave this segment for a new one.
		if len(a.entries) == 0 { // a fresh segment: take it back entirely
			q.segs = q.segs[:len(q.segs)-1]
			q.removeSegment(a)
		} else if terr := a.f.Truncate(off); terr != nil {
			q.active = nil
		}
		return fmt.Errorf("append: %w", err)
	}
	a.entries = append(a.entries, entry{seq: seq, off: off, size: int32(len(b)), kind: kind})
	if kind != KindHazard {
		a.nonHazard++
	}
	a.size += int64(len(b))
	a.live += int64(len(b))
	a.dirty = true
	q.bytes += int64(len(b))
	q.count++
	return nil
}

func (q *Queue) newSegment(base uint64) (*segment, error) {
	path := segmentPath(q.dir, base)
	f, err := q.o.open(path, os.O_RDWR|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return nil, err
	}
	if _, err := f.WriteAt([]byte(segmentMagic), 0); err != nil {
		f.Close()
		os.Remove(path)
		return nil, err
	}
	s := &segment{path: path, f: f, size: int64(len(segmentMagic)), dirty: true}
	q.segs = append(q.segs, s)
	q.active = s
	q.dirDirty = true
	return s, nil
}

// Ack records that the hub holds every record at or below seq, and deletes the segments that
// hold only such records. A seq at or beyond the next one to assign (the hub knows more than
// this queue, e.g. after its directory was lost) moves the next seq past it, so no seq the hub
// has seen is ever assigned again. Acks are cumulative; a lower seq than before is ignored.
func (q *Queue) Ack(seq uint64) error {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.closed {
		return ErrClosed
	}
	if seq <= q.acked {
		return nil
	}
	q.acked = seq
	persist := false
	if seq >= q.nextSeq {
		q.log.Warn("hub acknowledged seqs beyond this queue; skipping past them", "acked", seq, "next", q.nextSeq)
		q.nextSeq = seq + 1
		q.durable = max(q.durable, seq)
		persist = true
	}
	n := 0
	for n < len(q.segs) && len(q.segs[n].entries) > 0 && q.segs[n].lastSeq() <= seq {
		n++
	}
	if n > 0 || persist {
		// The floor must be on disk before the records that imply it go.
		if err := q.persistLocked(); err != nil {
			return fmt.Errorf("ack: %w", err)
		}
	}
	for _, s := range q.segs[:n] {
		q.removeSegment(s)
	}
	q.segs = append(q.segs[:0], q.segs[n:]...)
	q.recount()
	return nil
}

// removeSegment deletes s's file and forgets its records (the caller fixes q.segs).
func (q *Queue) removeSegment(s *segment) {
	_ = s.f.Close()
	if err := os.Remove(s.path); err != nil && !errors.Is(err, os.ErrNotExist) {
		q.log.Error("remove segment", "path", s.path, "err", err.Error())
	}
	q.bytes -= s.recordBytes()
	q.count -= len(s.entries)
	if q.active == s {
		q.active = nil
	}
	q.dirDirty = true
}

func (s *segment) recordBytes() int64 { return s.live }

// recount recomputes ackedLeft.
func (q *Queue) recount() {
	q.ackedLeft = 0
	if len(q.segs) > 0 {
		q.ackedLeft = q.segs[0].search(q.acked)
	}
}

// persistLocked writes the state file with the current mark and floor; q.mu is held.
func (q *Queue) persistLocked() error {
	return q.persist(queueState{acked: q.acked, floor: q.nextSeq - 1})
}

// persist writes st unless the file already holds as much; it never moves a value back.
func (q *Queue) persist(st queueState) error {
	q.stateMu.Lock()
	defer q.stateMu.Unlock()
	st.acked = max(st.acked, q.persisted.acked)
	st.floor = max(st.floor, q.persisted.floor)
	if st == q.persisted {
		return nil
	}
	if err := writeState(q.dir, st); err != nil {
		return err
	}
	q.persisted = st
	return nil
}

// Notify returns a channel that receives a value when records have become durable, i.e. when
// Pending may return more. It is meant for one consumer (the Client).
func (q *Queue) Notify() <-chan struct{} { return q.notifyC }

// Depth returns the number of records not yet acknowledged.
func (q *Queue) Depth() int {
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.count - q.ackedLeft
}

// Dropped returns how many traffic and health records were dropped under pressure.
func (q *Queue) Dropped() uint64 {
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.stats.Dropped
}

// Rejected returns how many hazard records were refused at the hard limit.
func (q *Queue) Rejected() uint64 {
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.stats.Rejected
}

// Acked returns the acknowledged mark: every seq at or below it is acknowledged.
func (q *Queue) Acked() uint64 {
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.acked
}

// Stats returns a snapshot of the queue's state and counters.
func (q *Queue) Stats() QueueStats {
	q.mu.Lock()
	defer q.mu.Unlock()
	st := q.stats
	st.Depth = q.count - q.ackedLeft
	st.Bytes = q.bytes
	st.Records = q.count
	st.Segments = len(q.segs)
	st.LastSeq = q.nextSeq - 1
	st.Acked = q.acked
	st.Durable = q.durable
	st.Failed = q.failed != nil
	return st
}

// Close fsyncs what is pending, writes the state file and closes the files. It is idempotent.
func (q *Queue) Close() error {
	q.mu.Lock()
	if q.closed {
		q.mu.Unlock()
		return nil
	}
	q.closed = true
	q.mu.Unlock()
	close(q.stopC)
	<-q.doneC
	err := q.syncNow()
	q.mu.Lock()
	if perr := q.persistLocked(); err == nil {
		err = perr
	}
	q.closeFiles()
	q.mu.Unlock()
	return err
}

func (q *Queue) closeFiles() {
	for _, s := range q.segs {
		_ = s.f.Close()
	}
	q.segs, q.active = nil, nil
	if q.lock != nil {
		_ = q.lock.Close()
		q.lock = nil
	}
}
