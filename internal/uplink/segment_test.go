package uplink

import (
	"os"
	"testing"

	"github.com/stretchr/testify/require"
	"github.com/vmihailenco/msgpack/v5"
)

// The queue's on-disk format is a compatibility promise too: an upgraded edge must read the
// queue an older one left.
func TestSegmentGolden(t *testing.T) {
	dir := t.TempDir()
	q, err := OpenQueue(dir, QueueOptions{Log: discard})
	require.NoError(t, err)
	for _, rec := range []Record{hazardRecord(1), healthRecord(2)} {
		_, err := q.Append(rec)
		require.NoError(t, err)
	}
	require.NoError(t, q.Close())
	data, err := os.ReadFile(segmentPath(dir, 1))
	require.NoError(t, err)
	golden(t, "segment.hex", data)
	entries, valid, err := scanSegment(data, DefaultMaxRecordBytes, 0)
	require.NoError(t, err)
	require.Equal(t, int64(len(data)), valid)
	require.Len(t, entries, 2)
	require.Equal(t, KindHealth, entries[1].kind)
	var rec Record
	require.NoError(t, decodeRecord(data[entries[1].off+recordHeaderLen:], &rec))
	requireSameRecord(t, withSeq(healthRecord(2), 2), rec)
}

func FuzzScanSegment(f *testing.F) {
	data := []byte(segmentMagic)
	for i, rec := range []Record{withSeq(hazardRecord(1), 1), withSeq(trafficRecord(2), 2), withSeq(healthRecord(3), 5)} {
		payload, _ := msgpack.Marshal(&rec)
		b := append(make([]byte, recordHeaderLen), payload...)
		putRecordHeader(b, rec.Seq, rec.Kind)
		data = append(data, b...)
		f.Add(append([]byte(nil), data...))
		if i == 1 {
			f.Add(append(append([]byte(nil), data...), b[:9]...))
		}
	}
	f.Add([]byte("MICH"))
	f.Fuzz(func(t *testing.T, data []byte) {
		entries, valid, err := scanSegment(data, 1<<16, 0)
		if err != nil {
			return
		}
		if valid > int64(len(data)) || (len(data) >= len(segmentMagic) && valid < int64(len(segmentMagic))) {
			t.Fatalf("valid = %d of %d", valid, len(data))
		}
		var prev uint64
		for _, e := range entries {
			if e.seq <= prev || e.off+int64(e.size) > valid || !e.kind.Valid() {
				t.Fatalf("bad entry %+v after seq %d (valid %d)", e, prev, valid)
			}
			prev = e.seq
		}
		again, valid2, err := scanSegment(data[:valid], 1<<16, 0)
		if err != nil || valid2 != valid || len(again) != len(entries) {
			t.Fatalf("rescan of the valid prefix differs: %v %d %d", err, valid2, len(again))
		}
	})
}
