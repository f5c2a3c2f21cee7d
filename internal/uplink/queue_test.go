package uplink

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"github.com/vmihailenco/msgpack/v5"

	"github.com/michi-v2x/michi/internal/testutil"
)

// requireSameRecord compares records by their encoding (time zones do not survive msgpack).
func requireSameRecord(t *testing.T, want, got Record) {
	t.Helper()
	w, err := msgpack.Marshal(&want)
	require.NoError(t, err)
	g, err := msgpack.Marshal(&got)
	require.NoError(t, err)
	require.Equal(t, w, g, "record seq %d", want.Seq)
}

func segmentFiles(t *testing.T, dir string) []string {
	t.Helper()
	paths, err := listSegments(dir)
	require.NoError(t, err)
	return paths
}

func TestQueueAppendPendingAck(t *testing.T) {
	q := openQueue(t, t.TempDir(), QueueOptions{})
	var want []Record
	for i := range 10 {
		rec := []Record{hazardRecord(i), trafficRecord(i), healthRecord(i)}[i%3]
		seq, err := q.Append(rec)
		require.NoError(t, err)
		require.Equal(t, uint64(i+1), seq)
		rec.Seq = seq
		want = append(want, rec)
	}
	require.NoError(t, q.Sync())

	got, err := q.Pending(0, 100)
	require.NoError(t, err)
	require.Len(t, got, 10)
	for i := range want {
		requireSameRecord(t, want[i], got[i])
	}
	got, err = q.Pending(5, 3)
	require.NoError(t, err)
	require.Equal(t, []uint64{6, 7, 8}, seqs(got))

	require.Equal(t, 10, q.Depth())
	require.NoError(t, q.Ack(4))
	require.Equal(t, 6, q.Depth())
	require.Equal(t, uint64(4), q.Acked())
	got, err = q.Pending(0, 100)
	require.NoError(t, err)
	require.Equal(t, seqRange(5, 10), seqs(got))
	require.NoError(t, q.Ack(2)) // lower: ignored
	require.Equal(t, uint64(4), q.Acked())
	require.NoError(t, q.Ack(10))
	require.Zero(t, q.Depth())
	got, err = q.Pending(0, 100)
	require.NoError(t, err)
	require.Empty(t, got)
}

// Pending hands out only fsynced records; the timer or SyncEvery makes them durable and
// Notify says so.
func TestQueuePendingOnlyDurable(t *testing.T) {
	q := openQueue(t, t.TempDir(), QueueOptions{SyncInterval: time.Hour, SyncEvery: 4})
	for i := range 3 {
		_, err := q.Append(trafficRecord(i))
		require.NoError(t, err)
	}
	got, err := q.Pending(0, 10)
	require.NoError(t, err)
	require.Empty(t, got, "records handed out before fsync")

	_, err = q.Append(trafficRecord(3)) // the 4th: SyncEvery
	require.NoError(t, err)
	testutil.Within(t, 5*time.Second, "notification after SyncEvery records", q.Notify())
	got, err = q.Pending(0, 10)
	require.NoError(t, err)
	require.Equal(t, seqRange(1, 4), seqs(got))
	require.Equal(t, uint64(4), q.Stats().Durable)

	q2 := openQueue(t, t.TempDir(), QueueOptions{SyncInterval: 10 * time.Millisecond})
	_, err = q2.Append(hazardRecord(1))
	require.NoError(t, err)
	testutil.Within(t, 5*time.Second, "notification after the sync interval", q2.Notify())
	got, err = q2.Pending(0, 10)
	require.NoError(t, err)
	require.Len(t, got, 1)
}

func TestQueueReopenKeepsRecordsAndAcks(t *testing.T) {
	dir := t.TempDir()
	q, err := OpenQueue(dir, QueueOptions{SegmentBytes: 4 << 10})
	require.NoError(t, err)
	for i := range 100 {
		_, err := q.Append(hazardRecord(i))
		require.NoError(t, err)
	}
	require.NoError(t, q.Ack(30))
	require.NoError(t, q.Close())
	require.NoError(t, q.Close(), "second Close")
	_, err = q.Append(hazardRecord(0))
	require.ErrorIs(t, err, ErrClosed)

	q = openQueue(t, dir, QueueOptions{SegmentBytes: 4 << 10})
	require.Equal(t, 70, q.Depth())
	require.Equal(t, uint64(30), q.Acked())
	got, err := q.Pending(0, 1000)
	require.NoError(t, err)
	require.Equal(t, seqRange(31, 100), seqs(got))
	requireSameRecord(t, func() Record { r := hazardRecord(99); r.Seq = 100; return r }(), got[69])
	seq, err := q.Append(trafficRecord(1))
	require.NoError(t, err)
	require.Equal(t, uint64(101), seq)
}

