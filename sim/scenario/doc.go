// Package scenario reads michi-sim scenario files: YAML (gopkg.in/yaml.v3, unknown fields
// refused) describing the world (roads or SUMO traffic, vehicles, sensors, hazards), the edge
// nodes and how the run goes. Every problem is reported at once, each naming the file, the line
// and the field, e.g. "highway.yaml:14: hazards[0].kind: \"meteor\": want one of …".
//
// It imports sim, sim/live and sim/sumo (for their option types) and gopkg.in/yaml.v3.
package scenario
