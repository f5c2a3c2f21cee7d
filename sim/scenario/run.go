package scenario

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"time"

	"github.com/michi-v2x/michi/sim/live"
	"github.com/michi-v2x/michi/sim/report"
	"github.com/michi-v2x/michi/sim/sumo"
)

// RunOptions adjust a run from the command line.
type RunOptions struct {
	// EdgeURL, when set, replaces the scenario's edges by one external edge node
	// (tcp://host:port of its MQTT listener) instead of starting edges in-process.
	EdgeURL  string
	Duration time.Duration // overrides the scenario's duration when > 0
	Seed     *uint64       // overrides the scenario's seed
	Progress io.Writer
	TTY      bool
	OnReady  func([]live.EdgeInfo)
	Log      *slog.Logger
}

// Run executes the scenario in real time and returns its report.
func (s *Scenario) Run(ctx context.Context, ro RunOptions) (*report.Report, error) {
	o := s.Options()
	if ro.EdgeURL != "" {
		o.Edges = []live.EdgeSpec{{ID: "external", URL: ro.EdgeURL}}
	}
	if ro.Duration > 0 {
		o.Duration = ro.Duration
	}
	if ro.Seed != nil {
		o.World.Seed = *ro.Seed
	}
	o.Progress, o.ProgressTTY, o.OnReady, o.Log = ro.Progress, ro.TTY, ro.OnReady, ro.Log
	o.Source = nil
	if s.SUMO != nil {
		src, err := sumo.Open(ctx, *s.SUMO, s.Dir(), o.World.Origin, o.World.Seed)
		if err != nil {
			return nil, fmt.Errorf("%s: sumo: %w", s.file, err)
		}
		o.Source = src
	}
	return live.Run(ctx, o)
}