// Seq never repeats, even when every record was acknowledged and every segment deleted, and
// even after a crash (no Close).
func TestQueueSeqMonotonicAcrossReopen(t *testing.T) {
	dir := t.TempDir()
	q, err := OpenQueue(dir, QueueOptions{})
	require.NoError(t, err)
	for i := range 5 {
		_, err := q.Append(trafficRecord(i))
		require.NoError(t, err)
	}
	require.NoError(t, q.Ack(5))
	require.Empty(t, segmentFiles(t, dir), "acknowledged segments not deleted")
	q.crash()

	q, err = OpenQueue(dir, QueueOptions{})
	require.NoError(t, err)
	seq, err := q.Append(trafficRecord(6))
	require.NoError(t, err)
	require.Equal(t, uint64(6), seq)
	_, err = q.Append(trafficRecord(7))
	require.NoError(t, err)
	q.crash() // 6 and 7 are on disk, the state file still says floor 5

	q = openQueue(t, dir, QueueOptions{})
	seq, err = q.Append(trafficRecord(8))
	require.NoError(t, err)
	require.Equal(t, uint64(8), seq)
	require.Equal(t, 3, q.Depth())
}

// The hub knows a higher mark than the queue (its directory was lost): the queue skips past it.
func TestQueueAckBeyondLastSeq(t *testing.T) {
	dir := t.TempDir()
	q, err := OpenQueue(dir, QueueOptions{})
	require.NoError(t, err)
	_, err = q.Append(hazardRecord(1))
	require.NoError(t, err)
	require.NoError(t, q.Ack(500))
	require.Zero(t, q.Depth())
	seq, err := q.Append(hazardRecord(2))
	require.NoError(t, err)
	require.Equal(t, uint64(501), seq)
	q.crash()
	q = openQueue(t, dir, QueueOptions{})
	seq, err = q.Append(hazardRecord(3))
	require.NoError(t, err)
	require.Equal(t, uint64(502), seq)
}

func TestQueueAckDeletesWholeSegments(t *testing.T) {
	dir := t.TempDir()
	q := openQueue(t, dir, QueueOptions{SegmentBytes: 4 << 10})
	for i := range 200 {
		_, err := q.Append(trafficRecord(i))
		require.NoError(t, err)
	}
	before := segmentFiles(t, dir)
	require.Greater(t, len(before), 4)
	require.Equal(t, len(before), q.Stats().Segments)

	// Ack up to the middle of the third segment: the first two go, the third stays.
	q.mu.Lock()
	mid := q.segs[2].entries[len(q.segs[2].entries)/2].seq
	q.mu.Unlock()
	require.NoError(t, q.Ack(mid))
	after := segmentFiles(t, dir)
	require.Equal(t, before[2:], after)
	require.Equal(t, 200-int(mid), q.Depth())
	st := q.Stats()
	require.Greater(t, st.Records, st.Depth, "the third segment keeps its acknowledged records")
}

func TestQueueTornTail(t *testing.T) {
	for name, damage := range map[string]func(t *testing.T, path string){
		"cut inside the last record": func(t *testing.T, path string) {
			st, err := os.Stat(path)
			require.NoError(t, err)
			require.NoError(t, os.Truncate(path, st.Size()-5))
		},
		"cut inside the last header": func(t *testing.T, path string) {
			st, err := os.Stat(path)
			require.NoError(t, err)
			q := lastRecordSize(t, path)
			require.NoError(t, os.Truncate(path, st.Size()-q+7))
		},
		"garbage after the last record": func(t *testing.T, path string) {
			appendBytes(t, path, []byte{0xff, 0xff, 0, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15})
		},
		"bit flip in the last record": func(t *testing.T, path string) {
			b, err := os.ReadFile(path)
			require.NoError(t, err)
			b[len(b)-3] ^= 0x40
			require.NoError(t, os.WriteFile(path, b, 0o600))
		},
	} {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			q, err := OpenQueue(dir, QueueOptions{})
			require.NoError(t, err)
			for i := range 3 {
				_, err := q.Append(hazardRecord(i))
				require.NoError(t, err)
			}
			q.crash()
			segs := segmentFiles(t, dir)
			require.Len(t, segs, 1)
			damage(t, segs[0])

			q = openQueue(t, dir, QueueOptions{})
			got, err := q.Pending(0, 10)
			require.NoError(t, err)
			want := []uint64{1, 2}
			if name == "garbage after the last record" {
				want = []uint64{1, 2, 3}
			}
			require.Equal(t, want, seqs(got))
			require.Positive(t, q.Stats().Repaired)
			// Appending after the repair continues the file cleanly.
			seq, err := q.Append(hazardRecord(9))
			require.NoError(t, err)
			require.Equal(t, want[len(want)-1]+1, seq)
			require.NoError(t, q.Close())
			q = openQueue(t, dir, QueueOptions{})
			require.Zero(t, q.Stats().Repaired)
			require.Equal(t, len(want)+1, q.Depth())
		})
	}
}

