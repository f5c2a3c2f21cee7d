package harness

import (
	"fmt"
	"strconv"
	"strings"
)

// Pin keeps the target and the generator on CPUs of their own (Linux), so that on a small
// machine the generator's readers and writers do not wait for the target's fan-out, nor the
// target for them: the target is started under taskset(1), the bench moves its own threads.
// Each is a CPU list as taskset takes it ("0", "0-2,4"); "" leaves that side alone.
type Pin struct {
	Target, Generator string
}

// ParsePin parses "TARGET/GENERATOR", two CPU lists, either of which may be empty.
func ParsePin(s string) (Pin, error) {
	t, g, ok := strings.Cut(s, "/")
	if !ok || t == "" && g == "" {
		return Pin{}, fmt.Errorf("--pin %q: want TARGET-CPUS/GENERATOR-CPUS, e.g. 0/1", s)
	}
	for _, list := range []string{t, g} {
		if _, err := parseCPUList(list); list != "" && err != nil {
			return Pin{}, fmt.Errorf("--pin %q: %w", s, err)
		}
	}
	return Pin{Target: t, Generator: g}, nil
}

// parseCPUList parses a CPU list: comma-separated CPU numbers and ranges a-b.
func parseCPUList(list string) ([]int, error) {
	var cpus []int
	for part := range strings.SplitSeq(list, ",") {
		lo, hi, isRange := strings.Cut(part, "-")
		a, err := strconv.Atoi(lo)
		b := a
		if err == nil && isRange {
			b, err = strconv.Atoi(hi)
		}
		if err != nil || a < 0 || b < a || b > 1023 {
			return nil, fmt.Errorf("CPU list %q: bad part %q", list, part)
		}
		for c := a; c <= b; c++ {
			cpus = append(cpus, c)
		}
	}
	return cpus, nil
}

// command is how a target is started: under taskset when it is pinned.
func (p Pin) command(bin string, args []string) (string, []string) {
	if p.Target == "" {
		return bin, args
	}
	return "taskset", append([]string{"-c", p.Target, bin}, args...)
}
