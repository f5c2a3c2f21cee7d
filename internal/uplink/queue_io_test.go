package uplink

import (
	"errors"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// disk opens the queue's files as os.OpenFile does, and fails their fsyncs when told to, as a
// disk does that can no longer write: Sync returns EIO. It records which files an fsync
// succeeded on after data was written to them.
type disk struct {
	mu       sync.Mutex
	failSync func(path string) bool // nil: every fsync succeeds
	synced   map[*diskFile]bool     // files whose last write was followed by a successful fsync
	failed   []*diskFile
}

type diskFile struct {
	*os.File
	d    *disk
	path string
}

func (d *disk) open(path string, flag int, perm os.FileMode) (file, error) {
	f, err := os.OpenFile(path, flag, perm)
	if err != nil {
		return nil, err
	}
	return &diskFile{File: f, d: d, path: path}, nil
}

func (d *disk) fail(fn func(path string) bool) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.failSync = fn
}

func (f *diskFile) WriteAt(b []byte, off int64) (int, error) {
	f.d.mu.Lock()
	delete(f.d.synced, f)
	f.d.mu.Unlock()
	return f.File.WriteAt(b, off)
}

func (f *diskFile) Sync() error {
	f.d.mu.Lock()
	defer f.d.mu.Unlock()
	if f.d.failSync != nil && f.d.failSync(f.path) {
		f.d.failed = append(f.d.failed, f)
		return &os.PathError{Op: "sync", Path: f.path, Err: errors.New("input/output error")}
	}
	if err := f.File.Sync(); err != nil {
		return err
	}
	if f.d.synced == nil {
		f.d.synced = map[*diskFile]bool{}
	}
	f.d.synced[f] = true
	return nil
}

// openDurable opens a queue in dir on d holding ten hazards, the first synced of them fsynced
// and the rest not yet.
func openDurable(t *testing.T, dir string, d *disk, synced int) *Queue {
	t.Helper()
	q, err := OpenQueue(dir, QueueOptions{SyncInterval: time.Hour, Log: discard, open: d.open})
	require.NoError(t, err)
	for i := range 10 {
		if i == synced {
			require.NoError(t, q.Sync())
		}
		_, err := q.Append(hazardRecord(i))
		require.NoError(t, err)
	}
	return q
}

// Item 6 of issue 14: after a failed fsync the same file's next fsync may succeed without the
// pages the kernel dropped, so the queue never counts on it: the records it had not proven
// durable are rewritten to a new file and fsynced there before any is handed to the hub.
func TestQueueFsyncFailureRewritesWhatItDidNotProve(t *testing.T) {
	dir := t.TempDir()
	d := &disk{}
	q := openDurable(t, dir, d, 3)
	t.Cleanup(func() { q.Close() })
	once := true
	d.fail(func(path string) bool { // the segment's next fsync fails, and only that one
		fail := once && strings.HasSuffix(path, segmentSuffix)
		once = once && !fail
		return fail
	})

	require.NoError(t, q.Sync(), "recovered by the rewrite")
	st := q.Stats()
	require.Equal(t, uint64(10), st.Durable)
	require.Equal(t, uint64(1), st.SyncFailures)
	require.False(t, st.Failed)
	d.mu.Lock()
	require.Len(t, d.failed, 1)
	bad := d.failed[0]
	require.False(t, d.synced[bad], "the file whose fsync failed was trusted again")
	var rewritten bool
	for f := range d.synced {
		rewritten = rewritten || f.path == bad.path+".tmp"
	}
	d.mu.Unlock()
	require.True(t, rewritten, "no new copy of the segment was fsynced")

	got, err := q.Pending(0, 100)
	require.NoError(t, err)
	require.Equal(t, seqRange(1, 10), seqs(got))
	seq, err := q.Append(trafficRecord(1))
	require.NoError(t, err, "the writer goes on")
	require.Equal(t, uint64(11), seq)
	require.NoError(t, q.Close())

	q = openQueue(t, dir, QueueOptions{})
	got, err = q.Pending(0, 100)
	require.NoError(t, err)
	require.Equal(t, seqRange(1, 11), seqs(got))
}

// When even the rewrite cannot be made durable, the queue stops with a clear error: no record it
// could not prove durable is ever handed out or survives a restart as if it were, Append
// refuses, and what the hub may hold is still served and acknowledged.
func TestQueueFsyncFailureStopsTheWriter(t *testing.T) {
	dir := t.TempDir()
	d := &disk{}
	q := openDurable(t, dir, d, 5)
	d.fail(func(string) bool { return true })

	err := q.Sync()
	require.ErrorIs(t, err, ErrSyncFailed)
	require.ErrorContains(t, err, "input/output error")
	st := q.Stats()
	require.True(t, st.Failed)
	require.Equal(t, uint64(5), st.Durable, "the durable mark did not move")
	require.Equal(t, uint64(5), st.Lost)
	got, err := q.Pending(0, 100)
	require.NoError(t, err)
	require.Equal(t, seqRange(1, 5), seqs(got), "only what was proven durable is handed out")
	_, err = q.Append(hazardRecord(11))
	require.ErrorIs(t, err, ErrSyncFailed, "the writer stopped")
	d.fail(nil)
	require.ErrorIs(t, q.Sync(), ErrSyncFailed, "a later fsync that succeeds changes nothing")
	require.Equal(t, uint64(5), q.Stats().Durable)
	require.NoError(t, q.Ack(3), "acknowledgements still apply")
	require.ErrorIs(t, q.Close(), ErrSyncFailed)

	q = openQueue(t, dir, QueueOptions{})
	got, err = q.Pending(0, 100)
	require.NoError(t, err)
	require.Equal(t, seqRange(4, 5), seqs(got), "a restart does not take the unproven records for durable")
}
