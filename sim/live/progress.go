package live

import (
	"fmt"
	"io"
	"time"

	"github.com/michi-v2x/michi/sim/report"
)

// progress writes one status line per second: rewritten in place on a terminal, every tenth
// one on its own line otherwise (logs stay short).
type progress struct {
	w     io.Writer
	tty   bool
	total time.Duration
	n     int
	last  report.Counters
	wrote bool
}

func newProgress(w io.Writer, tty bool, total time.Duration) *progress {
	return &progress{w: w, tty: tty, total: total}
}

func (p *progress) line(t float64, pr report.Progress, c report.Counters, behind time.Duration) {
	p.n++
	s := fmt.Sprintf("[%6.1f/%.0f s] CAM %d/s CPM %d/s · hazards injected %d, published %d · alerts %d, warned %d of %d inside · alert latency p50 %.1f ms p99 %.1f ms",
		t, p.total.Seconds(), c.CAMs-p.last.CAMs, c.CPMs-p.last.CPMs, pr.Injected, pr.EdgeHazards, c.AlertsReceived, pr.ExpectedSoFar, pr.InsideSoFar,
		pr.AlertLatencyP50, pr.AlertLatencyP99)
	if behind > 0 {
		s += fmt.Sprintf(" · step lag max %.0f ms", float64(behind.Microseconds())/1000)
	}
	p.last = c
	switch {
	case p.tty:
		fmt.Fprintf(p.w, "\r\033[K%s", s)
		p.wrote = true
	case p.n%10 == 1:
		fmt.Fprintln(p.w, s)
	}
}

func (p *progress) done() {
	if p.wrote {
		fmt.Fprintln(p.w)
	}
}
