package scenario

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/michi-v2x/michi/pkg/geo"
	"github.com/michi-v2x/michi/sim"
	"github.com/michi-v2x/michi/sim/live"
	"github.com/michi-v2x/michi/sim/sumo"
)

// Scenario is one scenario file.
type Scenario struct {
	Name        string        `yaml:"name"`
	Description string        `yaml:"description"`
	Seed        uint64        `yaml:"seed"`
	Duration    time.Duration `yaml:"duration"`
	Step        time.Duration `yaml:"step"` // default 100 ms
	Origin      Origin        `yaml:"origin"`

	Transport     string        `yaml:"transport"`      // mqtt-tcp (default), mqtt-ws, mqtt-quic, quic (native)
	CAMHz         float64       `yaml:"cam_hz"`         // default 5
	SubscribeZoom int           `yaml:"subscribe_zoom"` // default 16
	ReachM        float64       `yaml:"reach_m"`        // default 20 m
	Grace         time.Duration `yaml:"grace"`          // default 2 s

	Edges   []live.EdgeSpec  `yaml:"edges"`
	Roads   []sim.RoadSpec   `yaml:"roads"`
	Traffic sim.Traffic      `yaml:"traffic"`
	Sensors []sim.SensorSpec `yaml:"sensors"`
	Hazards []sim.HazardSpec `yaml:"hazards"`
	SUMO    *sumo.Spec       `yaml:"sumo"`

	file string     // path it was read from
	root *yaml.Node // for line numbers
}

// Origin is the centre of the scenario's local plane.
type Origin struct {
	Lat float64 `yaml:"lat"`
	Lon float64 `yaml:"lon"`
}

// Load reads and checks a scenario file.
func Load(path string) (*Scenario, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return Parse(path, data)
}

var yamlLine = regexp.MustCompile(`line (\d+): `)

// Parse checks a scenario given as bytes; name is used in messages and to resolve relative
// file paths (SUMO inputs).
func Parse(name string, data []byte) (*Scenario, error) {
	s := &Scenario{file: name}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(s); err != nil {
		return nil, yamlError(name, err)
	}
	var root yaml.Node
	if err := yaml.Unmarshal(data, &root); err == nil {
		s.root = &root
	}
	if err := s.Validate(); err != nil {
		return nil, err
	}
	return s, nil
}

// yamlError rewrites yaml.v3's "line N: problem" into "file:N: problem", one per line.
func yamlError(name string, err error) error {
	var te *yaml.TypeError
	if errors.As(err, &te) {
		var errs []error
		for _, m := range te.Errors {
			errs = append(errs, errors.New(name+":"+yamlLine.ReplaceAllString(m, "${1}: ")))
		}
		return errors.Join(errs...)
	}
	msg := strings.TrimPrefix(err.Error(), "yaml: ")
	if m := yamlLine.FindStringSubmatchIndex(msg); m != nil {
		return fmt.Errorf("%s:%s: %s", name, msg[m[2]:m[3]], msg[m[1]:])
	}
	if err.Error() == "EOF" {
		return fmt.Errorf("%s: empty scenario", name)
	}
	return fmt.Errorf("%s: %s", name, msg)
}

// Validate reports every problem at once, each as "file:line: path: problem".
func (s *Scenario) Validate() error {
	var errs []error
	if s.Origin.Lat == 0 && s.Origin.Lon == 0 {
		errs = append(errs, &sim.FieldError{Path: "origin", Msg: "required: the lat/lon the scenario's x/y metres are measured from"})
	} else if !(geo.Point{Lat: s.Origin.Lat, Lon: s.Origin.Lon}).Valid() {
		errs = append(errs, &sim.FieldError{Path: "origin", Msg: "not a valid lat/lon"})
	}
	w := s.World()
	if err := w.Validate(); err != nil {
		errs = append(errs, err)
	} else if _, err := sim.New(w); err != nil {
		errs = append(errs, err) // places that must be on a road and are not
	}
	lo := s.liveOptions(w)
	if err := lo.Validate(); err != nil {
		errs = append(errs, err)
	}
	for i := range s.Edges {
		eo := s.Edges[i].Options
		if err := eo.Validate(); err != nil {
			errs = append(errs, &sim.FieldError{Path: fmt.Sprintf("edges[%d].options", i), Msg: err.Error()})
		}
	}
	if s.SUMO != nil {
		if err := s.SUMO.Validate(filepath.Dir(s.file)); err != nil {
			errs = append(errs, err)
		}
	}
	if len(errs) == 0 {
		return nil
	}
	return s.locate(errors.Join(errs...))
}