func lastRecordSize(t *testing.T, path string) int64 {
	t.Helper()
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	entries, _, err := scanSegment(b, DefaultMaxRecordBytes, 0)
	require.NoError(t, err)
	return int64(entries[len(entries)-1].size)
}

func appendBytes(t *testing.T, path string, b []byte) {
	t.Helper()
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND, 0)
	require.NoError(t, err)
	_, err = f.Write(b)
	require.NoError(t, err)
	require.NoError(t, f.Close())
}

// A segment torn while being created (its header incomplete) is removed; damage in an older
// segment's header refuses to open.
func TestQueueDamagedSegments(t *testing.T) {
	dir := t.TempDir()
	q, err := OpenQueue(dir, QueueOptions{SegmentBytes: 4 << 10})
	require.NoError(t, err)
	for i := range 100 {
		_, err := q.Append(trafficRecord(i))
		require.NoError(t, err)
	}
	require.NoError(t, q.Close())
	segs := segmentFiles(t, dir)
	torn := segmentPath(dir, 1000)
	require.NoError(t, os.WriteFile(torn, []byte("MIC"), 0o600))
	q = openQueue(t, dir, QueueOptions{SegmentBytes: 4 << 10})
	require.Equal(t, 100, q.Depth())
	_, err = os.Stat(torn)
	require.True(t, os.IsNotExist(err), "torn new segment not removed")
	require.NoError(t, q.Close())

	b, err := os.ReadFile(segs[1])
	require.NoError(t, err)
	copy(b, "NOTMICHI")
	require.NoError(t, os.WriteFile(segs[1], b, 0o600))
	_, err = OpenQueue(dir, QueueOptions{SegmentBytes: 4 << 10})
	require.ErrorIs(t, err, ErrCorrupt)

	require.NoError(t, os.WriteFile(filepath.Join(dir, stateFile), []byte("junk"), 0o600))
	_, err = OpenQueue(dir, QueueOptions{})
	require.ErrorIs(t, err, ErrCorrupt)
}

func TestQueueOneUserPerDirectory(t *testing.T) {
	dir := t.TempDir()
	q := openQueue(t, dir, QueueOptions{})
	_, err := OpenQueue(dir, QueueOptions{})
	require.Error(t, err)
	require.Contains(t, err.Error(), "in use")
	require.NoError(t, q.Close())
	q2, err := OpenQueue(dir, QueueOptions{})
	require.NoError(t, err)
	require.NoError(t, q2.Close())
}

func TestQueueRejectsBadRecords(t *testing.T) {
	q := openQueue(t, t.TempDir(), QueueOptions{MaxBytes: 64 << 10})
	for name, rec := range map[string]Record{
		"no kind":           {Traffic: trafficRecord(1).Traffic},
		"kind without data": {Kind: KindHazard},
		"two payloads":      {Kind: KindTraffic, Traffic: trafficRecord(1).Traffic, Health: healthRecord(1).Health},
		"wrong payload":     {Kind: KindHealth, Traffic: trafficRecord(1).Traffic},
	} {
		_, err := q.Append(rec)
		require.ErrorIs(t, err, ErrBadRecord, name)
	}
	big := hazardRecord(1)
	big.Hazard.Sources = []string{strings.Repeat("x", 20<<10)}
	_, err := q.Append(big)
	require.ErrorIs(t, err, ErrRecordTooLarge)
	require.Zero(t, q.Stats().LastSeq, "a refused record consumed a seq")

	for _, o := range []QueueOptions{
		{MaxBytes: -1},
		{MaxBytes: 1 << 20, HardMaxBytes: 1 << 10},
		{MaxBytes: 1 << 10, MaxRecordBytes: 1 << 20},
	} {
		_, err := OpenQueue(t.TempDir(), o)
		require.Error(t, err, "%+v", o)
	}
}

func TestQueueStatsErrorsAfterClose(t *testing.T) {
	q, err := OpenQueue(t.TempDir(), QueueOptions{})
	require.NoError(t, err)
	require.NoError(t, q.Close())
	require.ErrorIs(t, q.Ack(1), ErrClosed)
	require.ErrorIs(t, q.Sync(), ErrClosed)
	_, err = q.Pending(0, 1)
	require.True(t, errors.Is(err, ErrClosed))
}
