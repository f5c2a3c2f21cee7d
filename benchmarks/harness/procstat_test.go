package harness

import (
	"os"
	"runtime"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestSampleProcReadsThisProcess(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("/proc")
	}
	s, err := sampleProc(os.Getpid())
	require.NoError(t, err)
	require.Positive(t, s.rssKB)
	require.GreaterOrEqual(t, s.hwmKB, s.rssKB)
	require.GreaterOrEqual(t, s.cpu, time.Duration(0))
	require.Positive(t, selfCPU())

	_, err = sampleProc(1 << 30)
	require.Error(t, err, "no such process")
}

func TestCPUPct(t *testing.T) {
	require.InDelta(t, 50, cpuPct(500e6, 1e9), 1e-9)
	require.InDelta(t, 150, cpuPct(3e9, 2e9), 1e-9)
	require.Zero(t, cpuPct(1, 0))
}
