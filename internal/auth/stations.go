package auth

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// StationRange is the ETSI station ids First … Last, both included.
type StationRange struct{ First, Last uint32 }

// Stations are the station ids a credential may use: one range per id or block of ids.
type Stations []StationRange

// Contains reports whether id is among s.
func (s Stations) Contains(id uint32) bool {
	for _, r := range s {
		if r.First <= id && id <= r.Last {
			return true
		}
	}
	return false
}

// String is s as ParseStations reads it: "1001,5000-5999".
func (s Stations) String() string {
	parts := make([]string, len(s))
	for i, r := range s {
		parts[i] = strconv.FormatUint(uint64(r.First), 10)
		if r.Last != r.First {
			parts[i] += "-" + strconv.FormatUint(uint64(r.Last), 10)
		}
	}
	return strings.Join(parts, ",")
}

// ParseStations reads station ids and ranges separated by commas: "1001", "5000-5999,7001".
func ParseStations(text string) (Stations, error) {
	var out Stations
	for part := range strings.SplitSeq(text, ",") {
		part = strings.TrimSpace(part)
		first, last, isRange := strings.Cut(part, "-")
		lo, err1 := strconv.ParseUint(strings.TrimSpace(first), 10, 32)
		hi, err2 := lo, error(nil)
		if isRange {
			hi, err2 = strconv.ParseUint(strings.TrimSpace(last), 10, 32)
		}
		if err := errors.Join(err1, err2); err != nil || hi < lo {
			return nil, fmt.Errorf("stations %q: want station ids (0 … 4294967295) and ranges FIRST-LAST, comma separated", text)
		}
		out = append(out, StationRange{First: uint32(lo), Last: uint32(hi)})
	}
	return out, nil
}

// UnmarshalYAML takes one string of ParseStations' form, a bare station id, or a list of either.
func (s *Stations) UnmarshalYAML(n *yaml.Node) error {
	items := []*yaml.Node{n}
	if n.Kind == yaml.SequenceNode {
		items = n.Content
	}
	out := Stations{}
	for _, it := range items {
		if it.Kind != yaml.ScalarNode {
			return fmt.Errorf("line %d: stations: want ids and ranges such as \"1001\" or \"5000-5999\"", it.Line)
		}
		rs, err := ParseStations(it.Value)
		if err != nil {
			return fmt.Errorf("line %d: %w", it.Line, err)
		}
		out = append(out, rs...)
	}
	*s = slices.Clip(out)
	return nil
}
