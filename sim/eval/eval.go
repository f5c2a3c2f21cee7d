package eval

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"time"

	"github.com/michi-v2x/michi/sim/report"
	"github.com/michi-v2x/michi/sim/scenario"
	"github.com/michi-v2x/michi/sim/worlds"
)

// Options configures an evaluation. Zero fields take their defaults.
type Options struct {
	Worlds   []worlds.Spec // default worlds.Suite()
	Parallel int           // worlds run at once, default 2
	// Out is the directory results.json and results.md go to; each world is generated, and its
	// report written, in Out/worlds/<name>/. Required.
	Out      string
	Short    bool      // recorded in the results: the CI version of the suite
	Progress io.Writer // a line as each world starts and ends
	Log      *slog.Logger
}

func (o *Options) setDefaults() {
	if len(o.Worlds) == 0 {
		o.Worlds = worlds.Suite()
	}
	if o.Parallel <= 0 {
		o.Parallel = 2
	}
	if o.Progress == nil {
		o.Progress = io.Discard
	}
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
}

// Results is what an evaluation measured.
type Results struct {
	Commit   string    `json:"commit"` // git describe of the tree measured, "-dirty" with local changes
	Date     time.Time `json:"date"`
	Machine  Machine   `json:"machine"`
	Short    bool      `json:"short"`
	Parallel int       `json:"parallel"`
	Worlds   []World   `json:"worlds"`
	// Total sums the worlds; ByCause is the same per cause of the raised hazards.
	Total   report.Quality   `json:"total"`
	ByCause []report.Quality `json:"by_cause"`
}

// World is one world's run.
type World struct {
	Name      string  `json:"name"`
	Kind      string  `json:"kind"`
	LeftHand  bool    `json:"lefthand"`
	Demand    string  `json:"demand"`
	Lanes     int     `json:"lanes"`
	Connected float64 `json:"connected_share"`
	DurationS float64 `json:"duration_s"`
	Vehicles  int     `json:"vehicles"`  // SUMO vehicles seen during the run
	Clients   int     `json:"connected"` // … of which connected clients
	// Incident says what became of the breakdown: where and how long it stood, or why it did
	// not happen (it then does not count for recall).
	Incident  string           `json:"incident"`
	Detection report.Quality   `json:"detection"`
	ByCause   []report.Quality `json:"by_cause"`
	LateSteps int              `json:"late_steps"` // steps that started more than a step late (an overloaded machine)
	Teleports int              `json:"sumo_teleports"`
	Report    string           `json:"report,omitempty"` // its report.json
	Error     string           `json:"error,omitempty"`
}

// Run runs the worlds, o.Parallel at a time, and writes the results into o.Out. It returns the
// results and, when a world could not be generated or run, an error naming them.
func Run(ctx context.Context, o Options) (*Results, error) {
	o.setDefaults()
	if o.Out == "" {
		return nil, errors.New("eval: an output directory is required")
	}
	for i := range o.Worlds {
		if err := o.Worlds[i].Validate(); err != nil {
			return nil, fmt.Errorf("eval: %s: %w", o.Worlds[i].Name(), err)
		}
	}
	res := &Results{Commit: commit(ctx), Date: time.Now().UTC().Truncate(time.Second), Machine: machine(ctx),
		Short: o.Short, Parallel: o.Parallel, Worlds: make([]World, len(o.Worlds))}
	reports := make([]*report.Report, len(o.Worlds))
	sem := make(chan struct{}, o.Parallel)
	var wg sync.WaitGroup
	var mu sync.Mutex // Progress
	say := func(format string, a ...any) {
		mu.Lock()
		fmt.Fprintf(o.Progress, format+"\n", a...)
		mu.Unlock()
	}
	for i, spec := range o.Worlds { // in the suite's order
		select {
		case sem <- struct{}{}:
		case <-ctx.Done():
			res.Worlds[i] = World{Name: spec.Name(), Error: ctx.Err().Error()}
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			say("[%d/%d] %s: generating and running (%s)", i+1, len(o.Worlds), spec.Name(), spec.Duration)
			start := time.Now()
			res.Worlds[i], reports[i] = runWorld(ctx, spec, filepath.Join(o.Out, "worlds", spec.Name()), o.Log)
			w := res.Worlds[i]
			if w.Error != "" {
				say("[%d/%d] %s: FAILED after %.0f s: %s", i+1, len(o.Worlds), w.Name, time.Since(start).Seconds(), w.Error)
				return
			}
			say("[%d/%d] %s: done in %.0f s · %s", i+1, len(o.Worlds), w.Name, time.Since(start).Seconds(), w.summary())
		}()
	}
	wg.Wait()
	res.total(reports)
	werr := res.Write(o.Out)
	var failed []string
	for _, w := range res.Worlds {
		if w.Error != "" {
			failed = append(failed, w.Name)
		}
	}
	if len(failed) > 0 {
		return res, errors.Join(fmt.Errorf("eval: %d of %d worlds failed: %v", len(failed), len(res.Worlds), failed), werr)
	}
	return res, werr
}

