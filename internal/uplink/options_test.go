package uplink

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestOptionDefaults(t *testing.T) {
	var o Options
	o.setDefaults()
	require.Equal(t, DefaultAddr, o.Addr)
	require.Equal(t, DefaultDrainTimeout, o.DrainTimeout)
	require.Equal(t, DefaultMaxFrameBytes, o.MaxFrameBytes)
	require.NotNil(t, o.Log)

	var c ClientOptions
	c.setDefaults()
	require.Equal(t, DefaultBatchMax, c.BatchMax)
	require.Equal(t, DefaultBackoffMin, c.BackoffMin)
	require.Equal(t, DefaultBackoffMax, c.BackoffMax)
	c = ClientOptions{BackoffMin: time.Minute}
	c.setDefaults()
	require.Equal(t, time.Minute, c.BackoffMax, "BackoffMax below BackoffMin")

	var q QueueOptions
	q.setDefaults()
	require.Equal(t, int64(256<<20), q.MaxBytes)
	require.Equal(t, int64(320<<20), q.HardMaxBytes)
	require.Equal(t, 1<<20+1<<18, q.HardMaxRecords)
	require.Equal(t, int64(4<<20), q.SegmentBytes)
	require.Equal(t, 1<<20, q.MaxRecordBytes)
	require.Equal(t, 50*time.Millisecond, q.SyncInterval)
	require.Equal(t, 256, q.SyncEvery)
	require.NoError(t, q.Validate())

	small := QueueOptions{MaxBytes: 64 << 10}
	small.setDefaults()
	require.Equal(t, int64(4<<10), small.SegmentBytes)
	require.Equal(t, 16<<10, small.MaxRecordBytes)
}

func TestQueueOptionsValidateReportsAll(t *testing.T) {
	o := QueueOptions{MaxBytes: 1 << 10, HardMaxBytes: 1 << 9, MaxRecordBytes: 1 << 20, SyncEvery: -1}
	o.setDefaults()
	err := o.Validate()
	require.Error(t, err)
	for _, want := range []string{"negative", "hard limits", "MaxRecordBytes"} {
		require.Contains(t, err.Error(), want)
	}
}
