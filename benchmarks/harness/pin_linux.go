package harness

import (
	"fmt"
	"os"
	"runtime"
	"strconv"

	"golang.org/x/sys/unix"
)

// pinSelf moves every thread of this process to the CPUs in list (threads started later inherit
// it from the thread that starts them) and sizes GOMAXPROCS to them.
func pinSelf(list string) error {
	cpus, err := parseCPUList(list)
	if err != nil {
		return err
	}
	var set unix.CPUSet
	for _, c := range cpus {
		set.Set(c)
	}
	for range 2 { // a second pass for threads started during the first
		tasks, err := os.ReadDir("/proc/self/task")
		if err != nil {
			return err
		}
		for _, t := range tasks {
			tid, err := strconv.Atoi(t.Name())
			if err != nil {
				continue
			}
			if err := unix.SchedSetaffinity(tid, &set); err != nil && err != unix.ESRCH {
				return fmt.Errorf("pin to CPUs %s: %w", list, err)
			}
		}
	}
	runtime.GOMAXPROCS(set.Count())
	return nil
}
