package sumo

import (
	"errors"
	"io"
	"strings"
	"sync"
	"time"

	"github.com/michi-v2x/michi/pkg/geo"
	"github.com/michi-v2x/michi/sim"
)

// Source turns a stream of FCD timesteps into vehicle states at virtual times (it satisfies
// live.Source). Persons are left out (sensors see the injected pedestrians).
type Source struct {
	rd      *Reader
	geo     bool
	proj    geo.Projection
	begin   float64
	next    *Frame
	cur     []sim.ExtState
	done    bool
	closers []io.Closer
	once    sync.Once
	wait    func() error
	truth   *truth
	log     *sumoLog // of a SUMO run started here
}

// NewSource reads FCD from rd; with geoCoords the FCD's x/y are lon/lat, otherwise metres east
// and north of origin. Timesteps before begin are skipped, and virtual time 0 is FCD time begin.
func NewSource(rd *Reader, geoCoords bool, origin geo.Point, begin time.Duration, closers ...io.Closer) *Source {
	return &Source{rd: rd, geo: geoCoords, proj: geo.NewProjection(origin), begin: begin.Seconds(), closers: closers}
}

// Next returns the vehicles of the latest timestep at or before virtual time t; ok is false once
// the FCD has ended and the last timestep is past.
func (s *Source) Next(t time.Duration) ([]sim.ExtState, bool, error) {
	target := t.Seconds() + s.begin
	for !s.done {
		if s.next == nil {
			f, err := s.rd.Next()
			if err != nil {
				s.done = true
				if errors.Is(err, io.EOF) {
					break
				}
				return s.cur, true, err
			}
			s.next = &f
		}
		if s.next.Time > target+1e-9 {
			break
		}
		s.cur = s.convert(s.next)
		s.next = nil
	}
	if s.done && s.next == nil {
		return s.cur, false, nil
	}
	return s.cur, true, nil
}

func (s *Source) convert(f *Frame) []sim.ExtState {
	out := make([]sim.ExtState, 0, len(f.Vehicles))
	for _, v := range f.Vehicles {
		if v.Person {
			continue
		}
		out = append(out, sim.ExtState{ID: v.ID, Pos: s.point(v), HeadingDeg: v.Angle, SpeedMPS: v.Speed,
			Connect: strings.HasPrefix(v.ID, IncidentPrefix)})
	}
	if s.truth != nil {
		s.truth.frame(f, s.point)
	}
	return out
}

func (s *Source) point(v Vehicle) geo.Point {
	if !s.geo {
		return s.proj.ToPoint(v.X, v.Y)
	}
	return geo.Point{Lat: v.Y, Lon: v.X}
}

// Incidents returns the news of the run's incidents since the last call (what the FCD says
// happened); with final (the run is over) every incident that has not happened is reported so.
func (s *Source) Incidents(final bool) []sim.ExtIncident {
	if s.truth == nil {
		return nil
	}
	if final {
		s.truth.finish()
	}
	return s.truth.take()
}

// Teleports is how many vehicles the SUMO run started here has teleported so far.
func (s *Source) Teleports() int {
	if s.log == nil {
		return 0
	}
	return s.log.Teleports()
}

// Close releases the input (and stops SUMO when it runs it).
func (s *Source) Close() error {
	var errs []error
	s.once.Do(func() {
		for _, c := range s.closers {
			if err := c.Close(); err != nil {
				errs = append(errs, err)
			}
		}
		if s.wait != nil {
			_ = s.wait()
		}
	})
	return errors.Join(errs...)
}
