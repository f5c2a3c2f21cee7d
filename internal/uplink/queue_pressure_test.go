package uplink

import (
	"os"
	"testing"

	"github.com/stretchr/testify/require"
)

// The drop policy: traffic and health go oldest-first, hazards never; with only hazards left,
// a traffic record is dropped itself and hazards are accepted up to the hard limit.
func TestQueueDropPolicy(t *testing.T) {
	dir := t.TempDir()
	o := QueueOptions{MaxBytes: 32 << 10, SegmentBytes: 4 << 10, HardMaxBytes: 40 << 10}
	q := openQueue(t, dir, o)
	hazards := map[uint64]bool{}
	var traffic []uint64
	for i := range 600 {
		rec := trafficRecord(i)
		if i%20 == 0 {
			rec = hazardRecord(i)
		}
		seq, err := q.Append(rec)
		require.NoError(t, err, "append %d", i)
		if rec.Kind == KindHazard {
			hazards[seq] = true
		} else {
			traffic = append(traffic, seq)
		}
		require.LessOrEqual(t, q.Stats().Bytes, o.MaxBytes)
	}
	st := q.Stats()
	require.Positive(t, st.Dropped)
	require.NoError(t, q.Sync())
	got, err := q.Pending(0, 10000)
	require.NoError(t, err)
	kept := map[uint64]bool{}
	for _, r := range got {
		kept[r.Seq] = true
	}
	for seq := range hazards {
		require.True(t, kept[seq], "hazard %d dropped", seq)
	}
	// The traffic that survived is the newest: no kept record is older than a dropped one.
	var keptTraffic []uint64
	for _, seq := range traffic {
		if kept[seq] {
			keptTraffic = append(keptTraffic, seq)
		}
	}
	require.Equal(t, traffic[len(traffic)-len(keptTraffic):], keptTraffic, "traffic not dropped oldest-first")
	require.Equal(t, uint64(len(traffic)-len(keptTraffic)), st.Dropped)

	// Fill with hazards: the traffic goes, then the soft limit is passed, then the hard one.
	var err2 error
	for i := 0; err2 == nil; i++ {
		_, err2 = q.Append(hazardRecord(i))
		require.Less(t, i, 10000)
	}
	require.ErrorIs(t, err2, ErrQueueFull)
	st = q.Stats()
	require.Equal(t, uint64(1), st.Rejected)
	require.Greater(t, st.Bytes, o.MaxBytes)
	require.LessOrEqual(t, st.Bytes, o.HardMaxBytes)
	require.LessOrEqual(t, len(segmentFiles(t, dir)), int(o.HardMaxBytes/o.SegmentBytes)+2, "shedding fragments the queue into many files")
	require.NoError(t, q.Sync())
	got, err = q.Pending(0, 10000)
	require.NoError(t, err)
	for _, r := range got {
		require.Equal(t, KindHazard, r.Kind)
	}
	dropped := st.Dropped
	_, err = q.Append(trafficRecord(1))
	require.ErrorIs(t, err, ErrQueueFull)
	require.Equal(t, dropped+1, q.Dropped())

	// Acknowledging makes room again; the drops survive a reopen.
	require.NoError(t, q.Ack(got[len(got)/2].Seq))
	_, err = q.Append(trafficRecord(2))
	require.NoError(t, err)
	depth := q.Depth()
	require.NoError(t, q.Close())
	q = openQueue(t, dir, o)
	require.Equal(t, depth, q.Depth())
}

func TestQueueMaxRecords(t *testing.T) {
	q := openQueue(t, t.TempDir(), QueueOptions{MaxRecords: 20, HardMaxRecords: 25})
	for i := range 100 {
		_, err := q.Append(healthRecord(i))
		require.NoError(t, err)
		require.LessOrEqual(t, q.Depth(), 20)
	}
	require.Equal(t, uint64(100-q.Depth()), q.Dropped())
	require.GreaterOrEqual(t, q.Depth(), 17, "shed below the low-water mark")
	for i := range 25 {
		_, err := q.Append(hazardRecord(i))
		require.NoError(t, err, "hazard %d", i)
	}
	_, err := q.Append(hazardRecord(99))
	require.ErrorIs(t, err, ErrQueueFull)
	require.Equal(t, uint64(1), q.Rejected())
	require.Equal(t, 25, q.Depth())
}

// A shedding rewrite interrupted by a crash can leave a record in two files (packing moves
// records into earlier files): the queue reads it once.
func TestQueueInterruptedRewrite(t *testing.T) {
	dir := t.TempDir()
	o := QueueOptions{SegmentBytes: 4 << 10}
	q, err := OpenQueue(dir, o)
	require.NoError(t, err)
	for i := range 120 {
		_, err := q.Append(trafficRecord(i))
		require.NoError(t, err)
	}
	require.NoError(t, q.Close())
	segs := segmentFiles(t, dir)
	require.Greater(t, len(segs), 2)
	first, err := os.ReadFile(segs[0])
	require.NoError(t, err)
	second, err := os.ReadFile(segs[1])
	require.NoError(t, err)
	entries, _, err := scanSegment(second, DefaultMaxRecordBytes, 0)
	require.NoError(t, err)
	moved := entries[2]
	require.NoError(t, os.WriteFile(segs[0], append(first, second[len(segmentMagic):moved.off+int64(moved.size)]...), 0o600))

	q = openQueue(t, dir, o)
	require.Equal(t, 120, q.Depth())
	got, err := q.Pending(0, 1000)
	require.NoError(t, err)
	require.Equal(t, seqRange(1, 120), seqs(got))
	seq, err := q.Append(trafficRecord(0))
	require.NoError(t, err)
	require.Equal(t, uint64(121), seq)
}

// Segments written with a larger SegmentBytes than the queue now uses are repacked without
// losing a hazard.
func TestQueueShedAfterSegmentBytesShrank(t *testing.T) {
	dir := t.TempDir()
	q, err := OpenQueue(dir, QueueOptions{MaxBytes: 1 << 20, SegmentBytes: 256 << 10})
	require.NoError(t, err)
	var hazards []uint64
	for i := range 500 {
		rec := trafficRecord(i)
		if i%10 == 0 {
			rec = hazardRecord(i)
		}
		seq, err := q.Append(rec)
		require.NoError(t, err)
		if rec.Kind == KindHazard {
			hazards = append(hazards, seq)
		}
	}
	require.NoError(t, q.Close())
	require.Len(t, segmentFiles(t, dir), 1)

	o := QueueOptions{MaxBytes: 40 << 10, HardMaxBytes: 64 << 10, SegmentBytes: 4 << 10}
	q = openQueue(t, dir, o)
	seq, err := q.Append(trafficRecord(0)) // over the new limit: sheds
	require.NoError(t, err)
	require.Positive(t, q.Dropped())
	require.NoError(t, q.Sync())
	got, err := q.Pending(0, 10000)
	require.NoError(t, err)
	var gotHazards []uint64
	for _, r := range got {
		if r.Kind == KindHazard {
			gotHazards = append(gotHazards, r.Seq)
		}
	}
	require.Equal(t, hazards, gotHazards)
	require.Equal(t, seq, got[len(got)-1].Seq)
	require.NoError(t, q.Close())
	q = openQueue(t, dir, o)
	require.Equal(t, len(got), q.Depth())
}
