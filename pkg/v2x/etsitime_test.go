package v2x

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestTimestampIts(t *testing.T) {
	epoch := time.Date(2004, 1, 1, 0, 0, 0, 0, time.UTC)
	require.Equal(t, ItsEpochUnixMilli, epoch.UnixMilli())
	require.Zero(t, TimestampIts(epoch))
	require.Zero(t, TimestampIts(epoch.Add(-time.Hour)), "before the epoch")
	// its-client: unix_ms - 1072915200000, no leap seconds.
	require.Equal(t, uint64(1795615200123-1072915200000), TimestampIts(time.UnixMilli(1795615200123)))
	require.Equal(t, MaxTimestampIts, TimestampIts(epoch.Add(200*365*24*time.Hour)))

	for _, ms := range []uint64{0, 1, 722700000123, MaxTimestampIts} {
		require.Equal(t, ms, TimestampIts(TimeFromIts(ms)))
	}
	require.Equal(t, time.UTC, TimeFromIts(5).Location())
	require.Equal(t, TimeFromIts(MaxTimestampIts), TimeFromIts(MaxTimestampIts+10))
}

func TestGenerationDeltaTime(t *testing.T) {
	at := time.UnixMilli(1795615200123)
	gdt := GenerationDeltaTime(at)
	require.Equal(t, uint16(TimestampIts(at)%65536), gdt)
	for _, off := range []time.Duration{0, time.Second, -time.Second, 32 * time.Second, -32 * time.Second} {
		require.Equal(t, at.UTC(), GenerationTime(gdt, at.Add(off)), "reference %v off", off)
	}
	// Across a wrap of the 16-bit counter.
	wrap := TimeFromIts(65536*1000 + 10)
	require.Equal(t, wrap, GenerationTime(GenerationDeltaTime(wrap), wrap.Add(-20*time.Millisecond)))
	require.Equal(t, wrap.Add(-30*time.Millisecond), GenerationTime(GenerationDeltaTime(wrap.Add(-30*time.Millisecond)), wrap))
	// Near the epoch nothing goes negative.
	require.Equal(t, TimeFromIts(65000), GenerationTime(65000, TimeFromIts(10)))
}
