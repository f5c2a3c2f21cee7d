package harness

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// procSample is a process's CPU time so far and its memory, from /proc.
type procSample struct {
	at    time.Time
	cpu   time.Duration // user + system
	rssKB int64         // VmRSS
	hwmKB int64         // VmHWM: peak RSS
}

// clockTick is the unit of /proc/PID/stat times (USER_HZ), 100 on every Linux architecture Go
// supports.
const clockTick = 10 * time.Millisecond

var errProcFormat = errors.New("unexpected /proc format")

// sampleProc reads /proc/PID/stat and /proc/PID/status.
func sampleProc(pid int) (procSample, error) {
	s := procSample{at: time.Now()}
	stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return s, err
	}
	// The command name (field 2) may hold spaces and parentheses: fields count from the last ')'.
	i := bytes.LastIndexByte(stat, ')')
	if i < 0 {
		return s, errProcFormat
	}
	f := strings.Fields(string(stat[i+1:]))
	if len(f) < 13 {
		return s, errProcFormat
	}
	utime, err1 := strconv.ParseInt(f[11], 10, 64) // field 14
	stime, err2 := strconv.ParseInt(f[12], 10, 64) // field 15
	if err := errors.Join(err1, err2); err != nil {
		return s, fmt.Errorf("%w: %w", errProcFormat, err)
	}
	s.cpu = time.Duration(utime+stime) * clockTick

	status, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return s, err
	}
	defer status.Close()
	sc := bufio.NewScanner(status)
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), ":")
		if !ok {
			continue
		}
		switch k {
		case "VmRSS":
			s.rssKB = parseKB(v)
		case "VmHWM":
			s.hwmKB = parseKB(v)
		}
	}
	return s, sc.Err()
}

func parseKB(v string) int64 {
	n, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
	return n
}

// selfCPU is the CPU time this process has used (user + system), from getrusage, which is
// finer than /proc's ticks.
func selfCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// cpuPct is the CPU used between two samples as a percentage of one core.
func cpuPct(cpu time.Duration, wall time.Duration) float64 {
	if wall <= 0 {
		return 0
	}
	return 100 * cpu.Seconds() / wall.Seconds()
}

func pid() int { return os.Getpid() }