// runWorld generates one world in dir and runs it.
func runWorld(ctx context.Context, spec worlds.Spec, dir string, log *slog.Logger) (World, *report.Report) {
	w := World{Name: spec.Name(), Kind: spec.Kind, LeftHand: spec.LeftHand, Demand: spec.Demand, Lanes: spec.Lanes,
		Connected: spec.Connected}
	sc, err := worlds.Generate(ctx, spec, dir)
	if err != nil {
		w.Error = err.Error()
		return w, nil
	}
	rep, err := sc.Run(ctx, scenario.RunOptions{Log: log.With("world", w.Name)})
	if err != nil {
		w.Error = err.Error()
		return w, nil
	}
	if ctx.Err() != nil {
		w.Error = "interrupted: " + ctx.Err().Error()
	}
	if jsonPath, _, err := rep.WriteFiles(filepath.Join(dir, "report")); err != nil {
		w.Error = err.Error()
	} else {
		w.Report = jsonPath
	}
	w.DurationS, w.Vehicles, w.Clients = rep.DurationS, rep.Vehicles, rep.Connected
	w.Detection, w.ByCause = rep.Detection.Overall, rep.Detection.ByCause
	w.LateSteps, w.Teleports = rep.LateSteps, rep.SUMOTeleports
	w.Incident = incident(rep)
	return w, rep
}

// incident describes what became of the world's breakdown.
func incident(rep *report.Report) string {
	for _, n := range rep.Detection.NotHappened {
		return "not happened: " + n.Reason
	}
	for _, h := range rep.Hazards {
		end := rep.DurationS
		if h.EndS != nil {
			end = *h.EndS
		}
		return fmt.Sprintf("stood %.0f s from %.0f s", end-h.StartS, h.StartS)
	}
	return "none"
}

func (w World) summary() string {
	d := w.Detection
	return fmt.Sprintf("%d vehicles · %s · raised %d, matched %d, phantom %d, duplicates %d · precision %s recall %s",
		w.Vehicles, w.Incident, d.Raised, d.Matched, d.Phantom, d.Duplicates, report.Percent(d.Precision), report.Percent(d.Recall))
}

// total sums the worlds.
func (r *Results) total(reports []*report.Report) {
	var all []report.Quality
	byCause := map[uint8][]report.Quality{}
	var causes []uint8
	for _, rep := range reports {
		if rep == nil {
			continue
		}
		all = append(all, rep.Detection.Overall)
		for _, q := range rep.Detection.ByCause {
			if byCause[q.Cause] == nil {
				causes = append(causes, q.Cause)
			}
			byCause[q.Cause] = append(byCause[q.Cause], q)
		}
	}
	r.Total = report.Merge(all...)
	r.ByCause = []report.Quality{}
	slices.Sort(causes)
	for _, c := range causes {
		r.ByCause = append(r.ByCause, report.Merge(byCause[c]...))
	}
}

// Write writes results.json and results.md into dir.
func (r *Results) Write(dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	b, err := r.JSON()
	if err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(dir, "results.json"), b, 0o644); err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(dir, "results.md"), []byte(r.Markdown()), 0o644)
}