// World is the simulation configuration the scenario describes.
func (s *Scenario) World() sim.Config {
	return sim.Config{Origin: geo.Point{Lat: s.Origin.Lat, Lon: s.Origin.Lon}, Seed: s.Seed, Step: s.Step,
		Roads: s.Roads, Traffic: s.Traffic, Sensors: s.Sensors, Hazards: s.Hazards, External: s.SUMO != nil}
}

// Options returns the run options (without a SUMO source, which the caller opens).
func (s *Scenario) Options() live.Options { return s.liveOptions(s.World()) }

func (s *Scenario) liveOptions(w sim.Config) live.Options {
	name := s.Name
	if name == "" {
		name = strings.TrimSuffix(filepath.Base(s.file), filepath.Ext(s.file))
	}
	o := live.Options{Name: name, World: w, Edges: s.Edges, Transport: s.Transport, Duration: s.Duration,
		CAMHz: s.CAMHz, SubscribeZoom: s.SubscribeZoom, ReachM: s.ReachM, Grace: s.Grace}
	if s.SUMO != nil {
		o.Source = placeholder{} // Validate checks that a source will be there
	}
	return o
}

// Dir is the directory relative paths in the scenario are resolved against.
func (s *Scenario) Dir() string { return filepath.Dir(s.file) }

type placeholder struct{}

func (placeholder) Next(time.Duration) ([]sim.ExtState, bool, error) { return nil, false, nil }
func (placeholder) Close() error                                     { return nil }

// locate prefixes every field error with the file and line of its field.
func (s *Scenario) locate(err error) error {
	var out []error
	var walk func(error)
	walk = func(e error) {
		if j, ok := e.(interface{ Unwrap() []error }); ok {
			for _, x := range j.Unwrap() {
				walk(x)
			}
			return
		}
		var fe *sim.FieldError
		if errors.As(e, &fe) {
			out = append(out, fmt.Errorf("%s:%d: %w", s.file, s.line(fe.Path), e))
			return
		}
		out = append(out, fmt.Errorf("%s: %w", s.file, e))
	}
	walk(err)
	return errors.Join(out...)
}

// line finds the line of a field path like "hazards[1].at.x": the deepest node of the path
// that the file has (a defaulted field points at its parent).
func (s *Scenario) line(path string) int {
	if s.root == nil || len(s.root.Content) == 0 {
		return 1
	}
	n := s.root.Content[0]
	line := n.Line
	for _, part := range splitPath(path) {
		var next *yaml.Node
		if i, err := strconv.Atoi(part); err == nil {
			if n.Kind == yaml.SequenceNode && i < len(n.Content) {
				next = n.Content[i]
				line = next.Line
			}
		} else if n.Kind == yaml.MappingNode {
			for k := 0; k+1 < len(n.Content); k += 2 {
				if n.Content[k].Value == part {
					line = n.Content[k].Line
					next = n.Content[k+1]
					break
				}
			}
		}
		if next == nil {
			break
		}
		n = next
	}
	return line
}

func splitPath(p string) []string {
	p = strings.NewReplacer("[", ".", "]", "").Replace(p)
	var out []string
	for _, x := range strings.Split(p, ".") {
		if x != "" {
			out = append(out, x)
		}
	}
	return out
}
