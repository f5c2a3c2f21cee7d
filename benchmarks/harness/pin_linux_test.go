package harness

import (
	"os"
	"runtime"
	"strconv"
	"testing"

	"github.com/stretchr/testify/require"
	"golang.org/x/sys/unix"
)

// pinSelf moves every thread of the process, and threads started afterwards stay there.
func TestPinSelf(t *testing.T) {
	var orig unix.CPUSet
	require.NoError(t, unix.SchedGetaffinity(0, &orig))
	procs := runtime.GOMAXPROCS(0)
	cpu := -1
	for c := range 1024 {
		if orig.IsSet(c) {
			cpu = c
			break
		}
	}
	require.GreaterOrEqual(t, cpu, 0)
	t.Cleanup(func() {
		tasks, _ := os.ReadDir("/proc/self/task")
		for _, task := range tasks {
			tid, _ := strconv.Atoi(task.Name())
			_ = unix.SchedSetaffinity(tid, &orig)
		}
		runtime.GOMAXPROCS(procs)
	})

	require.NoError(t, pinSelf(strconv.Itoa(cpu)))
	require.Equal(t, 1, runtime.GOMAXPROCS(0))
	done := make(chan struct{})
	go func() { // a goroutine locked to a thread of its own, started after the pin
		runtime.LockOSThread()
		defer runtime.UnlockOSThread()
		<-done
	}()
	tasks, err := os.ReadDir("/proc/self/task")
	require.NoError(t, err)
	for _, task := range tasks {
		tid, err := strconv.Atoi(task.Name())
		require.NoError(t, err)
		var set unix.CPUSet
		if unix.SchedGetaffinity(tid, &set) != nil {
			continue // the thread ended
		}
		require.Equal(t, 1, set.Count(), "thread %d", tid)
		require.True(t, set.IsSet(cpu), "thread %d", tid)
	}
	close(done)
	require.Error(t, pinSelf("x"))
}
