package eval

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"runtime/debug"
	"strings"

	"github.com/michi-v2x/michi/sim/report"
)

// Machine is where an evaluation ran: the figures depend on it (a loaded machine lags, and
// late CAMs change what the detectors see).
type Machine struct {
	OS        string `json:"os"`
	Arch      string `json:"arch"`
	CPUs      int    `json:"cpus"`
	CPU       string `json:"cpu,omitempty"`
	Go        string `json:"go"`
	SUMO      string `json:"sumo,omitempty"`
	LoadStart string `json:"load_at_start,omitempty"` // /proc/loadavg: 1, 5 and 15 min
}

func machine(ctx context.Context) Machine {
	m := Machine{OS: runtime.GOOS, Arch: runtime.GOARCH, CPUs: runtime.NumCPU(), Go: runtime.Version()}
	if f, err := os.Open("/proc/cpuinfo"); err == nil {
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			if k, v, ok := strings.Cut(sc.Text(), ":"); ok && strings.TrimSpace(k) == "model name" {
				m.CPU = strings.TrimSpace(v)
				break
			}
		}
		f.Close()
	}
	if out, err := exec.CommandContext(ctx, "sumo", "--version").Output(); err == nil {
		m.SUMO, _, _ = strings.Cut(strings.TrimSpace(string(out)), "\n")
	}
	if b, err := os.ReadFile("/proc/loadavg"); err == nil {
		if f := strings.Fields(string(b)); len(f) >= 3 {
			m.LoadStart = strings.Join(f[:3], " ")
		}
	}
	return m
}

// commit is the commit the running binary was built from (Go's VCS stamp), else the short hash
// of the checkout it runs in; "-dirty" when there were local changes; "unknown" without either.
func commit(ctx context.Context) string {
	if bi, ok := debug.ReadBuildInfo(); ok {
		rev, dirty := "", false
		for _, s := range bi.Settings {
			switch s.Key {
			case "vcs.revision":
				rev = s.Value
			case "vcs.modified":
				dirty = s.Value == "true"
			}
		}
		if rev != "" {
			return rev[:min(len(rev), 7)] + map[bool]string{true: "-dirty"}[dirty]
		}
	}
	out, err := exec.CommandContext(ctx, "git", "rev-parse", "--short", "HEAD").Output()
	if err != nil {
		return "unknown"
	}
	c := strings.TrimSpace(string(out))
	if st, err := exec.CommandContext(ctx, "git", "status", "--porcelain").Output(); err == nil && len(st) > 0 {
		c += "-dirty"
	}
	return c
}

// JSON is results.json.
func (r *Results) JSON() ([]byte, error) {
	b, err := json.MarshalIndent(r, "", "  ")
	return append(b, '\n'), err
}

// Table is the table of the worlds, in Markdown (it reads as well in a terminal).
func (r *Results) Table() string {
	var b strings.Builder
	b.WriteString("| world | vehicles | breakdown | raised | matched | phantom | duplicates | phantom warnings | precision | recall | time to detect p50 / max | late steps |\n")
	b.WriteString("|---|--:|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|\n")
	late := 0
	for _, w := range r.Worlds {
		if w.Error != "" {
			fmt.Fprintf(&b, "| %s | | **run failed:** %s | | | | | | | | | |\n", w.Name, oneLine(w.Error))
			continue
		}
		late += w.LateSteps
		fmt.Fprintf(&b, "| %s | %d | %s | %s | %d |\n", w.Name, w.Vehicles, w.Incident, cells(w.Detection), w.LateSteps)
	}
	fmt.Fprintf(&b, "| **all** | | | %s | %d |\n", cells(r.Total), late)
	return b.String()
}

func cells(q report.Quality) string {
	ttd := "–"
	if q.TimeToDetectS.N > 0 {
		ttd = fmt.Sprintf("%.1f / %.1f s", q.TimeToDetectS.P50, q.TimeToDetectS.Max)
	}
	return fmt.Sprintf("%d | %d | %d | %d | %d | %s | %s | %s", q.Raised, q.Matched, q.Phantom, q.Duplicates, q.PhantomWarnings,
		report.Percent(q.Precision), report.Percent(q.Recall), ttd)
}

func oneLine(s string) string {
	s = strings.ReplaceAll(s, "\n", " ")
	s = strings.ReplaceAll(s, "|", "/")
	if len(s) > 200 {
		s = s[:200] + "…"
	}
	return s
}

// Markdown is results.md: what was measured where, the table, and the hazards by cause.
func (r *Results) Markdown() string {
	var b strings.Builder
	suite := "the full suite"
	if r.Short {
		suite = "the short suite (CI)"
	}
	fmt.Fprintf(&b, "# michi-sim eval: hazard detection on SUMO worlds\n\n")
	fmt.Fprintf(&b, "Commit `%s`, %s, %s; %d worlds run %d at a time.\n\n", r.Commit, r.Date.Format("2006-01-02 15:04 MST"), suite, len(r.Worlds), r.Parallel)
	m := r.Machine
	fmt.Fprintf(&b, "Machine: %s/%s, %d CPUs (%s), %s, %s; load average at start %s.\n\n", m.OS, m.Arch, m.CPUs, orDash(m.CPU), m.Go, orDash(m.SUMO), orDash(m.LoadStart))
	b.WriteString("Ground truth is SUMO's: each world has one breakdown, a SUMO vehicle with a `<stop>`, which counts from when the FCD shows it standing at its stop until it moves on. ")
	b.WriteString("A hazard an edge raised is matched when it detects the breakdown (cause 94, 91 or 2 within 50 m while it stood, or up to 10 s after) or is its consequence (a dangerous end of queue, cause 27, up to 500 m upstream); every other hazard is a phantom. ")
	b.WriteString("Duplicates are hazards of one cause from one edge about the breakdown beyond the first; phantom warnings are deliveries of phantoms to vehicles. The edges run their default configuration.\n\n")
	b.WriteString(r.Table())
	b.WriteString("\nBy cause of the hazards raised, all worlds:\n\n")
	b.WriteString("| cause | raised | matched | phantom | duplicates | phantom warnings | precision | recall | time to detect p50 / max |\n")
	b.WriteString("|--:|--:|--:|--:|--:|--:|--:|--:|--:|\n")
	for _, q := range r.ByCause {
		fmt.Fprintf(&b, "| %d | %s |\n", q.Cause, cells(q))
	}
	teleports := 0
	for _, w := range r.Worlds {
		teleports += w.Teleports
	}
	b.WriteString("\nLate steps: steps of 100 ms that started more than a step late, the machine not keeping up (times are wall-clock times: a world that lags lasts longer than its 150 s, and its breakdown stands longer than SUMO's 90 s). ")
	fmt.Fprintf(&b, "Vehicles SUMO teleported: %d. Every figure per world in results.json.\n", teleports)
	return b.String()
}

func orDash(s string) string {
	if s == "" {
		return "–"
	}
	return s
}
